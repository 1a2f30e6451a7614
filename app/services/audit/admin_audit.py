"""The administrative audit trail: every change to the organisation, the calendar, sign-in settings and
tokens - who, what, before and after, why.

record() queues an event on the session (audit.queue); the events are chained (audit_chain.extend, chain
"admin") and inserted when the transaction commits, in the same transaction as the change, after the case
chains (audit.TRAILS: one lock order for every writer). `flask --app app audit verify` checks this chain
with the case chains."""
from datetime import timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...models import AdminAuditEvent
from . import audit, audit_chain
from ..paging import Page, PageRequest, paginate

_PENDING = "admin_audit_pending"


def record(session: Session, *, actor: str | None, action: str, object_type: str, object_id: str,
           before: dict | None = None, after: dict | None = None, reason: str | None = None) -> AdminAuditEvent:
    """Record one administrative change (written when the session commits, never without the change)."""
    event = AdminAuditEvent(at=clock.now(), actor=actor, action=action, object_type=object_type,
                            object_id=str(object_id),
                            before=None if before is None else audit_chain.normalise(before),
                            after=None if after is None else audit_chain.normalise(after),
                            reason=reason)
    audit.queue(session, _PENDING, event)
    return event


def _seal(session: Session, pending: list) -> None:
    audit_chain.extend(session, audit_chain.ADMIN, pending, audit_chain.admin_event_hash)


audit.TRAILS[_PENDING] = _seal  # after the case trails


def query(*, object_type: str | None = None, object_id: str | None = None, actor: str | None = None,
          action: str | None = None):
    """Administrative events, newest first, optionally for one object, actor or action."""
    found = select(AdminAuditEvent)
    if object_type:
        found = found.where(AdminAuditEvent.object_type == object_type)
    if object_id:
        found = found.where(AdminAuditEvent.object_id == str(object_id))
    if actor:
        found = found.where(AdminAuditEvent.actor == actor)
    if action:
        found = found.where(AdminAuditEvent.action == action)
    return found.order_by(AdminAuditEvent.id.desc())


def events(session: Session, request: PageRequest, **filters) -> Page:
    return paginate(session, query(**filters), request)


def as_dict(event: AdminAuditEvent) -> dict:
    return {"id": event.id, "at": event.at.replace(tzinfo=timezone.utc).isoformat(),
            "actor": event.actor, "action": event.action, "object_type": event.object_type,
            "object_id": event.object_id, "before": event.before, "after": event.after, "reason": event.reason,
            "hash": event.event_hash}
