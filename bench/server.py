"""The product served by gunicorn on loopback, and a small JSON client that works cases through the API.

The database is prepared with the product's own commands (db-upgrade, publish, seed-demo); clients start
cases of the ten-step benchmark diagram and complete each task as the user of its lane.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from . import common

PROCESS = "bench_ten_steps"
# lane of each step of bench/fixtures/ten_steps.bpmn: sales, quality (质量管理部), production, ...
LANE_USERS = ("sales", "quality", "production")
STEP_DATA = {"ok": True, "note": "bench"}


def _env(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-http", "DEMO_MODE": "1"}


def prepare(url: str) -> None:
    flask = [str(common.PROJECT_ROOT / ".venv" / "bin" / "flask"), "--app", "app"]
    for args in (["db-upgrade"], ["publish", str(common.FIXTURES), "--forms", str(common.FIXTURES)],
                 ["seed-demo"]):
        subprocess.run(flask + args, env=_env(url), cwd=common.PROJECT_ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int, port: int | None = None):
    """Serve the product on a loopback port (default: a free one); yields (port, master process)."""
    port = port or _free_port()
    cmd = [str(common.PROJECT_ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(workers),
           "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:create_app()"]
    proc = subprocess.Popen(cmd, env=_env(url), cwd=common.PROJECT_ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            try:
                if Api(port).call("GET", "/api/v1/openapi.json")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield port, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


class Api:
    """JSON over HTTP/1.1 on loopback; one connection per request (gunicorn's sync workers close them)."""

    def __init__(self, port: int, token: str | None = None):
        self.port, self.token = port, token

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token or self.token:
            headers["Authorization"] = "Bearer " + (token or self.token)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return response.status, (json.loads(data) if data else None)
        finally:
            conn.close()


def tokens(port: int, users=None) -> dict:
    """Bearer tokens of the demo users (default: the lane users), signed in through the API."""
    api = Api(port)
    out = {}
    for user in users or LANE_USERS:
        status, body = api.call("POST", "/api/v1/auth/token", {"username": user, "password": "demo"})
        if status != 200:
            raise RuntimeError(f"sign-in of {user} failed: {status} {body}")
        out[user] = body["token"]
    return out


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.completions = 0
        self.latency = {"start": [], "list": [], "complete": []}
        self.errors: list[str] = []

    def record(self, kind: str, seconds: float, ok: bool, detail: str = ""):
        with self.lock:
            self.latency[kind].append(seconds)
            if not ok:
                self.errors.append(f"{kind}: {detail}"[:300])
            elif kind == "complete":
                self.completions += 1


def work_cases(port: int, tokens_by_user: dict, stats: Stats, stop: threading.Event, prefix: str):
    """Start cases and complete all their tasks until stop is set."""
    api, n = Api(port), 0
    while not stop.is_set():
        n += 1
        key = f"{prefix}-{n}"
        t0 = time.perf_counter()
        status, body = api.call("POST", f"/api/v1/processes/{PROCESS}/instances", {"data": {"case_no": key}},
                                tokens_by_user["sales"])
        stats.record("start", time.perf_counter() - t0, status == 201, f"{status} {body}")
        if status != 201:
            continue
        for step in range(10):
            if stop.is_set():
                return
            user = LANE_USERS[step % len(LANE_USERS)]
            t0 = time.perf_counter()
            status, body = api.call("GET", f"/api/v1/tasks?business_key={key}", None, tokens_by_user[user])
            found = body.get("tasks") if status == 200 else None
            stats.record("list", time.perf_counter() - t0, bool(found), f"{status} {body}")
            if not found:
                break
            t0 = time.perf_counter()
            status, body = api.call("POST", f"/api/v1/tasks/{found[0]['id']}/complete", {"data": STEP_DATA},
                                    tokens_by_user[user])
            stats.record("complete", time.perf_counter() - t0, status == 200, f"{status} {body}")
            if status != 200:
                break


def latency_summary(stats: Stats) -> dict:
    return {kind: {"count": len(v), "p50_ms": common.ms(common.median(v)),
                   "p95_ms": common.ms(common.percentile(v, 95))} for kind, v in stats.latency.items()}


class Load:
    """Client threads working cases from the moment it is made until finish()."""

    def __init__(self, port: int, tokens_by_user: dict, clients: int, prefix: str):
        self.stats, self.stop = Stats(), threading.Event()
        self.began = time.perf_counter()
        self.threads = [threading.Thread(target=work_cases, args=(port, tokens_by_user, self.stats, self.stop,
                                                                  f"{prefix}{i}")) for i in range(clients)]
        for thread in self.threads:
            thread.start()

    def alive(self) -> bool:
        return any(t.is_alive() for t in self.threads)

    def finish(self) -> float:
        """Stop the clients once their current request is answered; returns the seconds they ran."""
        self.stop.set()
        for thread in self.threads:
            thread.join()
        return time.perf_counter() - self.began
