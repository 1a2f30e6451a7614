"""What happens to the work when a person's place in the organisation changes: tasks a user holds but
may no longer do (deactivated, left the department, no longer head) go back to their departments'
queues, each with an audit event on its case. Nothing the user did is lost."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import HumanTask, User
from ..organisation import user_import, users
from .delegation import _hand
from .tasks import may_work


def release_unworkable(session: Session, user: User, actor: str, reason: str) -> int:
    """Put back in the queue every open task the user holds and may no longer work on."""
    held = session.scalars(select(HumanTask).where(HumanTask.claimed_by == user.username,
                                                   HumanTask.state == "claimed"))
    released = 0
    for task in list(held):
        if user.is_active and may_work(user, task):
            continue
        _hand(session, task, None, "unclaimed", actor, {"from": user.username, "to": None, "reason": reason})
        released += 1
    return released


def update_user(session: Session, actor: str, username: str, data: dict, *, reason: str | None = None
                ) -> tuple[User, int]:
    """users.update, then the held tasks the user may no longer do go back to the queues."""
    user = users.update(session, actor, username, data, reason=reason)
    why = "user_deactivated" if not user.is_active else "user_changed"
    return user, release_unworkable(session, user, actor, why)


def apply_import(session: Session, actor: str, rows: list) -> user_import.Report:
    """user_import.apply, then the held tasks changed users may no longer do go back to the queues."""
    report, changed = user_import.apply(session, actor, rows)
    for user in changed:
        release_unworkable(session, user, actor, "user_deactivated" if not user.is_active else "user_changed")
    return report


def after_sign_in(session: Session, user: User) -> int:
    """A directory user's departments follow the directory at sign-in: held tasks they may no longer do go
    back to the queues."""
    if user.auth_source != "ldap":
        return 0
    return release_unworkable(session, user, "directory", "user_changed")
