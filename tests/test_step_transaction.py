"""A completion is one transaction on one connection: the task is locked and its case read with one statement,
the step is written and the case's next tasks read before the commit (on PostgreSQL in one round trip that
starts with the case's version check). A step that lost the race to another transaction leaves nothing
behind and is re-run."""
from sqlalchemy import event, select, text

from app.models import AuditEvent, HumanTask, ProcessInstance
from app.services.audit import audit_chain
from app.services.cases import store, tasks

from audit_helpers import open_task, user
from conftest import FIXTURES
from app.services.cases import instances
from app.services.modelling import publishing


def _start(db):
    with db.session() as session:
        publishing.publish(session, publishing.collect_paths([FIXTURES / "basic"], None), "tester")
    return instances.start_instance(db, "loop_review", {"case_no": "T-1", "amount": 5, "rounds": 0}, "sales")


class _Watch:
    def __init__(self, engine):
        self.engine, self.statements, self.commits, self.checkouts = engine, [], 0, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine.pool, "checkout", self._checkout)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine.pool, "checkout", self._checkout)

    def _statement(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    def _commit(self, conn):
        self.commits += 1

    def _checkout(self, *args):
        self.checkouts += 1


def test_a_completion_is_one_transaction_that_answers_with_the_next_tasks(db, backend):
    iid = _start(db)
    sales = user(db, "sales")
    task_id = open_task(db, iid).id
    with _Watch(db.engine) as watch:
        following = tasks.complete(db, sales, task_id, {"text": "初稿"})
    assert (watch.checkouts, watch.commits) == (1, 1)
    if backend == "postgres":  # lock + case; the written step and the next tasks in one round trip
        assert len(watch.statements) == 2, watch.statements
    assert [t.task_name for t in following] == ["review"]
    assert following[0].group_code == "quality" and following[0].state == "ready"
    with db.session() as session:  # the completed task the answer shows is the task as stored
        stored = session.get(HumanTask, task_id)
        assert stored.completed_by == "sales" and stored.state == "completed"
        assert tasks.task_dict(following.task) == tasks.task_dict(stored)


def test_a_step_that_lost_the_race_writes_nothing_and_is_run_again(db, backend, monkeypatch):
    iid = _start(db)
    sales = user(db, "sales")
    task_id = open_task(db, iid).id
    with db.session() as session:
        before = session.get(ProcessInstance, iid).lock_version
    real_save, calls = store.save, []

    def save_after_someone_else(session, instance, *args, **kwargs):
        calls.append(instance.lock_version)
        if len(calls) == 1:  # another transaction saves the case between this step's read and its write
            with db.engine.begin() as other:
                other.execute(text("UPDATE process_instances SET lock_version = lock_version + 1 WHERE id = :i"),
                              {"i": iid})
        return real_save(session, instance, *args, **kwargs)

    monkeypatch.setattr(store, "save", save_after_someone_else)
    following = tasks.complete(db, sales, task_id, {"text": "初稿"})
    assert calls == [before, before + 1]  # refused once, then run again on the version the other one left
    assert [t.task_name for t in following] == ["review"]
    with db.session() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance.lock_version == before + 2
        completed = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                              AuditEvent.event_type == "completed")).all()
        assert [(e.task_id, e.actor) for e in completed] == [(task_id, "sales")]  # once, not twice
        ready = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                        HumanTask.state == "ready")).all()
        assert [t.task_name for t in ready] == ["review"]  # the refused attempt left no second row
        assert instance.case_data["text"] == "初稿"
        assert audit_chain.verify(session).ok
