"""Where the CPU of one completion request goes: N completions through the JSON API in-process (Flask test
client, bearer token, as gunicorn serves them) on a scratch PostgreSQL database, under cProfile timing CPU
(time.process_time: waiting for the database counts nothing, its own CPU shows in http_load). Prints the wall
time per completion and the top functions by own and cumulative CPU time, split into the request path
(sign-in check, routing, hooks, JSON, the answer's read, connection checkouts) and the step save
(app.services.cases.instances.run_step); profiled times are several times the unprofiled ones, compare shares.

    python -m bench.completion_profile [--quick|--tiny]
"""
import cProfile
import io
import pstats
import time

from . import common, server
from .http_load import WORKER_USER

NAME = "completion_profile"
SIZES = {"full": 600, "quick": 200, "tiny": 20}


def _client(url: str):
    import os
    os.environ.update(server._env(url))
    from app import create_app
    from app.services.organisation import org
    from app.services.modelling import publishing
    app = create_app()
    db = app.extensions["db"]
    with db.session() as session:
        org.seed_demo(session)
        publishing.publish(session, publishing.collect_paths([common.FIXTURES], None), "bench")
        org.create_user(session, WORKER_USER, "demo", groups=["sales", "quality", "production"])
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": WORKER_USER, "password": "demo"}).get_json()["token"]
    return app, client, {"Authorization": "Bearer " + token}


def _complete_cases(client, headers, completions: int, prefix: str) -> float:
    done, n, t0 = 0, 0, time.perf_counter()
    while done < completions:
        n += 1
        answer = client.post(f"/api/v1/processes/{server.PROCESS}/instances", json={"data": {"case_no": f"{prefix}{n}"}},
                             headers=headers)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        following = [t["id"] for t in answer.get_json()["open_tasks"]]
        while following and done < completions:
            answer = client.post(f"/api/v1/tasks/{following[0]}/complete", json={"data": server.STEP_DATA},
                                 headers=headers)
            assert answer.status_code == 200, answer.get_data(as_text=True)
            done += 1
            following = [t["id"] for t in answer.get_json()["next_tasks"]]
    return time.perf_counter() - t0


class RoundTrips:
    """Statements and transactions sent to the database (a transaction adds BEGIN and COMMIT round trips on
    PostgreSQL; statements of an autocommit read are one round trip each) and connection check-outs."""

    def __init__(self, engine):
        from sqlalchemy import event
        self.statements = self.transactions = self.checkouts = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._begin)
        event.listen(engine.pool, "checkout", self._checkout)

    def _statement(self, *_args):
        self.statements += 1

    def _begin(self, conn):
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            self.transactions += 1

    def _checkout(self, *_args):
        self.checkouts += 1

    def per(self, n: int) -> dict:
        return {"statements": round(self.statements / n, 2), "transactions": round(self.transactions / n, 2),
                "round_trips": round((self.statements + 2 * self.transactions) / n, 2),
                "connection_checkouts": round(self.checkouts / n, 2)}


def run(size: str = "full") -> dict:
    completions = SIZES[size]
    backend = "postgres" if common.postgres_available() else "sqlite"
    with common.scratch_database(backend) as url:
        app, client, headers = _client(url)
        _complete_cases(client, headers, 30, "W")  # warm caches (specs, workflows, access)
        db = app.extensions["db"]
        trips = RoundTrips(db.engine)
        cpu0 = time.process_time()
        _complete_cases(client, headers, 100, "R")
        cpu_reads = (time.process_time() - cpu0) * 10
        database = trips.per(100)
        # reads in transactions, as before: each reading unit on a transaction's connection
        read_session, read_engine = db.ReadSession, db.read_engine
        db.ReadSession, db.read_engine = db.Session, db.engine
        trips = RoundTrips(db.engine)
        cpu0 = time.process_time()
        _complete_cases(client, headers, 100, "T")
        cpu_transactions = (time.process_time() - cpu0) * 10
        database_before = trips.per(100)
        db.ReadSession, db.read_engine = read_session, read_engine
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        elapsed = _complete_cases(client, headers, completions, "P")
        profile.disable()
        common.RESULTS.mkdir(exist_ok=True)
        profile.dump_stats(str(common.RESULTS / f"{NAME}.prof"))  # for pstats / snakeviz
        app.extensions["db"].dispose()
    stats = pstats.Stats(profile)
    report = {}
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order).print_stats(35)
        report[order] = out.getvalue()
    total = sum(row[2] for row in stats.stats.values())  # own time of every function

    def cumulative(name_part: str) -> float:
        return max((row[3] for key, row in stats.stats.items() if name_part in f"{key[0]}:{key[2]}"), default=0.0)
    request = cumulative("app.py:wsgi_app")
    step = cumulative("instances.py:run_step") + cumulative("instances.py:start_instance")
    split = {"request(wsgi_app)": request, "step(run_step+start_instance)": step,
             "request_path(request-step)": request - step,
             "sign_in_check(_user_from_token)": cumulative("auth.py:_user_from_token"),
             "token_user": cumulative("signin.py:token_user"),
             "hooks_before(preprocess_request)": cumulative("app.py:preprocess_request"),
             "hooks_after(finalize_request)": cumulative("app.py:finalize_request"),
             "context_push_pop": cumulative("ctx.py:push") + cumulative("ctx.py:pop")}
    return common.write_result(NAME, size, {
        "backend": backend, "completions": completions, "ms_per_completion_wall": round(elapsed * 1000 / completions, 2),
        "profiled_cpu_ms_per_completion": round(total * 1000 / completions, 2),
        "database_per_completion": database,
        "database_per_completion_reads_in_transactions": database_before,
        "app_cpu_ms_per_completion": {"reads_outside_transactions": round(cpu_reads, 2),
                                      "reads_in_transactions": round(cpu_transactions, 2)},
        "ms_per_completion_by_part": {k: round(v * 1000 / completions, 2) for k, v in split.items()},
        "top_tottime": report["tottime"], "top_cumulative": report["cumulative"]})


def describe(result: dict) -> str:
    return "\n".join([
        f"{result['backend']}: {result['completions']} completions, {result['ms_per_completion_wall']} ms wall "
        f"each under the profiler ({result['profiled_cpu_ms_per_completion']} ms CPU profiled)",
        "database per completion request (including its share of starts): " + ", ".join(
            f"{k} {v}" for k, v in result["database_per_completion"].items()),
        "  the same with the sign-in check and answer read in transactions: " + ", ".join(
            f"{k} {v}" for k, v in result["database_per_completion_reads_in_transactions"].items()),
        f"  application CPU ms per completion (no profiler): {result['app_cpu_ms_per_completion']}",
        "  profiled CPU ms per completion by part:",
        *(f"  {k:34} {v:7.2f} ms" for k, v in result["ms_per_completion_by_part"].items()),
        result["top_cumulative"], result["top_tottime"]])


if __name__ == "__main__":
    common.cli(NAME, run, describe)
