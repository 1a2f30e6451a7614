"""Tamper evidence: the audit trail is hash-chained and `flask --app app audit verify` finds the first
event that was altered or deleted by hand."""
import threading

import pytest
from sqlalchemy import select, text

from app.models import AuditEvent
from app.services.audit import audit_chain
from app.services.cases import tasks
from app.services.errors import ServiceError

from audit_helpers import open_task, run_basic_case, tamper, user


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _events(db, iid):
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid)
                                    .order_by(AuditEvent.id)))


def test_every_event_is_chained_to_the_one_before(app, db, published):
    iid = run_basic_case(db)
    events = _events(db, iid)
    assert [e.chain_seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == ""
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.event_hash and len(after.event_hash) == 64
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_an_edited_row_is_found_and_named(app, db, published):
    iid = run_basic_case(db)
    victim = [e for e in _events(db, iid) if e.event_type == "completed"][1]
    tamper(db, "UPDATE audit_events SET data = :data WHERE id = :id",
           data='{"submitted": {"approved": true}, "changes": {}}', id=victim.id)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"first broken event #{victim.id} (case:{iid}" in result.output
    with db.session() as session:
        assert audit_chain.verify(session).first.event_id == victim.id


def test_an_edited_actor_or_time_is_found(app, db, published):
    iid = run_basic_case(db)
    victim = [e for e in _events(db, iid) if e.event_type == "claimed"][0]
    tamper(db, "UPDATE audit_events SET actor = 'sales_head' WHERE id = :id", id=victim.id)
    result = _verify(app)
    assert result.exit_code == 1 and f"event #{victim.id}" in result.output


def test_a_deleted_row_is_found_and_the_next_event_named(app, db, published):
    iid = run_basic_case(db)
    other = run_basic_case(db, case_no="C-2")
    events = _events(db, iid)
    tamper(db, "DELETE FROM audit_events WHERE id = :id", id=events[3].id)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"first broken event #{events[4].id} (case:{iid}, position 5)" in result.output
    with db.session() as session:
        problems = audit_chain.verify(session).problems
    assert {p.stream for p in problems} == {f"case:{iid}"}  # the other case is intact
    assert other != iid


def test_deleting_the_last_events_of_a_case_is_found(app, db, published):
    iid = run_basic_case(db)
    events = _events(db, iid)
    tamper(db, "DELETE FROM audit_events WHERE id >= :id AND instance_id = :iid", id=events[-2].id, iid=iid)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"first broken event #{events[-3].id}" in result.output and "missing" in result.output


def test_concurrent_writers_do_not_fork_a_chain(app, db, published, backend):
    iid = run_basic_case(db, finish=False)
    quality = user(db, "quality")
    task_id = open_task(db, iid).id
    errors = []

    def claim_and_release():
        try:
            for _ in range(5):
                tasks.claim(db, quality, task_id)
                tasks.unclaim(db, quality, task_id)
        except Exception as exc:  # a refused claim is fine; a broken chain is not
            errors.append(exc)

    threads = [threading.Thread(target=claim_and_release) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.session() as session:
        result = audit_chain.verify(session)
        seqs = session.scalars(select(AuditEvent.chain_seq).where(AuditEvent.instance_id == iid)).all()
    assert result.ok, result.problems
    assert all(isinstance(e, ServiceError) for e in errors), errors  # refusals only, no integrity errors
    assert sorted(seqs) == list(range(1, len(seqs) + 1))


def test_triggers_still_refuse_changes(db, published):
    iid = run_basic_case(db, finish=False)
    with pytest.raises(Exception):
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET actor = 'x' WHERE instance_id = :i"), {"i": iid})
