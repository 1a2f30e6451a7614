"""What the out-of-office page offers and promises: the people who may stand in (active colleagues of
the user's departments) and, for a chosen substitute, which of the tasks the user holds go to them and
which stay with the user because the substitute may not do them (delegation.hand_over_held does exactly
that)."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import HumanTask, Membership, User
from .tasks import may_work


def candidates(session: Session, user: User) -> list[User]:
    """Active members of the user's departments, the user excluded, by name."""
    found = session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.group_code.in_(sorted(user.group_codes)), User.is_active.is_(True), User.id != user.id)
        .distinct())
    return sorted(found, key=lambda u: (u.display_name or u.username, u.username))


def held_tasks(session: Session, user: User) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.claimed_by == user.username,
                                                        HumanTask.state == "claimed")
                                .order_by(HumanTask.due_at.is_(None), HumanTask.due_at)))


def handover(session: Session, user: User, substitute: str | None) -> list[dict]:
    """Per held task: whether it goes to the substitute ("goes") or stays with the user ("stays")."""
    chosen = session.scalar(select(User).where(User.username == substitute)) if substitute else None
    out = []
    for task in held_tasks(session, user):
        goes = chosen is not None and chosen.is_active and may_work(chosen, task)
        out.append({"task": task, "goes": goes})
    return out
