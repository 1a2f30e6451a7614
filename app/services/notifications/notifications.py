"""E-mail notifications: queued in the outbox in the transaction of the change that causes them, sent later
by the background worker (services/mailer.py), never inside a user's request. Nothing is queued while no
SMTP server is configured (SMTP_HOST)."""
import os

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ... import clock
from ...models import Membership, NotificationSetting, OutboxMessage, User

KINDS = ("new_task", "assigned", "at_risk", "overdue", "escalated")


def enabled() -> bool:
    return bool(os.environ.get("SMTP_HOST"))


def queue(session: Session, kind: str, *, instance_id: int | None, task_id: str | None, title: str,
          business_key: str | None = None, due_at=None, group_code: str | None = None, heads_only: bool = False,
          username: str | None = None, dedup_key: str | None = None) -> bool:
    """Queue one notification for a group (optionally its heads only) or one user. With a dedup_key the
    same notification is queued at most once. Returns whether a message was queued."""
    if not enabled() or not (group_code or username):
        return False
    values = dict(kind=kind, instance_id=instance_id, task_id=task_id, title=(title or "")[:300],
                  business_key=business_key, due_at=due_at, group_code=None if username else group_code,
                  heads_only=heads_only and not username, username=username, dedup_key=dedup_key,
                  state="pending", attempts=0, recipients=[], created_at=clock.now())
    if dedup_key is None:
        session.add(OutboxMessage(**values))
        return True
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = session.execute(insert(OutboxMessage).values(**values).on_conflict_do_nothing(
        index_elements=[OutboxMessage.dedup_key]))
    return result.rowcount == 1


def queue_for_task(session: Session, kind: str, task, *, username: str | None = None,
                   group_code: str | None = None, heads_only: bool | None = None,
                   dedup_key: str | None = None) -> bool:
    """A notification about a human task; by default to whoever holds it, else to the task's queue."""
    if username is None and group_code is None:
        username = task.claimed_by
        group_code = None if username else task.group_code
        heads_only = task.head_only if heads_only is None else heads_only
    return queue(session, kind, instance_id=task.instance_id, task_id=task.id, title=task.title,
                 business_key=task.business_key, due_at=task.due_at, group_code=group_code,
                 heads_only=bool(heads_only), username=username, dedup_key=dedup_key)


def task_ready(session: Session, task) -> None:
    """A new task waits in its group's queue."""
    queue_for_task(session, "new_task", task, group_code=task.group_code, heads_only=task.head_only)


def task_assigned(session: Session, task, username: str) -> None:
    """Someone put the task into username's hands."""
    queue_for_task(session, "assigned", task, username=username)


def audience_filter(user: User):
    """Outbox rows addressed to the user directly or to one of the user's groups."""
    return or_(OutboxMessage.username == user.username,
               and_(OutboxMessage.group_code.in_(sorted(user.group_codes)), OutboxMessage.heads_only.is_(False)),
               OutboxMessage.group_code.in_(sorted(user.head_of)))


def recipients(session: Session, row: OutboxMessage) -> list[User]:
    if row.username:
        query = select(User).where(User.username == row.username)
    else:
        query = select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.group_code == row.group_code)
        if row.heads_only:
            query = query.where(Membership.is_head.is_(True))
    return list(session.scalars(query.where(User.is_active.is_(True)).order_by(User.username)))


def digest_user_ids(session: Session) -> set[int]:
    return set(session.scalars(select(NotificationSetting.user_id).where(NotificationSetting.daily_digest)))


def get_settings(session: Session, user: User) -> dict:
    row = session.get(NotificationSetting, user.id)
    return {"daily_digest": bool(row and row.daily_digest), "email": user.email}


def set_daily_digest(session: Session, user: User, daily_digest: bool) -> dict:
    row = session.get(NotificationSetting, user.id)
    if row is None:
        row = NotificationSetting(user_id=user.id, daily_digest=False)
        session.add(row)
    row.daily_digest = bool(daily_digest)
    session.flush()
    return get_settings(session, user)
