"""Dates derived from "now" are China dates; calendar-day deadlines end at the end of the last China day; a
timer already past due when a case is saved fires through the one timer path (audit event, escalation,
notification); every task shows the case's commitment deadline beside its own due time."""
from datetime import datetime

from sqlalchemy import select

from app import clock
from app.engine import scripting
from app.models import AuditEvent, Escalation

from complaint_helpers import desk  # noqa: F401  (fixture)
from deadline_helpers import china

COMMITMENT_END = "2025-10-08T15:59:59+00:00"  # received 28 Sep (China): 10 days end 8 Oct 24:00 China time


def _events(db, iid, kind):
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                             AuditEvent.event_type == kind)))


def test_today_is_the_china_date_and_now_iso_says_it_is_utc():
    clock.set_now(datetime(2026, 3, 1, 23, 30))  # 07:30 on 2 March in China
    try:
        assert scripting.today() == "2026-03-02"
        assert scripting.now_iso() == "2026-03-01T23:30:00+00:00"
        assert "China" in scripting.today.__doc__ and "UTC" in scripting.now_iso.__doc__
        # a China date as the start of a calendar-day deadline starts at 00:00 China time
        assert scripting.deadline("P10D", "2026-03-02") == "2026-03-12T15:59:59+00:00"
    finally:
        clock.set_now(None)


def test_reopened_complaint_between_midnight_and_eight_gets_the_china_date(desk):
    iid = desk.open()
    desk.to_approval(iid)
    desk.approve(iid, "approve_marketing", "marketing_head")
    desk.inform(iid, accepts=False, feedback="折让金额太低")
    clock.set_now(china(2025, 10, 2, 7, 30))  # 1 October 23:30 UTC
    desk.close(iid)
    [child] = desk.children(iid)
    assert child.case_data["received_on"] == "2025-10-02"
    assert child.case_data["commitment_due_at"] == "2025-10-12T15:59:59+00:00"


def test_commitment_ends_at_the_end_of_the_day_and_shows_beside_each_task(desk, api, client):
    iid = desk.open(received_on="2025-09-28")
    assert desk.case(iid).case_data["commitment_due_at"] == COMMITMENT_END
    quality = api("quality")
    [task] = [t for t in quality.get("/api/v1/tasks").get_json()["tasks"] if t["instance_id"] == iid]
    assert task["case_due_at"] == COMMITMENT_END and task["due_at"] != COMMITMENT_END
    assert desk.fire_at(datetime(2025, 10, 8, 15, 58)) == 0  # 8 Oct 23:58 China time: not yet breached
    desk.accept(iid)
    production = api("production")
    [task] = [t for t in production.get("/api/v1/tasks").get_json()["tasks"] if t["instance_id"] == iid]
    assert task["case_due_at"] == COMMITMENT_END

    from web_helpers import login
    login(client, "production")
    page = client.get("/queue").get_data(as_text=True)
    assert "case-due" in page and "2025/10/08 23:59" in page  # China time, beside the task's own due time


def test_a_commitment_already_past_when_registered_fires_through_the_timer_path(desk, api):
    # registered on 29 September for a complaint received on 1 September: the 10 days ended on 11 September
    iid = desk.open(received_on="2025-09-01")
    assert _events(desk.db, iid, "timer_fired") == []
    assert desk.fire_at(clock.now()) == 1
    [fired] = _events(desk.db, iid, "timer_fired")
    assert fired.element_id == "commitment_timer"
    [escalated] = _events(desk.db, iid, "escalated")  # and its notification to the VP in charge
    assert escalated.data["target_group"] == "vp"
    with desk.db.session() as session:
        [escalation] = session.scalars(select(Escalation).where(Escalation.instance_id == iid))
        assert escalation.target_group == "vp" and escalation.reason == "timer"
    assert desk.case(iid).case_data["commitment_breached"] is True
    assert [e["instance_id"] for e in api("vp").get("/api/v1/escalations").get_json()["escalations"]] == [iid]
