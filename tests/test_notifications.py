"""E-mail notifications: queued with the step that causes them, sent by the background worker to the people
concerned in their language, once; a daily digest for those who prefer it; nothing without SMTP settings."""
from datetime import timedelta

from sqlalchemy import select, update

from app import background, clock
from app.models import HumanTask, OutboxMessage, User
from app.services.cases import escalations
from app.services.notifications import notifications

from deadline_helpers import (  # noqa: F401  (fixtures)
    china, free_port, start_complaint, USE, real_clock_afterwards, no_outside_smtp, smtp, emails, timer_processes,
)

pytestmark = USE

RECEIVED = china(2025, 9, 25, 8, 0)  # the handling step (quality, 1WD) is due Friday 18:00 China time


def _outbox(db) -> list[tuple]:
    with db.session() as session:
        return [(r.kind, r.group_code, r.username, r.state) for r in
                session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_a_new_task_is_queued_with_the_step_and_mailed_to_its_queue_later(app, db, timer_processes, smtp, emails):
    with db.session() as session:
        session.execute(update(User).where(User.username == "quality_head").values(locale="en"))
    start_complaint(db, RECEIVED)
    assert _outbox(db) == [("new_task", "quality", None, "pending")]
    assert smtp.messages == []  # nothing is sent inside the user's request

    assert background.send_notifications(app) == 2
    [member] = smtp.to("quality@example.com")
    assert member["subject"] == "新待办：处理投诉"
    assert "2025-09-0001" in member["body"] and "2025/09/26 18:00" in member["body"]  # as pages write it
    [head] = smtp.to("quality_head@example.com")
    assert head["subject"] == "New task in your queue: 处理投诉"
    assert _outbox(db) == [("new_task", "quality", None, "sent")]
    assert background.send_notifications(app) == 0 and len(smtp.messages) == 2


def test_nothing_is_queued_or_sent_without_smtp_settings(app, db, timer_processes, emails):
    start_complaint(db, RECEIVED)
    clock.set_now(RECEIVED + timedelta(days=3))
    escalations.scan(db)
    assert _outbox(db) == []
    assert background.send_notifications(app) == 0


def test_at_risk_overdue_and_escalation_notices_go_out_once(app, db, api, timer_processes, smtp, emails):
    start_complaint(db, RECEIVED)
    background.send_notifications(app)
    handle = "/api/v1/tasks/{}/claim".format(_task_id(db, "handle"))
    assert api("quality").post(handle).status_code == 200  # the holder, not the queue, hears about it now

    clock.set_now(china(2025, 9, 26, 10, 0))  # 26 of 34 hours used
    escalations.scan(db)
    escalations.scan(db)
    background.send_notifications(app)
    assert [m["subject"] for m in smtp.to("quality@example.com")][1:] == ["任务即将逾期：处理投诉"]
    assert smtp.to("quality_head@example.com")[1:] == []

    clock.set_now(china(2025, 9, 26, 18, 30))
    escalations.scan(db)
    escalations.scan(db)
    background.send_notifications(app)
    assert [m["subject"] for m in smtp.to("quality@example.com")][2:] == ["任务已逾期：处理投诉"]
    assert [m["subject"] for m in smtp.to("gm_office@example.com")] == ["升级督办：处理投诉 已逾期"]
    assert [m["subject"] for m in smtp.to("gm_office_head@example.com")] == ["升级督办：处理投诉 已逾期"]


def test_a_task_assigned_to_someone_is_mailed_to_them_only(app, db, timer_processes, smtp, emails):
    start_complaint(db, RECEIVED)
    with db.session() as session:
        task = session.scalar(select(HumanTask).where(HumanTask.task_name == "handle"))
        notifications.task_assigned(session, task, "quality_head")
    background.send_notifications(app)
    assert [m["subject"] for m in smtp.to("quality_head@example.com")] == ["新待办：处理投诉", "任务已指派给您：处理投诉"]
    assert len(smtp.to("quality@example.com")) == 1


def test_a_head_reassigning_a_task_mails_the_new_holder(app, db, api, timer_processes, smtp, emails):
    start_complaint(db, RECEIVED)
    background.send_notifications(app)
    task_id = _task_id(db, "handle")
    response = api("quality_head").post(f"/api/v1/tasks/{task_id}/reassign", json={"assignee": "quality"})
    assert response.status_code == 200 and response.get_json()["claimed_by"] == "quality"
    assert _outbox(db)[-1] == ("assigned", None, "quality", "pending")
    background.send_notifications(app)
    assert [m["subject"] for m in smtp.to("quality@example.com")][1:] == ["任务已指派给您：处理投诉"]


def test_daily_digest_replaces_single_mails_for_those_who_choose_it(app, db, api, timer_processes, smtp, emails):
    quality = api("quality")
    assert quality.get("/api/v1/notifications/settings").get_json() == {
        "daily_digest": False, "email": "quality@example.com"}
    bad = quality.client.put("/api/v1/notifications/settings", headers=quality.headers, json={"daily_digest": "yes"})
    assert bad.status_code == 400 and bad.get_json()["error"]["message"] == "daily_digest 必须为 true 或 false。"
    chosen = quality.client.put("/api/v1/notifications/settings", headers=quality.headers, json={"daily_digest": True})
    assert chosen.get_json()["daily_digest"] is True

    clock.set_now(china(2025, 9, 24, 9, 0))
    background.send_notifications(app)  # today's digest (empty): the next one covers what follows
    start_complaint(db, china(2025, 9, 24, 10, 0), case_no="2025-09-0001")
    start_complaint(db, china(2025, 9, 24, 10, 5), case_no="2025-09-0002")
    background.send_notifications(app)
    assert smtp.to("quality@example.com") == [] and len(smtp.to("quality_head@example.com")) == 2

    clock.set_now(china(2025, 9, 25, 7, 59))  # before DIGEST_TIME (08:00)
    background.send_notifications(app)
    assert smtp.to("quality@example.com") == []
    clock.set_now(china(2025, 9, 25, 8, 1))
    background.send_notifications(app)
    [digest] = smtp.to("quality@example.com")
    assert digest["subject"] == "每日汇总：2 条通知"
    assert "2025-09-0001" in digest["body"] and "2025-09-0002" in digest["body"]
    clock.set_now(china(2025, 9, 25, 17, 0))
    background.send_notifications(app)
    assert len(smtp.to("quality@example.com")) == 1  # one digest a day


def test_an_unreachable_mail_server_leaves_the_messages_queued(app, db, timer_processes, emails, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(free_port()))  # nothing listens there
    start_complaint(db, RECEIVED)
    assert background.send_notifications(app) == 0
    assert _outbox(db) == [("new_task", "quality", None, "pending")]


def _task_id(db, element_id: str) -> str:
    with db.session() as session:
        return session.scalar(select(HumanTask.id).where(HumanTask.task_name == element_id))
