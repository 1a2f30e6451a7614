"""Version diff, migration dry run and real migration, and the compensation-threshold change of the
complaint decision (fixture DMN `complaint_authority`) — on SQLite and PostgreSQL."""
import shutil
from datetime import datetime

from sqlalchemy import select

from app.models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion, WorkflowTask
from app.services.cases import instances, migration, tasks
from app.services.modelling import model_drafts, publishing, versions
from app.services.organisation import org
from conftest import FIXTURES

COMP = FIXTURES / "console" / "compensation"


def _publish_dir(db, path):
    with db.session() as session:
        return publishing.publish(session, publishing.collect_paths([path], None), "process_owner")


def _copy(tmp_path, name="v2"):
    target = tmp_path / name
    shutil.copytree(COMP, target)
    return target


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _open_task(db, instance_id, name):
    with db.session() as session:
        return session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.task_name == name,
            HumanTask.state.in_(["ready", "claimed"])))


def _complete(db, username, instance_id, name, data=None):
    with db.session() as session:
        user = org.get_user(session, username)
    tasks.complete(db, user, _open_task(db, instance_id, name), data or {})


def _case(db, instance_id):
    with db.session() as session:
        inst = session.get(ProcessInstance, instance_id)
        return session.get(ProcessVersion, inst.version_id).version, inst.case_data


def _raise_threshold(db, tmp_path):
    """The owner raises the Marketing head's limit from 1,000 to 2,000 CNY and publishes (version 2)."""
    with db.session() as session:
        dmn = versions.version_file(session, "complaint_comp", 1, "complaint_comp.dmn")
        dmn = dmn.replace("&lt;= 1000<", "&lt;= 2000<").replace("1000 &lt; ? &lt;= 5000", "2000 &lt; ? &lt;= 5000")
        model_drafts.save_draft(session, "complaint_comp", "complaint_comp.dmn", dmn, "process_owner")
    with db.session() as session:
        return model_drafts.publish_working_set(session, "complaint_comp", "process_owner")


def test_new_threshold_applies_to_new_complaints_running_ones_keep_theirs(db, tmp_path):
    _publish_dir(db, COMP)
    running = instances.start_instance(db, "complaint_comp", {"case_no": "2026-01-0001", "amount": 1500}, "sales")
    assert _raise_threshold(db, tmp_path) == [{"process_id": "complaint_comp", "version": 2, "created": True}]
    new = instances.start_instance(db, "complaint_comp", {"case_no": "2026-01-0002", "amount": 1500}, "sales")
    for iid in (running, new):
        _complete(db, "sales", iid, "intake")
    assert _case(db, running) == (1, {"case_no": "2026-01-0001", "amount": 1500, "approver": "general_manager"})
    assert _case(db, new)[0] == 2 and _case(db, new)[1]["approver"] == "marketing_head"
    with db.session() as session:
        assert model_drafts.list_drafts(session, "complaint_comp") == []  # used up by publishing


def test_migrated_complaint_follows_the_new_rule_and_is_audited(db, tmp_path):
    _publish_dir(db, COMP)
    iid = instances.start_instance(db, "complaint_comp", {"case_no": "2026-01-0003", "amount": 1500}, "sales")
    task_before = _open_task(db, iid, "intake")
    _raise_threshold(db, tmp_path)
    with db.session() as session:
        plan = migration.dry_run(session, "complaint_comp")
    assert plan["to_version"] == 2
    assert [(i["id"], i["can_migrate"], i["reasons"]) for i in plan["instances"]] == [(iid, True, [])]
    assert _case(db, iid)[0] == 1  # a dry run changes nothing
    results = migration.migrate_instances(db, "complaint_comp", [iid], "process_owner")
    assert results == [{"id": iid, "migrated": True, "to_version": 2, "reasons": []}]
    assert _open_task(db, iid, "intake") == task_before  # the waiting task keeps its identity
    with db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                          AuditEvent.event_type == "migrated")).all()
        assert [(e.actor, e.data["from_version"], e.data["to_version"]) for e in events] == [("process_owner", 1, 2)]
    db.caches.clear()  # no cached workflow: the stored rows alone must be complete
    _complete(db, "sales", iid, "intake")
    version, data = _case(db, iid)
    assert version == 2 and data["approver"] == "marketing_head"
    _complete(db, "gm_office", iid, "approve")
    with db.session() as session:
        assert session.get(ProcessInstance, iid).status == "completed"


