"""Both run modes, for real and briefly: the embedded background thread of `serve`, and a Celery worker
with beat on Redis and PostgreSQL. A complaint whose 10-day commitment has passed reaches the VP's inbox,
the audit trail and the VP's mailbox without anyone calling the firing code."""
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from app import clock
from app.background import EmbeddedWorker
from app.models import HumanTask

from conftest import unavailable
from deadline_helpers import (  # noqa: F401  (fixtures)
    events, start_complaint, USE, real_clock_afterwards, no_outside_smtp, smtp, emails, timer_processes,
)

pytestmark = USE

PROJECT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")


def _wait_for(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _vp_task(db):
    with db.session() as session:
        return session.scalar(select(HumanTask).where(HumanTask.task_name == "vp_decide"))


def test_embedded_worker_fires_escalates_and_mails(app, db, timer_processes, smtp, emails):
    received = datetime(2025, 9, 25, 2, 0)
    iid = start_complaint(db, received)
    clock.set_now(received + timedelta(days=10, minutes=1))
    worker = EmbeddedWorker(app, poll=0.2, deadline_check=0.2).start()
    try:
        assert _wait_for(lambda: smtp.to("vp@example.com") and smtp.to("gm_office@example.com"), 15)
    finally:
        worker.stop()
    assert _vp_task(db) is not None
    assert [e.data["target_group"] for e in events(db, "escalated", iid)] in (["vp", "gm_office"],
                                                                               ["gm_office", "vp"])


def _redis_problem() -> str | None:
    host, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return None if sock.recv(16).startswith(b"+PONG") else "no PONG"
    except OSError as exc:
        return str(exc)


@pytest.fixture
def redis_broker():
    problem = _redis_problem()
    if problem:
        unavailable("the Celery worker test", f"Redis not reachable at {REDIS_URL} ({problem}); "
                    "Celery worker test skipped")
    return REDIS_URL


@pytest.mark.parametrize("backend", ["postgres"])
def test_celery_worker_with_beat_escalates_a_late_complaint(db, timer_processes, smtp, emails, database_url,
                                                           redis_broker, tmp_path):
    # the complaint arrived eleven days ago (real time): its 10-day commitment has passed
    received = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=11)
    iid = start_complaint(db, received)
    clock.set_now(None)
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "DATABASE_URL": database_url, "SECRET_KEY": "test",
           "CELERY_BROKER_URL": redis_broker, "CELERY_QUEUE": f"workflow-test-{uuid.uuid4().hex[:8]}",
           "TIMER_POLL_SECONDS": "1", "DEADLINE_CHECK_SECONDS": "1"}
    log = open(tmp_path / "celery.log", "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "app.worker", "worker", "--beat", "--pool", "solo",
         "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule"), "--without-mingle",
         "--without-gossip", "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h"],
        cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        reached = _wait_for(lambda: smtp.to("vp@example.com") and smtp.to("gm_office@example.com"), 60)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
    assert reached, (tmp_path / "celery.log").read_text()[-3000:]
    assert len(events(db, "timer_fired", iid)) == 1
    assert {e.data["target_group"] for e in events(db, "escalated", iid)} == {"vp", "gm_office"}
    assert _vp_task(db) is not None
    assert any("升级督办" in m["subject"] for m in smtp.to("vp@example.com"))
