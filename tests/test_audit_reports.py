"""Issue 7: the SLA dashboard figures - complaints closed within 10/15 days per month, overdue steps per
department, cycle time per process, waiting time per diagram element - computed from the tables."""
from datetime import datetime, timedelta

import pytest

from app import clock
from app.services.cases import instances, tasks
from app.services.audit import reports

from audit_helpers import login, open_task, user

MONDAY = datetime(2026, 3, 2, 1, 0)  # an ordinary working week in China (UTC)


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.set_now(None)


def _case(db, started: datetime, draft_hours: float, review_hours: float, key: str) -> int:
    """One pass of loop_review: drafted after draft_hours, approved review_hours later."""
    clock.set_now(started)
    iid = instances.start_instance(db, "loop_review", {"case_no": key, "amount": 1, "rounds": 0}, "sales")
    clock.set_now(started + timedelta(hours=draft_hours))
    tasks.complete(db, user(db, "sales"), open_task(db, iid).id, {"text": "x"})
    clock.set_now(started + timedelta(hours=draft_hours + review_hours))
    tasks.complete(db, user(db, "quality"), open_task(db, iid).id, {"approved": True})
    return iid


def test_share_closed_within_the_limits_per_month(db, published):
    _case(db, MONDAY, 1, 1, "K-1")                    # closed the same day
    _case(db, MONDAY, 24 * 11, 2, "K-2")              # 11 days
    _case(db, MONDAY, 24 * 16, 2, "K-3")              # 16 days (closed in March still)
    _case(db, datetime(2026, 4, 1, 1), 1, 1, "K-4")   # April
    with db.session() as session:
        rows = reports.complaint_closure(session, process_id="loop_review")
    assert rows == [{"month": "2026-03", "closed": 3, "within_10": 33.3, "within_15": 66.7},
                    {"month": "2026-04", "closed": 1, "within_10": 100.0, "within_15": 100.0}]


def test_overdue_steps_by_department_and_cycle_times(db, published):
    _case(db, MONDAY, 1, 1, "K-1")
    _case(db, MONDAY, 24 * 3, 1, "K-2")    # the draft is due after 2 days: late
    clock.set_now(MONDAY)
    open_case = instances.start_instance(db, "loop_review", {"case_no": "K-3", "amount": 1}, "sales")
    clock.set_now(MONDAY + timedelta(days=5))  # its draft is still open and overdue
    with db.session() as session:
        steps = reports.overdue_steps(session)
        cycle = reports.cycle_times(session)
        heat = reports.waiting_by_element(session, "loop_review")
    assert steps == [{"group": "sales", "process_id": "loop_review", "element_id": "draft", "title": "起草",
                      "overdue": 2}]
    assert reports.overdue_by_department(steps) == {"sales": 2}
    assert cycle == [{"process_id": "loop_review", "cases": 2, "mean_days": round((2 / 24 + 73 / 24) / 2, 2),
                      "median_days": round((2 / 24 + 73 / 24) / 2, 2), "max_days": round(73 / 24, 2)}]
    assert heat["draft"]["tasks"] == 3 and heat["draft"]["max_hours"] == 120.0
    assert heat["review"] == {"title": "评审", "tasks": 2, "mean_hours": 1.0, "max_hours": 1.0}
    assert open_case


def test_dashboard_page(client, db, published):
    _case(db, MONDAY, 24 * 3, 1, "K-2")
    clock.set_now(MONDAY + timedelta(days=10))
    login(client, "auditor")
    page = client.get("/audit/dashboard?process=loop_review").get_data(as_text=True)
    assert 'id="chart-overdue"' in page and "/vendor/chart.js/chart.umd.min.js" in page
    assert "业务部" in page  # the department by name
    assert client.get("/audit/dashboard?process=nope").status_code == 404
    assert client.get("/vendor/chart.js/chart.umd.min.js").status_code == 200
    assert client.get("/vendor/chart.js/../package.json").status_code == 404
