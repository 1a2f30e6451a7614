"""The company calendar lives in the database: a deadline that crosses 2026-12-31 into a year without an
official schedule is computed on weekdays and marked provisional; entering the 2027 schedule recomputes it
(task due time and waiting timer, each with an audit event); company days and working hours move deadlines
of open cases; administrators are warned before the horizon and `calendar check` names the missing year."""
from datetime import date

from sqlalchemy import select

from app import clock
from app.models import AdminAuditEvent, HumanTask, Timer
from app.services.cases import deadline_recompute, instances, timers
from app.services.errors import ValidationFailed
from app.services.organisation import calendar

from deadline_helpers import (  # noqa: F401  (fixtures)
    china, events, USE, real_clock_afterwards, no_outside_smtp, timer_processes,
)

import pytest

pytestmark = USE

SCHEDULE_2027 = {  # New Year 1–3 January (Friday to Sunday), as an administrator enters it from the notice
    "holidays": [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-01-02", "name": "元旦"},
                 {"date": "2027-01-03", "name": "元旦"}],
    "workdays": [],
}


def _reply(db, iid):
    with db.session() as session:
        task = session.scalar(select(HumanTask).where(HumanTask.instance_id == iid, HumanTask.task_name == "reply"))
        timer = session.scalar(select(Timer).where(Timer.instance_id == iid, Timer.state == "waiting"))
    return task, timer


def test_deadline_across_the_year_end_before_and_after_the_2027_schedule(db, timer_processes):
    clock.set_now(china(2026, 12, 30, 10, 0))
    iid = instances.start_instance(db, "first_reply", {"case_no": "R-27", "received_at": "2026-12-30T02:00:00"},
                                   "sales")
    task, timer = _reply(db, iid)
    # 31 December, then Friday 1 January 2027 counted as a weekday: provisional
    assert task.due_at == china(2027, 1, 1, 18, 0) and task.due_provisional is True
    assert timer.due_at == china(2027, 1, 1, 18, 0)

    result = deadline_recompute.save_year(db, 2027, SCHEDULE_2027, "admin")
    assert result["recomputed"] == {"tasks": 1, "timers": 1}
    task, timer = _reply(db, iid)
    assert task.due_at == china(2027, 1, 4, 18, 0) and task.due_provisional is False  # Monday after New Year
    assert timer.due_at == china(2027, 1, 4, 18, 0)
    moved = events(db, "deadline_recomputed", iid)
    assert {e.element_id for e in moved} == {"reply", timer.element_id}
    assert all(e.data["before"].startswith("2027-01-01T10:00") and e.data["after"].startswith("2027-01-04T10:00")
               for e in moved)

    # the timer fires at the new time, not at the provisional one
    clock.set_now(china(2027, 1, 1, 18, 1))
    assert timers.fire_due(db) == 0
    clock.set_now(china(2027, 1, 4, 18, 1))
    assert timers.fire_due(db) == 1

    with db.session() as session:
        changes = list(session.scalars(select(AdminAuditEvent).where(AdminAuditEvent.object_type == "calendar")))
    assert {c.action for c in changes} == {"calendar_year_changed", "deadlines_recomputed"}


def test_new_cases_use_the_entered_year_and_company_days(db, timer_processes):
    deadline_recompute.save_year(db, 2027, SCHEDULE_2027, "admin")
    clock.set_now(china(2026, 12, 30, 10, 0))
    iid = instances.start_instance(db, "first_reply", {"case_no": "R-28", "received_at": "2026-12-30T02:00:00"},
                                   "sales")
    task, _timer = _reply(db, iid)
    assert task.due_at == china(2027, 1, 4, 18, 0) and not task.due_provisional

    # a plant shutdown on 31 December moves the open task and its timer by one working day
    result = deadline_recompute.save_year(db, 2026, {"company_days": [
        {"date": "2026-12-31", "kind": "shutdown", "name": "年终停产检修"}]}, "admin")
    assert result["recomputed"] == {"tasks": 1, "timers": 1}
    task, timer = _reply(db, iid)
    assert task.due_at == timer.due_at == china(2027, 1, 5, 18, 0)
    with db.session() as session:
        view = calendar.year_view(session, 2026)
    assert view["company_days"] == [{"date": "2026-12-31", "kind": "shutdown", "name": "年终停产检修"}]
    assert any(d["date"] == "2026-10-01" for d in view["holidays"])  # the official schedule stays


def test_working_hours_move_working_day_deadlines(db, timer_processes):
    clock.set_now(china(2026, 12, 1, 10, 0))
    iid = instances.start_instance(db, "first_reply", {"case_no": "R-29", "received_at": "2026-12-01T02:00:00"},
                                   "sales")
    assert _reply(db, iid)[0].due_at == china(2026, 12, 3, 18, 0)
    result = deadline_recompute.save_working_hours(db, "09:00", "17:30", "admin")
    assert result["recomputed"]["tasks"] == 1
    task, timer = _reply(db, iid)
    assert task.due_at == timer.due_at == china(2026, 12, 3, 17, 30)


