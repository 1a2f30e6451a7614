"""Crash consistency: load against gunicorn on PostgreSQL, the server (and the timer firer beside it) killed
with SIGKILL at random moments, restarted, and the stored cases checked.

Clients start cases of the ten-step diagram and of a diagram whose user task has a two-second
non-interrupting timer (bench/crash_fixtures/crash_timer.bpmn), and complete tasks through the JSON API;
a separate process fires due timers every half second. After the last restart (and once every timer that
fell due has fired) the checks are:
- every instance deserializes (its live workflow loads through app.services.cases.store.load_live);
- every acknowledged start and completion (a 201/200 the client received) is in the database, completions
  with exactly one `completed` audit event;
- the open human tasks of each instance are exactly the ready user tasks of its workflow;
- the waiting rows of the timers table are exactly the timers the workflow waits for, none is overdue
  (lost), each fired timer has one `timer_fired` event and caused exactly one follow-up task (not twice).

    .venv/bin/python -m bench.crash [--kills N] [--seed N]
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

from . import common, server

TIMER_PROCESS = "bench_crash_timer"
CRASH_FIXTURES = common.BENCH_DIR / "crash_fixtures"
USERS = ("sales", "quality", "production")


def prepare(url: str) -> None:
    server.prepare(url)
    flask = [str(common.PROJECT_ROOT / ".venv" / "bin" / "flask"), "--app", "app"]
    subprocess.run(flask + ["publish", str(CRASH_FIXTURES), "--forms", str(common.FIXTURES)],
                   env=server._env(url), cwd=common.PROJECT_ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def firer(url: str) -> subprocess.Popen:
    """A process firing due timers every half second (as the embedded or Celery worker would)."""
    return subprocess.Popen([sys.executable, "-m", "bench.crash", "--fire"], env=server._env(url),
                            cwd=common.PROJECT_ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _fire_forever() -> None:
    from app import create_app
    from app.background import fire_timers
    from app.config import Config
    app = create_app(Config(TESTING=False))
    while True:
        fire_timers(app)
        time.sleep(0.5)


class Ledger:
    """What the server acknowledged to the clients."""

    def __init__(self):
        self.lock = threading.Lock()
        self.started: set[int] = set()
        self.completed: dict[str, str] = {}  # task id -> who
        self.refused = Counter()             # answers other than success (409 after a retry, 5xx, ...)
        self.transport_errors = 0

    def note(self, kind: str, status: int):
        with self.lock:
            self.refused[f"{kind} {status}"] += 1


def client(port: int, tokens: dict, ledger: Ledger, stop: threading.Event, prefix: str, rng: random.Random):
    api, n = server.Api(port), 0
    while not stop.is_set():
        n += 1
        process = TIMER_PROCESS if n % 3 == 1 else server.PROCESS  # each client starts with a timer case
        try:
            status, body = api.call("POST", f"/api/v1/processes/{process}/instances",
                                    {"data": {"case_no": f"{prefix}-{n}"}}, tokens["sales"])
            if status != 201:
                ledger.note("start", status)
                continue
            with ledger.lock:
                ledger.started.add(body["id"])
            if process == TIMER_PROCESS and rng.random() < 0.5:
                continue  # half of them are left for their timer to fire
            for _step in range(10):
                if stop.is_set():
                    return
                status, body = api.call("GET", f"/api/v1/instances/{body['id']}", None, tokens["auditor"])
                tasks = [t for t in (body or {}).get("open_tasks", []) if t["group"] in USERS]
                if status != 200 or not tasks:
                    break
                task = tasks[0]
                status, _answer = api.call("POST", f"/api/v1/tasks/{task['id']}/complete",
                                           {"data": server.STEP_DATA}, tokens[task["group"]])
                if status != 200:
                    ledger.note("complete", status)
                    break
                with ledger.lock:
                    ledger.completed[task["id"]] = task["group"]
        except OSError:  # the server was killed under this request: its outcome is unknown, not acknowledged
            with ledger.lock:
                ledger.transport_errors += 1
            time.sleep(0.1)


def _tokens(port: int) -> dict:
    api, out = server.Api(port), {}
    for user in (*USERS, "auditor"):
        status, body = api.call("POST", "/api/v1/auth/token", {"username": user, "password": "demo"})
        if status != 200:
            raise RuntimeError(f"sign-in of {user} failed: {status} {body}")
        out[user] = body["token"]
    return out


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _settle(url: str, timeout: float = 60) -> None:
    """Run the firer until no timer waits any more: the timers of this diagram are due within seconds, so
    every one of them has fallen due and must have fired (timers due while the server was down included)."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    fire = firer(url)
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with engine.connect() as conn:
                due = conn.execute(text(
                    "select count(*) from timers t join process_instances i on i.id = t.instance_id "
                    "where t.state = 'waiting' and i.status = 'running'")).scalar()
            if not due:
                return
            time.sleep(0.5)
    finally:
        _kill(fire)
        engine.dispose()