def test_dry_run_names_cases_whose_current_task_was_removed_or_changed(db, tmp_path):
    _publish_dir(db, COMP)
    at_intake = instances.start_instance(db, "complaint_comp", {"case_no": "A", "amount": 10}, "sales")
    at_approve = instances.start_instance(db, "complaint_comp", {"case_no": "B", "amount": 10}, "sales")
    _complete(db, "sales", at_approve, "intake")
    v2 = _copy(tmp_path)
    _edit(v2 / "complaint_comp.bpmn", 'id="approve" name="审批">\n      <bpmn:extensionElements>\n        <spiffworkflow:properties>',
          'id="approve" name="审批(新)">\n      <bpmn:extensionElements>\n        <spiffworkflow:properties>\n'
          '          <spiffworkflow:property name="headOnly" value="true" />')  # a new rule, not only a new name
    _publish_dir(db, v2)
    v3 = _copy(tmp_path, "v3")  # the intake step is dropped: start leads straight to the decision
    _edit(v3 / "complaint_comp.bpmn", "<bpmn:flowNodeRef>intake</bpmn:flowNodeRef>", "")
    bpmn = (v3 / "complaint_comp.bpmn").read_text(encoding="utf-8")
    start, end = bpmn.index('<bpmn:userTask id="intake"'), bpmn.index('<bpmn:businessRuleTask')
    bpmn = bpmn[:start] + bpmn[end:]
    bpmn = bpmn.replace('targetRef="intake"', 'targetRef="authority"').replace("<bpmn:incoming>f2</bpmn:incoming>",
                                                                            "<bpmn:incoming>f1</bpmn:incoming>")
    bpmn = bpmn.replace('<bpmn:sequenceFlow id="f2" sourceRef="intake" targetRef="authority" />', "")
    start, end = bpmn.index('<bpmndi:BPMNShape id="intake_di"'), bpmn.index('<bpmndi:BPMNShape id="authority_di"')
    bpmn = bpmn[:start] + bpmn[end:]
    start = bpmn.index('<bpmndi:BPMNEdge id="f2_di"')
    bpmn = bpmn[:start] + bpmn[bpmn.index("</bpmndi:BPMNEdge>", start) + len("</bpmndi:BPMNEdge>"):]
    (v3 / "complaint_comp.bpmn").write_text(bpmn, encoding="utf-8")
    _publish_dir(db, v3)
    with db.session() as session:
        to_v2 = {i["id"]: i for i in migration.dry_run(session, "complaint_comp", to_version=2)["instances"]}
        to_v3 = {i["id"]: i for i in migration.dry_run(session, "complaint_comp", to_version=3)["instances"]}
    assert to_v2[at_intake]["can_migrate"] is True
    assert to_v2[at_approve]["can_migrate"] is False
    assert [(r["code"], r["element_id"]) for r in to_v2[at_approve]["reasons"]] == [("current_changed", "approve")]
    assert "审批" in to_v2[at_approve]["reasons"][0]["message"]
    assert [(r["code"], r["element_id"]) for r in to_v3[at_intake]["reasons"]] == [("current_removed", "intake")]
    assert [(r["code"], r["element_id"]) for r in to_v3[at_approve]["reasons"]] == [("history_removed", "intake")]
    results = migration.migrate_instances(db, "complaint_comp", [at_intake, at_approve], "process_owner", to_version=3)
    assert [r["migrated"] for r in results] == [False, False]
    assert _case(db, at_intake)[0] == 1 and _case(db, at_approve)[0] == 1
    with db.session() as session:
        assert not session.scalars(select(AuditEvent).where(AuditEvent.event_type == "migrated")).all()


