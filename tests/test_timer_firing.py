"""Durable timers fire exactly once: across several worker processes on PostgreSQL, after a restart, and
again after a worker died between claiming a timer and committing."""
import os
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import clock, create_app
from app.config import Config
from app.models import HumanTask, ProcessInstance, Timer
from app.services.cases import escalations, timers

from deadline_helpers import (  # noqa: F401  (fixtures)
    china, events, start_complaint, USE, real_clock_afterwards, no_outside_smtp, timer_processes,
)

pytestmark = USE

PROJECT = Path(__file__).resolve().parents[1]
RECEIVED = china(2025, 9, 25, 10, 0)


def _timer_states(db) -> Counter:
    with db.session() as session:
        return Counter(session.scalars(select(Timer.state)))


def _open_vp_tasks(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(HumanTask)
                              .where(HumanTask.group_code == "vp", HumanTask.state == "ready"))


def test_a_due_timer_fires_once_and_nothing_is_saved_before(db, timer_processes):
    iid = start_complaint(db, RECEIVED)
    with db.session() as session:
        version_before = session.get(ProcessInstance, iid).lock_version

    clock.set_now(RECEIVED + timedelta(days=9))
    assert timers.fire_instance(db, iid) == []
    with db.session() as session:
        assert session.get(ProcessInstance, iid).lock_version == version_before  # not saved: nothing fired
    assert events(db, "timer_fired") == []

    clock.set_now(RECEIVED + timedelta(days=10, minutes=1))
    assert timers.fire_due(db) == 1
    assert timers.fire_due(db) == 0
    [fired] = events(db, "timer_fired", iid)
    assert fired.element_id == "commitment" and fired.data["attached_to"] == "handle"
    assert _timer_states(db) == {"fired": 1}
    assert _open_vp_tasks(db) == 1


def test_a_crash_between_claim_and_commit_leaves_the_timer_to_fire_again(db, timer_processes, monkeypatch):
    start_complaint(db, RECEIVED)
    clock.set_now(RECEIVED + timedelta(days=11))

    def worker_dies(*args, **kwargs):
        raise RuntimeError("worker died while firing")
    monkeypatch.setattr(escalations, "timer_fired", worker_dies)
    with pytest.raises(RuntimeError):
        timers.fire_due(db)
    assert _timer_states(db) == {"waiting": 1}
    assert events(db, "timer_fired") == [] and _open_vp_tasks(db) == 0

    monkeypatch.undo()
    assert timers.fire_due(db) == 1
    assert len(events(db, "timer_fired")) == 1 and _open_vp_tasks(db) == 1


def test_timers_due_while_no_worker_ran_fire_once_after_a_restart(db, timer_processes, app):
    for n in range(3):
        start_complaint(db, RECEIVED + timedelta(hours=n), case_no=f"2025-09-000{n + 1}")
    clock.set_now(RECEIVED + timedelta(days=30))  # the product was down for weeks

    restarted = create_app(Config(**{**app.config, "TESTING": True}))  # fresh process state, same database
    try:
        fresh_db = restarted.extensions["db"]
        assert timers.fire_due(fresh_db) == 3
        assert timers.fire_due(fresh_db) == 0
    finally:
        restarted.extensions["db"].dispose()
    assert Counter(e.instance_id for e in events(db, "timer_fired")) == Counter({1: 1, 2: 1, 3: 1})
    assert _open_vp_tasks(db) == 3


WORKER = textwrap.dedent("""
    import os, sys, time
    from datetime import datetime
    from app import clock, create_app
    from app.config import Config
    from app.services.cases import escalations, timers
    clock.set_now(datetime.fromisoformat(sys.argv[1]))
    app = create_app(Config(DATABASE_URL=sys.argv[2], SECRET_KEY="test", TESTING=True))
    db = app.extensions["db"]
    if sys.argv[3] == "crash":
        def die(*args, **kwargs):
            os._exit(3)  # the process dies with the timer claimed and nothing committed
        escalations.timer_fired = die
    print("ready", flush=True)
    go = sys.argv[4]
    while not os.path.exists(go):
        time.sleep(0.01)
    total = 0
    for _ in range(50):
        count = timers.fire_due(db, limit=5)
        total += count
        if not timers.due_instances(db, 1):
            break
    print("fired", total, flush=True)
""")


def _worker(now, url, mode, go):
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.Popen([sys.executable, "-c", WORKER, now.isoformat(), url, mode, str(go)], cwd=PROJECT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("backend", ["postgres"])
def test_two_worker_processes_fire_each_timer_exactly_once(db, timer_processes, database_url, tmp_path):
    cases = 24
    for n in range(cases):
        start_complaint(db, RECEIVED + timedelta(minutes=n), case_no=f"2025-09-{n + 1:04d}")
    now = RECEIVED + timedelta(days=11)
    go = tmp_path / "go"
    workers = [_worker(now, database_url, "normal", go) for _ in range(2)]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
    go.touch()
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], [err[-2000:] for _out, err in outputs]

    totals = [int(out.split()[-1]) for out, _err in outputs]
    fired = Counter(e.task_id for e in events(db, "timer_fired"))
    assert sum(totals) == cases and len(fired) == cases and set(fired.values()) == {1}
    assert len(events(db, "escalated")) == cases
    assert _timer_states(db) == {"fired": cases}
    assert _open_vp_tasks(db) == cases


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_worker_process_killed_after_claiming_leaves_the_timer_for_the_next(db, timer_processes,
                                                                            database_url, tmp_path):
    start_complaint(db, RECEIVED)
    now = RECEIVED + timedelta(days=11)
    go = tmp_path / "go"
    go.touch()
    crashed = _worker(now, database_url, "crash", go)
    crashed.communicate(timeout=60)
    assert crashed.returncode == 3
    assert _timer_states(db) == {"waiting": 1} and events(db, "timer_fired") == []

    clock.set_now(now)
    assert timers.fire_due(db) == 1
    assert len(events(db, "timer_fired")) == 1 and _open_vp_tasks(db) == 1
