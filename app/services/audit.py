"""Writing and reading the append-only audit trail."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..models import AuditEvent


def record(session: Session, event_type: str, *, instance_id: int | None = None, actor: str | None = None,
           task_id: str | None = None, element_id: str | None = None, data: dict | None = None) -> AuditEvent:
    event = AuditEvent(instance_id=instance_id, event_type=event_type, actor=actor, at=clock.now(),
                       task_id=task_id, element_id=element_id, data=data or {})
    session.add(event)
    return event


def events_for(session: Session, instance_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.id)))


def as_dict(event: AuditEvent) -> dict:
    return {"id": event.id, "type": event.event_type, "actor": event.actor, "at": event.at.isoformat(),
            "task_id": event.task_id, "element_id": event.element_id, "data": event.data}
