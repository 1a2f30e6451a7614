"""The monthly complaint review (BC-DIR-059 4.8.1): by the 10th the GM office reviews the complaints closed
the month before and publishes the administrative penalties — a standing process, one case looping monthly."""
from datetime import datetime, timedelta

from sqlalchemy import select

from app import clock
from app.models import ProcessInstance
from app.services.cases.standing import start_standing
from process_helpers import Desk, product_sources, publish

REVIEW = {"reviewed_count": 4, "penalties_decided": "生产部扣罚 200 元", "published_on": "2026-12-08"}


def _publish(db):
    publish(db, product_sources(["complaint_monthly_review.bpmn"], [], ["complaint_monthly_review"]))


def test_standing_review_is_started_once(app, db):
    _publish(db)
    first = start_standing(db)
    assert [pid for pid, _ in first] == ["complaint_monthly_review"]
    assert start_standing(db) == []
    result = app.test_cli_runner().invoke(args=["start-standing"])
    assert result.exit_code == 0 and "already running" in result.output
    with db.session() as session:
        assert len(session.scalars(select(ProcessInstance)).all()) == 1


def test_review_task_on_the_first_due_by_the_tenth_then_next_month(db):
    """BC-DIR-059 4.8.1: the review of month M's closed complaints is due by the 10th of M+1."""
    _publish(db)
    desk = Desk(db)
    clock.set_now(datetime(2026, 11, 20, 2, 0))  # 2026-11-20 10:00 China time
    try:
        [(_, iid)] = start_standing(db)
        assert desk.open_tasks(iid) == {}
        # 2026-12-01 00:00 China = 2026-11-30 16:00 UTC: not before
        assert desk.fire_at(datetime(2026, 11, 30, 15, 59)) == 0
        assert desk.fire_at(datetime(2026, 11, 30, 16, 0, 1)) == 1
        task = desk.open_tasks(iid)["gm_review"]
        assert task.group_code == "gm_office"
        assert task.due_at == datetime(2026, 12, 10, 15, 59, 59)  # the end of the 10th, China time
        assert desk.case(iid).business_key == "2026-11"
        desk.do("gm_office", iid, "gm_review", REVIEW)
        # the case loops: December is noted and reviewed on 1 January
        assert desk.case(iid).status == "running"
        assert desk.case(iid).business_key == "2026-12"
        assert desk.fire_at(datetime(2026, 12, 31, 16, 0, 1)) == 1
        assert "gm_review" in desk.open_tasks(iid)
        # stopping the standing review ends the case
        desk.do("gm_office", iid, "gm_review", REVIEW | {"stop_reviews": True})
        assert desk.case(iid).status == "completed"
    finally:
        clock.set_now(None)
