"""The head of a case's audit chain lives on the case row, moved by the step's version-checked UPDATE; the
auditor's verification checks each case's chain against it. A step writes only the task rows that changed."""
from sqlalchemy import create_engine, select, text

from app.engine import runner, state
from app.migrate import upgrade
from app.models import AuditChainHead, AuditEvent, ProcessInstance
from app.services.audit import audit_chain
from app.services.cases import store

from audit_helpers import run_basic_case


def _case(db, iid):
    with db.session() as session:
        instance = session.get(ProcessInstance, iid)
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid)
                                      .order_by(AuditEvent.chain_seq)))
        heads = list(session.scalars(select(AuditChainHead.stream)))
        return instance, events, heads


def test_the_case_row_holds_the_head_of_its_chain(db, published):
    iid = run_basic_case(db)
    instance, events, heads = _case(db, iid)
    assert len(events) > 5
    assert (instance.chain_length, instance.chain_hash) == (len(events), events[-1].event_hash)
    assert f"case:{iid}" not in heads  # no separate head row to lock per case
    with db.session() as session:
        assert audit_chain.verify(session).ok


def test_a_case_row_whose_head_was_moved_back_is_found(db, published):
    iid = run_basic_case(db)
    other = run_basic_case(db, case_no="C-2")
    with db.engine.begin() as conn:  # someone hides the last event by shortening the head
        conn.execute(text("UPDATE process_instances SET chain_length = chain_length - 1 WHERE id = :i"), {"i": iid})
    with db.session() as session:
        result = audit_chain.verify(session)
    assert not result.ok
    assert {p.stream for p in result.problems} == {f"case:{iid}"} and other != iid


def test_a_case_row_without_its_head_is_found(db, published):
    iid = run_basic_case(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE process_instances SET chain_length = 0, chain_hash = '' WHERE id = :i"), {"i": iid})
    with db.session() as session:
        problems = audit_chain.verify(session).problems
    assert [p.stream for p in problems] == [f"case:{iid}"]


def test_existing_heads_move_onto_the_case_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "perf_0001_user_access_version")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO process_versions (id, process_id, version, name, content_hash, sources, spec, "
                          "task_catalog, meta, published_at) VALUES (1, 'p', 1, '', 'h', '{}', '{}', '{}', '{}', "
                          "CURRENT_TIMESTAMP)"))
        for iid in (1, 2):
            conn.execute(text("INSERT INTO process_instances (id, process_id, version_id, status, summary, started_at, "
                              "lock_version, state, case_data) VALUES (:i, 'p', 1, 'running', '{}', "
                              "CURRENT_TIMESTAMP, 1, '{}', '{}')"), {"i": iid})
        conn.execute(text("INSERT INTO audit_chain_heads (stream, length, last_hash) VALUES "
                          "('case:1', 7, 'abc'), ('system', 3, 'def')"))
    upgrade(url)
    with engine.connect() as conn:
        cases = conn.execute(text("SELECT id, chain_length, chain_hash FROM process_instances ORDER BY id")).all()
        streams = conn.execute(text("SELECT stream, length FROM audit_chain_heads")).all()
    engine.dispose()
    assert [tuple(row) for row in cases] == [(1, 7, "abc"), (2, 0, "")]
    assert [tuple(row) for row in streams] == [("system", 3)]


def test_a_save_writes_only_the_task_rows_that_changed(db, published):
    iid = run_basic_case(db, finish=False)
    with db.session() as session:
        instance = session.get(ProcessInstance, iid)
        live = store.load_live(session, instance)
    assert state.collect_changes(live).upserts == []  # predicted tasks as stored are not rewritten
    ready = runner.ready_human_tasks(live)[0]
    runner.complete(live, ready["id"], {"text": "第二稿"})
    assert ready["id"] in {row.task_id for row in state.collect_changes(live).upserts}
    state.mark_saved(live, store.step_clock())
    assert state.collect_changes(live).upserts == []  # once written, unchanged rows are not written again
