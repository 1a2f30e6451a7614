"""A case's full history for auditors: the event timeline with who, when, the data submitted and the
before/after of each changed field; the steps with their waiting times; the diagram markers (path taken,
current position, time spent per element). Reads the event and task tables only."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...i18n import _
from ...models import HumanTask, OPEN_STATES, ProcessInstance, ProcessVersion, User
from . import audit, masking
from ..cases import cases, summary
from ..labels import Labels


def event_labels() -> dict[str, str]:
    return {
        "instance_started": _("Case started"), "instance_completed": _("Case closed"),
        "task_ready": _("Task ready"), "claimed": _("Claimed"), "unclaimed": _("Released"),
        "completed": _("Completed"), "task_cancelled": _("Task cancelled"), "timer_fired": _("Timer fired"),
        "escalated": _("Escalated"), "error": _("Error"), "delegated": _("Delegated"),
        "substituted": _("Substituted"), "reassigned": _("Reassigned"), "migrated": _("Migrated"),
        "version_published": _("Version published"), "attachment_added": _("File added"),
        "draft_saved": _("Draft saved with files"),
        "retried": _("Failed step run again"), "skipped": _("Failed step skipped"),
        "data_edited": _("Case data corrected"), "suspended": _("Suspended"), "resumed": _("Resumed"),
        "instance_cancelled": _("Case cancelled"), "moved": _("Moved to another step"),
        "message_received": _("Message received from another system"),
    }


def _actor_names(session: Session, names: set) -> dict[str, str]:
    names = {n for n in names if n}
    if not names:
        return {}
    return dict(session.execute(select(User.username, User.display_name).where(User.username.in_(names))).all())


def timeline(session: Session, instance: ProcessInstance, hide, locale: str = "zh") -> list[dict]:
    """Every event of the case, oldest first; `hide` masks contact data (masking.masker)."""
    events = audit.events_for(session, instance.id)
    names = _actor_names(session, {e.actor for e in events})
    labels = Labels(session, locale)
    versions = summary.version_ids_at(labels, instance, [{"type": e.event_type, "data": e.data} for e in events])
    kinds = event_labels()
    out = []
    for e, version_id in zip(events, versions):  # each step under its name in the version run at the time
        data = hide(e.data or {})
        submitted = data.get("submitted") if isinstance(data.get("submitted"), dict) else None
        changes = data.get("changes") if isinstance(data.get("changes"), dict) else {}
        if e.event_type == "message_received" and isinstance(data.get("data"), dict):
            submitted = data["data"]  # what another system sent is shown like a submitted form (field labels)
        other = {k: v for k, v in data.items() if k not in ("submitted", "changes")
                 and not (k == "data" and submitted is data.get("data"))}
        out.append({
            "id": e.id, "type": e.event_type, "label": kinds.get(e.event_type, e.event_type),
            "actor": e.actor, "actor_name": names.get(e.actor, ""), "at": e.at, "task_id": e.task_id,
            "element_id": e.element_id, "element": labels.element(version_id, e.element_id, e.element_id),
            "submitted": submitted, "changes": [(k, v[0], v[1]) if isinstance(v, list) and len(v) == 2
                                                else (k, None, v) for k, v in sorted(changes.items())],
            "details": other, "hash": e.event_hash, "seq": e.chain_seq, "version_id": version_id,
        })
    return out


def steps(session: Session, instance: ProcessInstance, events: list[dict], now: datetime | None = None,
          locale: str = "zh") -> list[dict]:
    """Every human task of the case with its group, holder, due date and how long it waited; each under the
    title it had in the version the case ran when the task became ready (read from the case's timeline rows,
    `events`), so a later migration renames nothing."""
    now = now or clock.now()
    names = Labels(session, locale)
    version_of = {e["task_id"]: e["version_id"] for e in events if e["type"] == "task_ready" and e["task_id"]}
    out = []
    for t in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                             .order_by(HumanTask.created_at, HumanTask.id)):
        end = t.completed_at or now
        title = names.element(version_of.get(t.id, instance.version_id), t.task_name, t.title)
        out.append({"element_id": t.task_name, "title": title,
                    "group": t.group_code, "state": t.state, "created_at": t.created_at, "due_at": t.due_at,
                    "completed_at": t.completed_at, "completed_by": t.completed_by, "claimed_by": t.claimed_by,
                    "hours": round((end - t.created_at).total_seconds() / 3600, 1),
                    "late": bool(t.due_at and end > t.due_at)})
    return out


def diagram(session: Session, instance: ProcessInstance, step_rows: list[dict]) -> dict:
    """What the bpmn-js viewer shows: whether there is a layout, done and current elements, hours spent
    per element."""
    version = session.get(ProcessVersion, instance.version_id)
    hours: dict[str, float] = {}
    for s in step_rows:
        hours[s["element_id"]] = round(hours.get(s["element_id"], 0) + s["hours"], 1)
    return {"has_layout": cases.has_layout(cases.diagram_source(version)),
            **cases.path_markers(session, instance, version), "hours": hours}


def case_view(session: Session, user: User, instance: ProcessInstance, locale: str = "zh") -> dict:
    """Everything the auditor's case page, print view and history export show."""
    version = session.get(ProcessVersion, instance.version_id)
    hide = masking.masker(session, user, instance)
    events = timeline(session, instance, hide, locale)
    step_rows = steps(session, instance, events, locale=locale)
    catalog = cases.field_catalog(version, locale)
    return {"instance": instance, "version": version, "events": events,
            "steps": step_rows, "diagram": diagram(session, instance, step_rows),
            "data": cases.key_data(hide(instance.case_data or {}), catalog, limit=500),
            "field_labels": {k: v["label"] for k, v in catalog.items()},
            "open": [s for s in step_rows if s["state"] in OPEN_STATES]}