def verify(url: str, ledger: Ledger) -> dict:
    """The consistency checks, in-process on the database (see the module docstring)."""
    from sqlalchemy import func, select
    from app import create_app
    from app.config import Config
    from app.engine import runner, timers as engine_timers
    from app.models import AuditEvent, HumanTask, OPEN_STATES, ProcessInstance, Timer
    from app.services.cases import store
    app = create_app(Config(DATABASE_URL=url, SECRET_KEY="crash", TESTING=False))
    db = app.extensions["db"]
    found = {"instances": 0, "not_deserializable": [], "task_table_mismatch": [], "timer_table_mismatch": [],
             "timers_lost": [], "timers_fired_twice": [], "fired_without_effect_or_twice": []}
    with app.app_context(), db.session() as session:
        completed_events = Counter(session.scalars(select(AuditEvent.task_id)
                                                   .where(AuditEvent.event_type == "completed")))
        fired_events = Counter(session.scalars(select(AuditEvent.task_id)
                                               .where(AuditEvent.event_type == "timer_fired")))
        ids = set(session.scalars(select(ProcessInstance.id)))
        for instance in session.scalars(select(ProcessInstance).order_by(ProcessInstance.id)):
            found["instances"] += 1
            try:
                live = store.load_live(session, instance)
            except Exception as exc:  # the check: anything that stops a case from loading is a finding
                found["not_deserializable"].append([instance.id, repr(exc)[:200]])
                continue
            ready = {t["id"] for t in runner.ready_human_tasks(live)}
            open_rows = set(session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance.id,
                                                                       HumanTask.state.in_(OPEN_STATES))))
            if ready != open_rows:
                found["task_table_mismatch"].append(instance.id)
            rows = list(session.scalars(select(Timer).where(Timer.instance_id == instance.id)))
            waiting = {t["task_id"] for t in engine_timers.waiting_timers(live)}
            if waiting != {r.task_id for r in rows if r.state == "waiting"}:
                found["timer_table_mismatch"].append(instance.id)
            for row in rows:
                events = fired_events.get(row.task_id, 0)
                if events != (1 if row.state == "fired" else 0):
                    found["timers_fired_twice"].append(row.task_id)
                if row.state == "waiting" and instance.status == "running" and row.due_at is not None \
                        and (row.due_at - _utcnow()).total_seconds() < -5:
                    found["timers_lost"].append(row.task_id)
            if instance.process_id == TIMER_PROCESS:
                fired = sum(r.state == "fired" for r in rows)
                follow_ups = session.scalar(select(func.count()).select_from(HumanTask).where(
                    HumanTask.instance_id == instance.id, HumanTask.task_name == "follow_up"))
                if follow_ups != fired:
                    found["fired_without_effect_or_twice"].append(instance.id)
        done = {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.id.in_(ledger.completed)))}
        found["acknowledged_starts"] = len(ledger.started)
        found["acknowledged_starts_missing"] = sorted(ledger.started - ids)
        found["acknowledged_completions"] = len(ledger.completed)
        found["acknowledged_completions_missing"] = sorted(
            t for t in ledger.completed if t not in done or done[t].state != "completed"
            or completed_events.get(t) != 1)
        found["timers"] = dict(Counter(session.scalars(select(Timer.state))))
        found["tasks_completed_twice"] = sorted(t for t, n in completed_events.items() if n > 1)
    db.dispose()
    return found


