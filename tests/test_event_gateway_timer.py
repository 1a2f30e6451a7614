"""A timer behind an event-based gateway is a durable timer like any other: listed, fired once, recorded."""
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.models import AuditEvent, ProcessInstance, Timer
from app.services.cases import instances, timers
from app.services.modelling import publishing
from conftest import FIXTURES


def test_timer_behind_event_based_gateway_fires(db):
    with db.session() as session:
        publishing.publish(session, publishing.collect_paths([FIXTURES / "event_gateway"], None), "tester")
    start = clock.now()
    clock.set_now(start)
    try:
        iid = instances.start_instance(db, "arrival_or_timeout", {}, "sales")
        with db.session() as session:
            [row] = session.scalars(select(Timer).where(Timer.instance_id == iid)).all()
            assert row.state == "waiting" and row.element_id == "g"
            assert abs((row.due_at - (start + timedelta(hours=1))).total_seconds()) < 1
        clock.set_now(start + timedelta(minutes=59))
        assert timers.fire_due(db) == 0
        clock.set_now(start + timedelta(hours=1, seconds=1))
        assert timers.fire_due(db) == 1
        assert timers.fire_due(db) == 0
        with db.session() as session:
            assert session.get(ProcessInstance, iid).status == "completed"
            fired = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                             AuditEvent.event_type == "timer_fired")).all()
            assert len(fired) == 1
    finally:
        clock.set_now(None)