def test_bad_input_changes_nothing(db):
    with pytest.raises(ValidationFailed) as refused:
        deadline_recompute.save_year(db, 2027, {"holidays": [{"date": "2028-01-01"}, {"date": "2027-13-01"}],
                                                "workdays": [{"date": "2027-01-04"}]}, "admin")
    assert set(refused.value.field_errors) == {"holidays[0]", "holidays[1]", "workdays"}
    with pytest.raises(ValidationFailed):
        deadline_recompute.save_working_hours(db, "18:00", "08:30", "admin")
    with db.session() as session:
        assert calendar.year_view(session, 2027)["scheduled"] is False
        assert calendar.working_hours(session)["end"] == "18:00"


def test_horizon_warning_from_sixty_days_before(db):
    with db.session() as session:
        assert calendar.horizon_status(session, date(2026, 10, 1))["warn"] is False
        status = calendar.horizon_status(session, date(2026, 11, 28))
        assert status["warn"] is True and status["missing_year"] == 2027 and status["days_left"] == 33
    deadline_recompute.save_year(db, 2027, SCHEDULE_2027, "admin")
    with db.session() as session:
        assert calendar.horizon_status(session, date(2026, 11, 28))["warn"] is False


def test_import_file_in_the_notice_wording():
    payload = calendar.parse_import("日期,结束,类型,名称\n2027-10-01,2027-10-07,放假,国庆节\n"
                                    "2027-09-26,,调休上班,国庆节\n2027-08-02,2027-08-06,停产,夏季检修\n", 2027)
    assert len(payload["holidays"]) == 7 and payload["workdays"] == [
        {"date": "2027-09-26", "kind": "workday", "name": "国庆节"}]
    assert [d["kind"] for d in payload["company_days"]] == ["shutdown"] * 5
    with pytest.raises(ValidationFailed):
        calendar.parse_import("2027-10-01,,holidays?,x\n", 2027)


# --- API, page and command line -------------------------------------------------------------------------

def test_api_get_and_put_a_year(api, db, timer_processes):
    clock.set_now(china(2026, 12, 30, 10, 0))
    iid = instances.start_instance(db, "first_reply", {"case_no": "R-30", "received_at": "2026-12-30T02:00:00"},
                                   "sales")
    admin, staff = api("admin"), api("sales")
    view = admin.get("/api/v1/calendar/2027").get_json()
    assert view["scheduled"] is False and view["provisional"] is True and view["horizon"] == "2026-12-31"
    task = staff.get(f"/api/v1/tasks/{_reply(db, iid)[0].id}").get_json()
    assert task.get("due_provisional") is True

    refused = staff.client.put("/api/v1/calendar/2027", headers=staff.headers, json=SCHEDULE_2027)
    assert refused.status_code == 403
    bad = admin.client.put("/api/v1/calendar/2027", headers=admin.headers, json={"holidays": [{"date": "2027-02-30"}]})
    assert bad.status_code == 422 and "holidays[0]" in bad.get_json()["error"]["field_errors"]

    saved = admin.client.put("/api/v1/calendar/2027", headers=admin.headers, json=SCHEDULE_2027)
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["scheduled"] and body["recomputed"] == {"tasks": 1, "timers": 1}
    assert [d["date"] for d in staff.get("/api/v1/calendar/2027").get_json()["holidays"]] == [
        "2027-01-01", "2027-01-02", "2027-01-03"]
    task = staff.get(f"/api/v1/tasks/{_reply(db, iid)[0].id}").get_json()
    assert task["due_provisional"] is False and task["due_at"].startswith("2027-01-04T10:00:00")


def test_calendar_page_warns_and_saves(client, db):
    from web_helpers import login
    clock.set_now(china(2026, 11, 28, 10, 0))
    login(client, "admin")
    page = client.get("/admin/calendar").get_data(as_text=True)
    assert 'id="horizon-warning"' in page and "2027" in page
    assert "calendar-horizon" in client.get("/").get_data(as_text=True)  # on every page for administrators
    response = client.post("/admin/calendar/2027/schedule", data={
        "schedule": "2027-01-01,2027-01-03,放假,元旦\n2027-02-07,,调休上班,春节\n"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="horizon-warning"' not in page
    with db.session() as session:
        view = calendar.year_view(session, 2027)
    assert view["source"] == "entered" and view["workdays"] == [
        {"date": "2027-02-07", "kind": "workday", "name": "春节"}]
    client.post("/admin/calendar/hours", data={"start": "09:00", "end": "17:00"})
    with db.session() as session:
        assert calendar.working_hours(session) == {"start": "09:00", "end": "17:00", "source": "database"}
    login(client, "sales")
    assert client.get("/admin/calendar").status_code == 403
    assert "calendar-horizon" not in client.get("/").get_data(as_text=True)


def test_calendar_check_names_the_missing_year(app, db, tmp_path):
    runner = app.test_cli_runner()
    clock.set_now(china(2026, 11, 28, 10, 0))
    result = runner.invoke(args=["calendar", "check"])
    assert result.exit_code == 1 and "2027" in result.output
    schedule = tmp_path / "2027.csv"
    schedule.write_text("日期,结束,类型,名称\n2027-01-01,2027-01-03,放假,元旦\n", encoding="utf-8")
    imported = runner.invoke(args=["calendar", "import", "2027", str(schedule)])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(args=["calendar", "check"])
    assert result.exit_code == 0 and "2027-12-31" in result.output