def _utcnow():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc).replace(tzinfo=None)


PROBLEMS = ("not_deserializable", "task_table_mismatch", "timer_table_mismatch", "timers_lost",
            "timers_fired_twice", "fired_without_effect_or_twice", "acknowledged_starts_missing",
            "acknowledged_completions_missing", "tasks_completed_twice")


def run_on(url: str, kills: int, seed: int, clients: int = 4, load_seconds: tuple = (1.0, 4.0)) -> dict:
    rng = random.Random(seed)
    prepare(url)
    ledger, moments = Ledger(), []
    for round_no in range(kills):
        with server.gunicorn(url, workers=3) as (port, proc):
            fire = firer(url)
            tokens = _tokens(port)
            stop = threading.Event()
            threads = [threading.Thread(target=client, args=(port, tokens, ledger, stop, f"k{round_no}c{i}",
                                                             random.Random(rng.random())))
                       for i in range(clients)]
            for thread in threads:
                thread.start()
            moment = rng.uniform(*load_seconds)
            time.sleep(moment)
            os.killpg(proc.pid, signal.SIGKILL)  # master and workers at once, mid-request
            _kill(fire)
            moments.append(round(moment, 2))
            stop.set()
            for thread in threads:
                thread.join()
            proc.wait()
    _settle(url)
    found = verify(url, ledger)
    return {"kills": kills, "seed": seed, "clients": clients, "kill_after_seconds": moments,
            "transport_errors": ledger.transport_errors, "refused": dict(ledger.refused), **found,
            "all_held": not any(found[p] for p in PROBLEMS)}


def run(kills: int = 20, seed: int | None = None, write: bool = True, **kw) -> dict:
    if not common.postgres_available():
        raise RuntimeError(f"PostgreSQL is not reachable at {common.PG_ADMIN_URL}")
    seed = seed if seed is not None else random.SystemRandom().randrange(10**6)
    with common.scratch_database("postgres") as url:
        figures = run_on(url, kills, seed, **kw)
    return common.write_result("crash", str(kills), figures) if write else figures


def describe(r: dict) -> str:
    lines = [f"crash consistency: {r['kills']} SIGKILLs of gunicorn and the timer firer (seed {r['seed']}), "
             f"{r['clients']} clients; {r['transport_errors']} requests cut by a kill",
             f"  instances {r['instances']}, acknowledged starts {r['acknowledged_starts']} "
             f"(missing {len(r['acknowledged_starts_missing'])}), acknowledged completions "
             f"{r['acknowledged_completions']} (missing {len(r['acknowledged_completions_missing'])})",
             f"  timers {r['timers']}; lost {len(r['timers_lost'])}, fired twice {len(r['timers_fired_twice'])}, "
             f"fired without or with double effect {len(r['fired_without_effect_or_twice'])}",
             f"  not deserializable {len(r['not_deserializable'])}, task table != workflow "
             f"{len(r['task_table_mismatch'])}, timer table != workflow {len(r['timer_table_mismatch'])}",
             "  all held" if r["all_held"] else "  FAILED"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.crash")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs (default 20)")
    parser.add_argument("--seed", type=int, default=None, help="random seed of the kill moments")
    parser.add_argument("--fire", action="store_true", help=argparse.SUPPRESS)  # the timer-firer process
    args = parser.parse_args()
    if args.fire:
        _fire_forever()
        return
    result = run(args.kills, args.seed)
    print(describe(result))
    print(f"-> {common.RESULTS / 'crash.json'}")
    raise SystemExit(0 if result["all_held"] else 1)


if __name__ == "__main__":
    main()