def test_migration_rewrites_every_stored_task_row(db, tmp_path):
    _publish_dir(db, COMP)
    iid = instances.start_instance(db, "complaint_comp", {"case_no": "C", "amount": 10}, "sales")
    _raise_threshold(db, tmp_path)
    with db.session() as session:
        before = dict(session.execute(select(WorkflowTask.task_id, WorkflowTask.payload)
                                      .where(WorkflowTask.instance_id == iid)).all())
    migration.migrate_instances(db, "complaint_comp", [iid], "process_owner")
    with db.session() as session:
        after = dict(session.execute(select(WorkflowTask.task_id, WorkflowTask.payload)
                                     .where(WorkflowTask.instance_id == iid, WorkflowTask.archived.is_(False))).all())
    assert before and after
    # nothing stored is left behind from the old tree: every live row belongs to the migrated workflow
    with db.session() as session:
        inst = session.get(ProcessInstance, iid)
        from app.services.cases import store
        live = store.load_live(session, inst)
        assert {str(t) for t in live.workflow.tasks} == set(after)


def test_version_diff_lists_changed_elements_with_names(db, tmp_path):
    _publish_dir(db, COMP)
    v2 = _copy(tmp_path)
    _edit(v2 / "complaint_comp.bpmn", 'id="approve" name="审批"', 'id="approve" name="总经理审批"')
    _edit(v2 / "complaint_comp.dmn", "&gt; 5000", "&gt;= 5000.01")
    _edit(v2 / "complaint_comp.dmn", "1000 &lt; ? &lt;= 5000", "1000 &lt; ? &lt; 5000.01")
    _publish_dir(db, v2)
    with db.session() as session:
        diff = versions.compare(session, "complaint_comp", 1, 2)
    changed = {e["id"]: e for e in diff["elements"]["changed"]}
    assert changed["approve"]["name"] == "总经理审批" and "bpmn_name" in changed["approve"]["attributes"]
    assert "authority" in changed  # the decision table it evaluates changed
    assert diff["elements"]["added"] == [] and diff["elements"]["removed"] == []
    assert [f["file"] for f in diff["files"]["changed"]] == ["complaint_comp.bpmn", "complaint_comp.dmn"]
    assert "总经理审批" in diff["files"]["changed"][0]["diff"]


def test_complaint_threshold_change_applies_to_new_complaints_and_to_migrated_ones(db):
    """Done-when of the console: the process owner raises the Marketing head's limit in
    complaint_authority (processes/complaint_authority.dmn) from 1,000 to 2,000 CNY and publishes; the next
    complaint follows the new rule, a running one keeps the old rule, a deliberately migrated one moves."""
    from app import clock
    from tests.complaint_helpers import ComplaintDesk, publish_complaints
    clock.set_now(datetime(2025, 9, 29, 2, 0))  # a Monday morning in China
    try:
        publish_complaints(db)
        desk = ComplaintDesk(db)
        keeps, moves = desk.open(), desk.open()
        with db.session() as session:
            dmn = model_drafts.working_set(session, "complaint_handling")["complaint_authority.dmn"]
            dmn = dmn.replace("&lt;= 1000<", "&lt;= 2000<").replace("1000 &lt; ? &lt;= 5000", "2000 &lt; ? &lt;= 5000")
            model_drafts.save_draft(session, "complaint_handling", "complaint_authority.dmn", dmn, "process_owner")
        with db.session() as session:
            published = model_drafts.publish_working_set(session, "complaint_handling", "process_owner")
        assert [(r["process_id"], r["created"]) for r in published] == [("complaint_handling", True)]
        new = desk.open()
        assert migration.migrate_instances(db, "complaint_handling", [moves], "process_owner")[0]["migrated"]
        for iid in (keeps, moves, new):
            desk.to_approval(iid, amount=1500)
        assert desk.open_names(keeps) == {"approve_gm"}
        assert desk.open_names(new) == {"approve_marketing"}
        assert desk.open_names(moves) == {"approve_marketing"}
    finally:
        clock.set_now(None)
