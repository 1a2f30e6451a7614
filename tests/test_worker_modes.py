"""Both run modes, for real and briefly: the embedded background thread of `serve`, and a Celery worker
with beat on Redis and PostgreSQL. A complaint whose 10-day commitment has passed reaches the VP's inbox,
the audit trail and the VP's mailbox without anyone calling the firing code."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app import clock
from app.background import EmbeddedWorker
from app.models import HumanTask

from celery_helpers import celery_worker_until, require_redis, wait_for
from deadline_helpers import (  # noqa: F401  (fixtures)
    events, start_complaint, USE, real_clock_afterwards, no_outside_smtp, smtp, emails, timer_processes,
)

pytestmark = USE


def _vp_task(db):
    with db.session() as session:
        return session.scalar(select(HumanTask).where(HumanTask.task_name == "vp_decide"))


def test_embedded_worker_fires_escalates_and_mails(app, db, timer_processes, smtp, emails):
    received = datetime(2025, 9, 25, 2, 0)
    iid = start_complaint(db, received)
    clock.set_now(received + timedelta(days=10, minutes=1))
    worker = EmbeddedWorker(app, poll=0.2, deadline_check=0.2).start()
    try:
        assert wait_for(lambda: smtp.to("vp@example.com") and smtp.to("gm_office@example.com"), 15)
    finally:
        worker.stop()
    assert _vp_task(db) is not None
    assert [e.data["target_group"] for e in events(db, "escalated", iid)] in (["vp", "gm_office"],
                                                                               ["gm_office", "vp"])


@pytest.fixture
def redis_broker():
    return require_redis("the Celery worker test")


@pytest.mark.parametrize("backend", ["postgres"])
def test_celery_worker_with_beat_escalates_a_late_complaint(db, timer_processes, smtp, emails, database_url,
                                                           redis_broker, tmp_path):
    # the complaint arrived eleven days ago (real time): its 10-day commitment has passed
    received = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=11)
    iid = start_complaint(db, received)
    clock.set_now(None)
    reached, log = celery_worker_until(lambda: smtp.to("vp@example.com") and smtp.to("gm_office@example.com"),
                                       database_url, tmp_path)
    assert reached, log
    assert len(events(db, "timer_fired", iid)) == 1
    assert {e.data["target_group"] for e in events(db, "escalated", iid)} == {"vp", "gm_office"}
    assert _vp_task(db) is not None
    assert any("升级督办" in m["subject"] for m in smtp.to("vp@example.com"))
