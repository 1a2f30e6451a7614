"""A real Celery worker with beat, briefly, for the tests of the scale-out mode: Redis must answer (else the
test is skipped here and fails in CI); the worker runs as a subprocess against the test database."""
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from conftest import unavailable

PROJECT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")


def redis_problem() -> str | None:
    host, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return None if sock.recv(16).startswith(b"+PONG") else "no PONG"
    except OSError as exc:
        return str(exc)


def require_redis(what: str) -> str:
    problem = redis_problem()
    if problem:
        unavailable(what, f"Redis not reachable at {REDIS_URL} ({problem}); {what} skipped")
    return REDIS_URL


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def celery_worker_until(condition, database_url: str, tmp_path, seconds: float = 60, **env) -> tuple[bool, str]:
    """Run `celery -A app.worker worker --beat` until condition() holds (or the time is up); returns whether
    it held and the end of the worker's log."""
    environment = {**os.environ, "PYTHONPATH": str(PROJECT), "DATABASE_URL": database_url, "SECRET_KEY": "test",
                   "CELERY_BROKER_URL": REDIS_URL, "CELERY_QUEUE": f"workflow-test-{uuid.uuid4().hex[:8]}",
                   "TIMER_POLL_SECONDS": "1", "DEADLINE_CHECK_SECONDS": "1", **env}
    log_path = tmp_path / "celery.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "app.worker", "worker", "--beat", "--pool", "solo",
             "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule"), "--without-mingle",
             "--without-gossip", "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h"],
            cwd=PROJECT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            reached = wait_for(condition, seconds)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
    return reached, log_path.read_text()[-3000:]
