"""Storage of instances: versions, failing steps, concurrency, long loops — on SQLite and PostgreSQL."""
import threading

import pytest
from sqlalchemy import func, select, text

from app.models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion, WorkflowTask
from app.services.cases import instances, tasks
from app.services.organisation import org
from app.services.modelling import publishing
from app.services.errors import Conflict, PublishRefused, StepFailed
from conftest import FIXTURES

ENGINE = FIXTURES / "engine"


def _publish(db, path=ENGINE):
    with db.session() as session:
        return publishing.publish(session, publishing.collect_paths([path], None), "tester")


def _user(db, name):
    with db.session() as session:
        return org.get_user(session, name)


def _open_tasks(db, instance_id):
    with db.session() as session:
        return {t.task_name: t.id for t in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state.in_(["ready", "claimed"])))}


def _stored_state(db, instance_id):
    with db.session() as session:
        inst = session.get(ProcessInstance, instance_id)
        rows = session.execute(select(WorkflowTask.task_id, WorkflowTask.state, WorkflowTask.payload)
                               .where(WorkflowTask.instance_id == instance_id)
                               .order_by(WorkflowTask.task_id)).all()
        return inst.lock_version, inst.state, inst.case_data, [tuple(r) for r in rows]


def test_publishing_identical_content_creates_no_new_version(db):
    first = _publish(db)
    again = _publish(db)
    assert first == [{"process_id": "parallel_review", "version": 1, "created": True}]
    assert again == [{"process_id": "parallel_review", "version": 1, "created": False}]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 1
        events = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "version_published")).all()
        assert len(events) == 1 and events[0].data["version"] == 1


def test_new_instances_start_on_latest_version_running_ones_keep_theirs(db, tmp_path):
    _publish(db)
    old = instances.start_instance(db, "parallel_review", {"divisor": 1}, "production")
    changed = tmp_path / "v2"
    changed.mkdir()
    for f in ENGINE.iterdir():
        (changed / f.name).write_bytes(f.read_bytes())
    bpmn = changed / "parallel_review.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace("生产评审", "生产部评审"), encoding="utf-8")
    assert _publish(db, changed)[0]["version"] == 2
    new = instances.start_instance(db, "parallel_review", {"divisor": 1}, "production")
    with db.session() as session:
        versions = {i.id: session.get(ProcessVersion, i.version_id).version
                    for i in session.scalars(select(ProcessInstance))}
        titles = {t.instance_id: t.title for t in session.scalars(
            select(HumanTask).where(HumanTask.task_name == "prod_review"))}
    assert versions == {old: 1, new: 2}
    assert titles == {old: "生产评审", new: "生产部评审"}
    # the old instance still runs to its end on version 1
    production, finance = _user(db, "production"), _user(db, "finance")
    open_old = _open_tasks(db, old)
    tasks.complete(db, production, open_old["prod_review"], {"opinion": "ok"})
    tasks.complete(db, finance, open_old["fin_review"], {"opinion": "ok"})
    with db.session() as session:
        assert session.get(ProcessInstance, old).status == "completed"


def test_broken_diagram_is_refused_with_file_element_and_reason(db, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    text_ = (ENGINE / "parallel_review.bpmn").read_text(encoding="utf-8")
    (broken / "parallel_review.bpmn").write_text(
        text_.replace('name="财务部"', 'name="不存在的部门"').replace("ratio = 100 / divisor", "import os"),
        encoding="utf-8")
    (broken / "opinion.schema.json").write_text('{"type": "object", "properties": {"x": {"type": 12}}}')
    (broken / "bad.bpmn").write_text("<bpmn:definitions")
    with pytest.raises(PublishRefused) as refused:
        _publish(db, broken)
    problems = {(p["file"], p["element_id"]) for p in refused.value.problems}
    messages = " | ".join(p["message"] for p in refused.value.problems)
    assert ("bad.bpmn", "") in problems and "not well-formed" in messages
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 0
    # fix the XML error: now the lane, script and form problems are all reported at once
    (broken / "bad.bpmn").unlink()
    with pytest.raises(PublishRefused) as refused:
        _publish(db, broken)
    found = {(p["file"], p["element_id"]): p["message"] for p in refused.value.problems}
    assert "不存在的部门" in found[("parallel_review.bpmn", "fin_review")]
    assert "import" in found[("parallel_review.bpmn", "check")]
    assert any(f == "opinion.schema.json" for f, _ in found)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 0


def test_hostile_xml_is_refused(db, tmp_path):
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    (hostile / "xxe.bpmn").write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;</bpmn:definitions>')
    with pytest.raises(PublishRefused) as refused:
        _publish(db, hostile)
    assert "not allowed" in refused.value.problems[0]["message"]


def test_failing_script_flags_instance_and_leaves_stored_state_unchanged(db):
    _publish(db)
    production, finance = _user(db, "production"), _user(db, "finance")
    iid = instances.start_instance(db, "parallel_review", {}, "production")
    open_ = _open_tasks(db, iid)
    tasks.complete(db, production, open_["prod_review"], {"opinion": "fine"})
    before = _stored_state(db, iid)
    with pytest.raises(StepFailed) as failed:
        tasks.complete(db, finance, open_["fin_review"], {"opinion": "zero", "divisor": 0})
    assert failed.value.details["element_id"] == "check"
    assert "division by zero" in failed.value.message
    # the workflow state, case data and engine task rows are exactly as before the step
    assert _stored_state(db, iid)[1:] == before[1:]
    with db.session() as session:
        inst = session.get(ProcessInstance, iid)
        assert inst.status == "error" and inst.error_element == "check"
        assert "division by zero" in inst.error_message
        task = session.get(HumanTask, open_["fin_review"])
        assert task.state == "ready" and task.completed_by is None
        kinds = [e.event_type for e in session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid))]
        assert kinds.count("completed") == 1 and kinds[-1] == "error"
    # corrected input: the same task completes and the instance recovers
    tasks.complete(db, finance, open_["fin_review"], {"opinion": "ok", "divisor": 4})
    with db.session() as session:
        inst = session.get(ProcessInstance, iid)
        assert inst.status == "completed" and inst.case_data["ratio"] == 25
        assert inst.error_message is None


