"""The corrective action of a complaint goes to the department Quality names responsible (seed 000 S7: 由责任
部门制订纠正和预防措施; BC-DIR-059 4.6.4/4.6.6 判定责任归属部门, 4.2 改善项目拟定: 生产部、研发部、总经理室及有关
部门) - any department of the organisation, not only Production or R&D - on SQLite and PostgreSQL.
The step carries groupField = responsible_department: its task joins that department's queue; the case page
and the audit history name the department; a department the organisation lacks is refused; publishing checks
the property; a case of an older version waiting at a step the new version dropped is refused migration."""
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from app import clock
from app.models import AuditEvent, Group, Membership
from app.services.cases import migration
from app.services.errors import Forbidden, ValidationFailed
from app.services.modelling import publishing
from app.services.organisation.org import group_index
from tests.complaint_helpers import COMPLAINT_SOURCES, T0, ComplaintDesk, desk  # noqa: F401 (fixture)
from tests.process_helpers import product_sources, publish
from tests.web_helpers import page_session

FORMS = Path(__file__).resolve().parents[1] / "forms"
CAPA = {"corrective_action": "改进来料检验", "preventive_action": "供应商月度评审", "capa_due": "2025-10-31"}


def _to_capa_decision(desk):
    iid = desk.open()
    desk.to_approval(iid, responsibility="our_quality", remedy_type="none", amount=200)
    desk.approve(iid, "approve_marketing", "marketing_head")
    desk.inform(iid)
    assert desk.open_names(iid) == {"quality_capa_decide"}
    return iid


def _decide(desk, iid, department):
    desk.do("quality", iid, "quality_capa_decide", {"capa_required": True, "responsible_department": department,
                                                    "loss_amount": 500, "penalty": "通报批评"})
    desk.do("general_manager", iid, "gm_approve_penalty", {"penalty_approved": True})


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_decision_form_offers_every_department_but_the_verifier():
    """Every department the regulation allows is offered with its Chinese name; Sales, which verifies the
    corrective action (seed 000 S7, doer is not checker), and the executive roles are not."""
    schema = json.loads((FORMS / "complaint_capa_decision.schema.json").read_text(encoding="utf-8"))
    offered = {c["const"]: c["title"] for c in schema["properties"]["responsible_department"]["oneOf"]}
    groups = {g["code"]: g for g in json.loads(
        (Path(__file__).resolve().parents[1] / "app" / "data" / "groups.json").read_text(encoding="utf-8"))}
    assert set(offered) == {"production", "tech_rd", "quality", "pmc", "warehouse", "marketing", "gm_office",
                            "finance", "admin_hr"}
    for code, title in offered.items():
        assert title.startswith(groups[code]["name_zh"] + " / "), title
    assert "sales" not in offered and not {"general_manager", "vp", "chairman"} & set(offered)


@pytest.mark.parametrize("department, member, outsider", [
    ("pmc", "pmc", "production"), ("warehouse", "warehouse", "tech_rd"), ("production", "production", "pmc")])
def test_the_corrective_action_waits_in_the_responsible_departments_queue(desk, department, member, outsider):
    iid = _to_capa_decision(desk)
    _decide(desk, iid, department)
    task = desk.open_tasks(iid)["capa_responsible"]
    assert task.group_code == department
    with pytest.raises(Forbidden):  # another department may not write it
        desk.do(outsider, iid, "capa_responsible", CAPA)
    desk.do(member, iid, "capa_responsible", CAPA)
    assert desk.open_names(iid) == {"sales_verify_capa"}
    with desk.db.session() as session:
        ready = session.scalar(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                        AuditEvent.event_type == "task_ready",
                                                        AuditEvent.element_id == "capa_responsible"))
        assert ready.data["group"] == department


def test_case_page_and_audit_history_name_the_department(desk, client):
    """The department appears by its name on the case page (current step) and in the audit history."""
    iid = _to_capa_decision(desk)
    _decide(desk, iid, "pmc")
    page = _visible_text(page_session(desk.db, client, "pmc").get(f"/cases/{iid}").get_data(as_text=True))
    assert "责任部门制订纠正预防措施 生产计划物控部" in page
    assert "capa_responsible" not in page and "responsible_department" not in page
    history = _visible_text(page_session(desk.db, client, "auditor").get(f"/audit/cases/{iid}")
                            .get_data(as_text=True))
    assert "生产计划物控部" in history
    assert not re.search(r"\bpmc\b", history), "the department's code is shown instead of its name"


