"""Who a deadline or escalation goes to: a group (by code, name or alias), its heads, or one user."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import User
from .org import group_index, resolve_lane


@dataclass
class Target:
    group: str | None = None
    user: str | None = None
    heads_only: bool = False


def parse_target(session: Session, value: str | None) -> Target | None:
    value = (value or "").strip()
    if not value:
        return None
    if value.startswith("user:"):
        name = value[5:].strip()
        exists = session.scalar(select(User.id).where(User.username == name))
        return Target(user=name) if exists else None
    heads_only = value.startswith("heads:")
    group = resolve_lane(group_index(session), value[6:].strip() if heads_only else value)
    return Target(group=group, heads_only=heads_only) if group else None


def target_problem(session: Session, value: str | None) -> str | None:
    """Publish-time check of an escalateTo property."""
    if value and parse_target(session, value) is None:
        return f"escalateTo {value!r} names no known group or user (use a group, heads:<group> or user:<name>)"
    return None


def escalation_problems(session: Session, spec: dict) -> list[tuple[str, str]]:
    """Publish-time check of every escalateTo property in a serialized process spec (tasks and events)."""
    found = []
    for process in [spec.get("spec", {}), *spec.get("subprocess_specs", {}).values()]:
        for task_spec in process.get("task_specs", {}).values():
            value = ((task_spec.get("extensions") or {}).get("properties") or {}).get("escalateTo")
            if msg := target_problem(session, value):
                found.append((task_spec.get("bpmn_id") or task_spec.get("name", ""), msg))
    return found