def test_two_users_completing_one_task_exactly_one_wins(db):
    _publish(db)
    with db.session() as session:
        org.create_user(session, "production2", "pw", groups=["production"])
    users = [_user(db, "production"), _user(db, "production2")]
    for round_ in range(5):
        iid = instances.start_instance(db, "parallel_review", {"divisor": 1}, "production")
        task_id = _open_tasks(db, iid)["prod_review"]
        barrier = threading.Barrier(2)
        outcomes = {}

        def work(user):
            barrier.wait()
            try:
                tasks.complete(db, user, task_id, {"opinion": user.username})
                outcomes[user.username] = "ok"
            except Conflict as exc:
                outcomes[user.username] = "conflict: " + exc.message

        threads = [threading.Thread(target=work, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [u for u, o in outcomes.items() if o == "ok"]
        assert len(winners) == 1, outcomes
        loser = next(o for o in outcomes.values() if o != "ok")
        assert "already completed" in loser
        with db.session() as session:
            completed = session.scalars(select(AuditEvent).where(
                AuditEvent.instance_id == iid, AuditEvent.event_type == "completed")).all()
            assert [e.actor for e in completed] == winners
            inst = session.get(ProcessInstance, iid)
            assert inst.case_data["opinion"] == winners[0]
            assert session.get(HumanTask, task_id).completed_by == winners[0]


def test_parallel_branches_completed_at_once_both_apply(db):
    """Different tasks of one instance completed at the same moment: a short retry, no error to the user."""
    _publish(db)
    production, finance = _user(db, "production"), _user(db, "finance")
    for _ in range(5):
        iid = instances.start_instance(db, "parallel_review", {"divisor": 2}, "production")
        open_ = _open_tasks(db, iid)
        barrier = threading.Barrier(2)
        errors = []

        def work(user, name):
            barrier.wait()
            try:
                tasks.complete(db, user, open_[name], {"opinion": name})
            except Exception as exc:  # any error reaching the user fails the test
                errors.append(repr(exc))

        threads = [threading.Thread(target=work, args=a) for a in ((production, "prod_review"), (finance, "fin_review"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with db.session() as session:
            assert session.get(ProcessInstance, iid).status == "completed"


def test_loop_of_400_rounds_keeps_working(db, published):
    """SpiffWorkflow walks only 1,000 levels of its task tree; history compaction keeps long loops alive."""
    sales, quality = _user(db, "sales"), _user(db, "quality")
    iid = instances.start_instance(db, "loop_review", {"case_no": "L-1", "amount": 1, "rounds": 0}, "sales")
    row_counts = []
    for round_ in range(400):
        open_ = _open_tasks(db, iid)
        tasks.complete(db, sales, open_["draft"], {"text": f"v{round_}"})
        if round_ % 100 == 0:  # also from a cold start: reload from the database
            with db.session() as session:
                from app.services.cases.store import live_cache
                live_cache(session).clear()
        open_ = _open_tasks(db, iid)
        assert list(open_) == ["review"], f"round {round_}: {open_}"
        tasks.complete(db, quality, open_["review"], {"approved": round_ == 399})
        with db.session() as session:
            row_counts.append(session.scalar(select(func.count()).select_from(WorkflowTask).where(
                WorkflowTask.instance_id == iid, WorkflowTask.archived.is_(False))))
    with db.session() as session:
        inst = session.get(ProcessInstance, iid)
        assert inst.status == "completed"
        assert inst.case_data["rounds"] == 400 and inst.case_data["text"] == "v399"
        completed = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == iid, AuditEvent.event_type == "completed"))
        assert completed == 800
        archived = session.scalar(select(func.count()).select_from(WorkflowTask).where(
            WorkflowTask.instance_id == iid, WorkflowTask.archived.is_(True)))
    # the live part stays bounded while the history is kept (archived, not deleted)
    assert max(row_counts) < 200 and archived > 1500