def test_a_department_the_organisation_does_not_have_is_refused(desk):
    """The form offers Admin & HR; if the organisation no longer has that department the decision is
    refused with a clear message and nothing moves."""
    iid = _to_capa_decision(desk)
    with desk.db.session() as session:
        session.execute(delete(Membership).where(Membership.group_code == "admin_hr"))
        session.execute(delete(Group).where(Group.code == "admin_hr"))
    desk.db.caches.pop("groups", None)
    with pytest.raises(ValidationFailed) as refused:
        _decide(desk, iid, "admin_hr")
    assert "admin_hr" in refused.value.field_errors["responsible_department"][0]
    assert desk.open_names(iid) == {"quality_capa_decide"}
    assert "responsible_department" not in desk.case(iid).case_data
    with pytest.raises(ValidationFailed):  # a value the form does not offer at all
        _decide(desk, iid, "sales")
    _decide(desk, iid, "quality")
    assert desk.open_tasks(iid)["capa_responsible"].group_code == "quality"


def _sources(**replace):
    sources = product_sources(**COMPLAINT_SOURCES)
    text = sources.bpmn["complaint_handling.bpmn"].decode("utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    sources.bpmn["complaint_handling.bpmn"] = text.encode("utf-8")
    return sources


def test_publishing_checks_the_group_field(db):
    with db.session() as session:
        _processes, problems = publishing.validate(session, _sources(
            **{'name="groupField" value="responsible_department"': 'name="groupField" value="responsible_dept"'}))
        assert [(p.element_id, p.message) for p in problems] == [
            ("capa_responsible", "groupField 'responsible_dept' names no field of the process's forms")]

        sources = _sources()
        form = json.loads(sources.forms["complaint_capa_decision.schema.json"])
        form["properties"]["responsible_department"]["oneOf"].append({"const": "canteen", "title": "食堂 / Canteen"})
        sources.forms["complaint_capa_decision.schema.json"] = json.dumps(form, ensure_ascii=False).encode("utf-8")
        _processes, problems = publishing.validate(session, sources)
        assert [p.element_id for p in problems] == ["capa_responsible"]
        assert "canteen" in problems[0].message
        assert publishing.validate(session, _sources())[1] == []
        assert set(group_index(session).values()) >= {"pmc", "warehouse", "gm_office"}


def test_a_case_waiting_at_a_dropped_step_is_refused_migration(db):
    """Versions are immutable: a case of the older version whose corrective action waits at Production's own
    step (gone from the new version) keeps running on its version; moving it is refused with the step named
    and the case stays where it was. A case not yet that far moves."""
    clock.set_now(T0)
    try:
        old = _sources(capa_responsible="capa_production", **{
            '            <spiffworkflow:property name="groupField" value="responsible_department" />\n': "",
            "责任部门制订纠正预防措施": "生产部制订纠正预防措施"})
        english = old.labels_en["complaint_handling"]  # the language file names the step by its id too
        for key in [k for k in english if k.startswith("capa_responsible")]:
            english[key.replace("capa_responsible", "capa_production")] = english.pop(key)
        publish(db, old)
        desk = ComplaintDesk(db)
        waiting = _to_capa_decision(desk)
        _decide(desk, waiting, "production")
        assert desk.open_names(waiting) == {"capa_production"}
        early = desk.open()
        publish(db, _sources())
        with db.session() as session:
            report = migration.dry_run(session, "complaint_handling")
        assert report["to_version"] == 2
        found = {r["id"]: r for r in report["instances"]}
        assert found[waiting]["can_migrate"] is False
        assert found[waiting]["reasons"][0]["code"] in ("current_removed", "current_changed")
        assert "生产部制订纠正预防措施" in found[waiting]["reasons"][0]["message"]
        results = {r["id"]: r for r in migration.migrate_instances(db, "complaint_handling", [waiting, early],
                                                                   "process_owner")}
        assert results[waiting]["migrated"] is False
        assert results[early]["migrated"] is True, results[early]
        assert desk.open_names(waiting) == {"capa_production"}
        desk.do("production", waiting, "capa_production", CAPA)  # the old case finishes on its own version
        assert desk.open_names(waiting) == {"sales_verify_capa"}
        desk.accept(early)
        desk.investigate(early)
        desk.consolidate(early, responsibility="our_quality", remedy_type="none", amount=200)
        desk.approve(early, "approve_marketing", "marketing_head")
        desk.inform(early)
        _decide(desk, early, "warehouse")
        assert desk.open_tasks(early)["capa_responsible"].group_code == "warehouse"
    finally:
        clock.set_now(None)
