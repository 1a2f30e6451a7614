"""Escalation: overdue tasks and fired SLA timers reach the target the diagram names, once, in the target's
inbox and the audit trail; the inbox can tell tasks at risk from overdue ones."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import background, clock
from app.models import Escalation, HumanTask
from app.services.cases import escalations, instances, tasks, timers
from app.services.modelling import publishing
from app.services.errors import PublishRefused

from deadline_helpers import (  # noqa: F401  (fixtures)
    TIMER_FIXTURES, china, events, start_complaint, USE, real_clock_afterwards, no_outside_smtp, smtp, emails, timer_processes,
)

pytestmark = USE

RECEIVED = china(2025, 9, 25, 10, 0)  # Thursday; the handling step (1WD) is due Friday 18:00


def _task(db, element_id) -> HumanTask:
    with db.session() as session:
        return session.scalar(select(HumanTask).where(HumanTask.task_name == element_id))


def test_an_overdue_step_is_escalated_once_to_the_group_the_diagram_names(db, api, timer_processes):
    iid = start_complaint(db, RECEIVED)
    clock.set_now(china(2025, 9, 26, 17, 59))
    assert escalations.scan(db) == 0
    clock.set_now(china(2025, 9, 26, 18, 1))
    assert escalations.scan(db) == 1
    assert escalations.scan(db) == 0  # idempotent: one escalation per task and reason

    [event] = events(db, "escalated", iid)
    assert event.element_id == "handle"
    assert event.data["reason"] == "overdue" and event.data["target_group"] == "gm_office"
    listed = api("gm_office").get("/api/v1/escalations").get_json()["escalations"]
    assert [(e["title"], e["reason"], e["business_key"]) for e in listed] == [("处理投诉", "overdue", "2025-09-0001")]
    assert api("sales").get("/api/v1/escalations").get_json()["escalations"] == []

    handle = _task(db, "handle")
    quality = api("quality")
    assert quality.post(f"/api/v1/tasks/{handle.id}/complete", json={"data": {"result": "已处理"}}).status_code == 200
    gm = api("gm_office")
    assert gm.get("/api/v1/escalations").get_json()["escalations"] == []  # done: no longer open
    assert len(gm.get("/api/v1/escalations?all=1").get_json()["escalations"]) == 1


def test_without_escalateTo_the_heads_of_the_task_group_or_the_setting_decide(db, api, published, monkeypatch):
    clock.set_now(china(2025, 9, 1, 9, 0))
    instances.start_instance(db, "loop_review", {"case_no": "C-1", "amount": 1}, "sales")
    instances.start_instance(db, "loop_review", {"case_no": "C-2", "amount": 1}, "sales")
    clock.set_now(china(2025, 9, 4, 9, 0))  # the drafts (P2D) are overdue

    assert escalations.scan(db, limit=1) == 1
    [first] = api("sales_head").get("/api/v1/escalations").get_json()["escalations"]
    assert first["target_group"] == "sales" and first["heads_only"] is True
    assert api("sales").get("/api/v1/escalations").get_json()["escalations"] == []

    monkeypatch.setenv("ESCALATE_OVERDUE_TO", "总经理室")  # a setting, by group name or code
    assert escalations.scan(db) == 1
    [second] = api("gm_office").get("/api/v1/escalations").get_json()["escalations"]
    assert {first["business_key"], second["business_key"]} == {"C-1", "C-2"}  # the other overdue task


def test_a_fired_sla_timer_escalates_to_the_vp(db, api, timer_processes):
    iid = start_complaint(db, RECEIVED)
    clock.set_now(RECEIVED + timedelta(days=10, seconds=1))
    assert timers.fire_due(db) == 1
    [event] = events(db, "escalated", iid)
    assert event.element_id == "commitment"
    assert event.data == {"reason": "timer", "target_group": "vp", "target_user": None, "heads_only": False,
                          "due_at": (RECEIVED + timedelta(days=10)).isoformat()}
    [listed] = api("vp").get("/api/v1/escalations").get_json()["escalations"]
    assert listed["title"] == "处理投诉 — 10天承诺到期" and listed["task_id"] == _task(db, "handle").id


def test_deadline_status_marks_tasks_at_risk_and_overdue(db, timer_processes, monkeypatch):
    start_complaint(db, china(2025, 9, 25, 8, 0))  # 1WD: due Friday 18:00 China time, 34 hours later
    task = _task(db, "handle")
    assert tasks.deadline_status(task, china(2025, 9, 25, 20, 0)) == "ok"
    assert tasks.deadline_status(task, china(2025, 9, 26, 10, 0)) == "at_risk"  # 26 of 34 hours used
    assert tasks.deadline_status(task, china(2025, 9, 26, 18, 1)) == "overdue"
    monkeypatch.setenv("AT_RISK_SHARE", "0.9")
    assert tasks.deadline_status(task, china(2025, 9, 26, 10, 0)) == "ok"
    task.state = "completed"
    assert tasks.deadline_status(task, china(2025, 9, 28)) == "ok"


def test_an_unknown_escalation_target_is_refused_at_publish_time(db):
    sources = publishing.collect_paths([TIMER_FIXTURES], None)
    sources.bpmn["complaint_sla.bpmn"] = sources.bpmn["complaint_sla.bpmn"].replace(
        b'name="escalateTo" value="vp"', b'name="escalateTo" value="vice_president"')
    with db.session() as session, pytest.raises(PublishRefused) as refused:
        publishing.publish(session, sources, "process_owner")
    [problem] = refused.value.problems
    assert problem["element_id"] == "commitment" and "vice_president" in problem["message"]


def test_complaint_left_untouched_reaches_the_vp_in_the_inbox_audit_and_mail(app, db, api, timer_processes,
                                                                             smtp, emails):
    iid = start_complaint(db, RECEIVED)
    vp = api("vp")
    assert vp.get("/api/v1/tasks").get_json()["tasks"] == []
    clock.set_now(RECEIVED + timedelta(days=10, minutes=5))  # the 10-day commitment has passed
    assert timers.fire_due(db) == 1

    vp = api("vp")  # ten days later: a new sign-in (the first token has expired meanwhile)
    [vp_task] = vp.get("/api/v1/tasks").get_json()["tasks"]
    assert vp_task["task_name"] == "vp_decide" and vp_task["business_key"] == "2025-09-0001"
    [escalation] = vp.get("/api/v1/escalations").get_json()["escalations"]
    assert escalation["reason"] == "timer" and escalation["target_group"] == "vp"
    kinds = [e["type"] for e in vp.get(f"/api/v1/instances/{iid}/events").get_json()["events"]]
    assert kinds.index("timer_fired") < kinds.index("escalated")

    assert background.send_notifications(app) > 0  # what the background worker runs
    subjects = [m["subject"] for m in smtp.to("vp@example.com")]
    assert "升级督办：处理投诉 — 10天承诺到期 已逾期" in subjects
    assert "新待办：副总督办" in subjects
    with db.session() as session:
        assert session.scalar(select(Escalation.target_group)) == "vp"
