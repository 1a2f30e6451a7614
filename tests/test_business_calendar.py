"""Working days follow the official Chinese calendar: National Day 2025 (1–8 October off) and its make-up
working days (Sunday 28 September, Saturday 11 October); calendar-day clocks stay calendar days; working
hours are a setting; process owners write working days in dueIn and in timer expressions."""
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.models import HumanTask, Timer
from app.services.cases import instances, timers
from app.workcalendar import due_at

from deadline_helpers import (  # noqa: F401  (fixtures)
    china, events, USE, real_clock_afterwards, no_outside_smtp, timer_processes,
)

pytestmark = USE


def test_working_days_skip_national_day_and_count_the_make_up_saturday():
    assert due_at("2WD", china(2025, 9, 30, 10, 0)) == china(2025, 10, 10, 18, 0)
    assert due_at("1WD", china(2025, 10, 10, 10, 0)) == china(2025, 10, 11, 18, 0)  # make-up Saturday
    assert due_at("2WD", china(2025, 10, 10, 10, 0)) == china(2025, 10, 13, 18, 0)  # Sunday 12th is off
    assert due_at("1WD", china(2025, 9, 27, 10, 0)) == china(2025, 9, 28, 18, 0)  # make-up Sunday


def test_calendar_day_clocks_run_through_the_holiday():
    # whole calendar days end at the end of the last day, China time; hours are exact
    assert due_at("P10D", china(2025, 9, 30, 10, 0)) == china(2025, 10, 10, 23, 59, 59)
    assert due_at("P10D", china(2025, 9, 30, 7, 0)) == china(2025, 10, 10, 23, 59, 59)  # 23:00 UTC the day before
    assert due_at("PT24H", china(2025, 9, 30, 10, 0)) == china(2025, 10, 1, 10, 0)


def test_working_hours_are_a_setting(monkeypatch):
    # 16:00 on the last day before the holiday: two hours that day, two after the holiday
    assert due_at("4WH", china(2025, 9, 30, 16, 0)) == china(2025, 10, 9, 10, 30)
    monkeypatch.setenv("WORKDAY_START", "09:00")
    monkeypatch.setenv("WORKDAY_END", "17:00")
    assert due_at("4WH", china(2025, 9, 30, 16, 0)) == china(2025, 10, 9, 12, 0)
    assert due_at("1WD", china(2025, 9, 30, 10, 0)) == china(2025, 10, 9, 17, 0)


def test_due_dates_and_timers_in_working_days_from_the_diagram(db, timer_processes):
    clock.set_now(china(2025, 9, 30, 10, 0))
    iid = instances.start_instance(db, "first_reply", {"case_no": "R-1", "received_at": "2025-09-30T02:00:00"},
                                   "sales")
    with db.session() as session:
        reply = session.scalar(select(HumanTask).where(HumanTask.task_name == "reply"))
        timer = session.scalar(select(Timer).where(Timer.instance_id == iid))
    assert reply.due_at == china(2025, 10, 10, 18, 0)  # dueIn 2WD
    assert timer.due_at == china(2025, 10, 10, 18, 0)  # deadline("2WD")

    clock.set_now(china(2025, 10, 8, 23, 0))  # still the holiday: nothing fires
    assert timers.fire_due(db) == 0
    clock.set_now(china(2025, 10, 10, 18, 1))
    assert timers.fire_due(db) == 1
    [escalated] = events(db, "escalated", iid)
    assert escalated.data["target_group"] == "sales" and escalated.data["heads_only"] is True
    with db.session() as session:
        chase = session.scalar(select(HumanTask).where(HumanTask.task_name == "chase"))
    assert chase.head_only and chase.due_at == china(2025, 10, 10, 18, 1) + timedelta(hours=4)
