"""Writing and reading the append-only audit trail.

record() queues an event on the session; the events are chained (audit_chain.seal) and inserted when the
transaction commits, so they are written in the same transaction as the change they record and the chain
head is locked only at the very end of it. A step takes its case's events earlier (take_case_events): it
chains them itself and moves the head with the UPDATE that saves the case (services/cases/store.save).
Events are inserted with one batched statement per transaction (write_events)."""
from sqlalchemy import event as sa_event, insert, select
from sqlalchemy.orm import Session

from ... import clock
from ...models import AuditEvent
from . import audit_chain

_PENDING = "audit_pending"
# functions called with (session, events) when a transaction with audit events commits, before the events
# are sealed: what else an event implies is written in the same transaction (webhook deliveries)
OBSERVERS: list = []


def record(session: Session, event_type: str, *, instance_id: int | None = None, actor: str | None = None,
           task_id: str | None = None, element_id: str | None = None, data: dict | None = None) -> AuditEvent:
    event = AuditEvent(instance_id=instance_id, event_type=event_type, actor=actor, at=clock.now(),
                       task_id=task_id, element_id=element_id, data=audit_chain.normalise(data))
    queue(session, _PENDING, event)
    return event


def queue(session: Session, trail: str, event) -> None:
    """Queue an event of a trail (a key of TRAILS) on the session; it is sealed and written at commit."""
    session.info.setdefault(trail, []).append(event)


def _observe(session: Session, events: list) -> None:
    for observe in OBSERVERS:
        observe(session, events)


def _seal_case_events(session: Session, pending: list) -> None:
    audit_chain.seal(session, pending)
    write_events(session, pending)


def take_case_events(session: Session, instance_id: int) -> list[AuditEvent]:
    """The events queued for the case so far, taken off the queue to be chained and written (write_events)
    by the caller in this transaction."""
    pending = session.info.get(_PENDING)
    if not pending:
        return []
    taken = [e for e in pending if e.instance_id == instance_id]
    if taken:
        session.info[_PENDING] = [e for e in pending if e.instance_id != instance_id]
    return taken


_EVENT_COLUMNS = [c.key for c in AuditEvent.__table__.columns if c.key != "id"]
INSERT_EVENT = insert(AuditEvent.__table__)


def event_row(event: AuditEvent) -> dict:
    """The parameters of INSERT_EVENT for a chained event."""
    return {key: getattr(event, key) for key in _EVENT_COLUMNS}


def written(session: Session, events: list[AuditEvent]) -> None:
    """The events are written: what they imply (the observers': webhook deliveries) is written now."""
    if events:
        _observe(session, events)


def write_events(session: Session, events: list[AuditEvent]) -> None:
    """Insert chained events with one statement (executemany), then what they imply."""
    if events:
        session.connection().execute(INSERT_EVENT, [event_row(e) for e in events])
        written(session, events)


# the trails written when a transaction commits, in this order (one lock order for every writer): the key
# their events are queued under -> the function that chains them (the administrative trail adds itself)
TRAILS = {_PENDING: _seal_case_events}


@sa_event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    for trail, seal in TRAILS.items():
        pending = session.info.pop(trail, None)
        if pending:
            seal(session, pending)
            if trail != _PENDING:  # the case trail writes its events itself
                session.add_all(pending)


@sa_event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    for trail in TRAILS:
        session.info.pop(trail, None)
    audit_chain.forget_case_heads(session)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    audit_chain.forget_case_heads(session)  # other transactions may move them from now on


def events_for(session: Session, instance_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.id)))


def as_dict(event: AuditEvent) -> dict:
    return {"id": event.id, "type": event.event_type, "actor": event.actor, "at": clock.iso(event.at),
            "task_id": event.task_id, "element_id": event.element_id, "data": event.data,
            "hash": event.event_hash}
