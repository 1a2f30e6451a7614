"""What every benchmark shares: scratch databases, a ready application, statistics and the results file.

Each benchmark module has `run(size: str) -> dict` (size is "full", "quick" or "tiny") and a `main()`
that prints the figures and writes them to bench/results/<name>.json.
"""
import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, select, text

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
FIXTURES = BENCH_DIR / "fixtures"
RESULTS = BENCH_DIR / "results"
COMPLAINT_BPMN = PROJECT_ROOT / "processes" / "complaint_handling.bpmn"
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
SIZES = ("full", "quick", "tiny")


# ---------------------------------------------------------------- statistics

def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values, pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


class Timer:
    """Accumulates wall time of the timed blocks: `with timer: ...`."""

    def __init__(self):
        self.total = 0.0
        self.count = 0

    def __enter__(self):
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.total += time.perf_counter() - self._t0
        self.count += 1
        return False


# ---------------------------------------------------------------- machine and results

def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
            "loadavg_1min": round(os.getloadavg()[0], 2)}  # the machine is shared: how busy it was


def write_result(name: str, size: str, figures: dict) -> dict:
    result = {"benchmark": name, "size": size, "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "machine": machine(), **figures}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def cli(name: str, run, describe) -> None:
    """Command line of one benchmark: python -m bench.<name> [--quick|--tiny]."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}")
    parser.add_argument("--quick", action="store_true", help="reduced size (under a minute)")
    parser.add_argument("--tiny", action="store_true", help="smoke-test size (seconds)")
    args = parser.parse_args()
    size = "tiny" if args.tiny else "quick" if args.quick else "full"
    result = run(size)
    print(describe(result))
    print(f"-> {RESULTS / (name + '.json')}")


# ---------------------------------------------------------------- scratch databases

def postgres_available() -> bool:
    engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        return engine.connect().close() is None
    except Exception:  # any failure to connect means "not here"
        return False
    finally:
        engine.dispose()


@contextmanager
def scratch_database(backend: str):
    """A fresh, migrated database URL (SQLite file in a temp dir, or a PostgreSQL database dropped after)."""
    from app.migrate import upgrade
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="wf_bench_"))
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
        try:
            upgrade(url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"wf_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def backends() -> list[str]:
    return ["sqlite", "postgres"] if postgres_available() else ["sqlite"]


def make_app(url: str, sources: list[Path]):
    """The product on url with the demo organisation and the given diagrams/forms published."""
    import logging
    from app import create_app
    from app.config import Config
    from app.services.organisation import org
    from app.services.modelling import publishing
    app = create_app(Config(DATABASE_URL=url, SECRET_KEY="bench", TESTING=False))
    logging.getLogger().setLevel(logging.WARNING)
    with app.extensions["db"].session() as session:
        org.seed_demo(session)
        if sources:
            publishing.publish(session, publishing.collect_paths(sources, None), "bench")
    return app


def demo_users(db) -> dict:
    """Every user, loaded once (memberships and roles included) so steps need no user lookups."""
    from app.models import User
    with db.session() as session:
        return {u.username: u for u in session.scalars(select(User))}


def diagram_sources(process: str) -> list[Path]:
    """Files to publish for a benchmark diagram: 'ten_steps' (with the other fixtures) or 'complaint'."""
    if process == "ten_steps":
        return [FIXTURES]
    processes, forms = PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"
    return sorted([*processes.glob("complaint_*.bpmn"), *processes.glob("complaint_*.dmn"),
                   *processes.glob("i18n/complaint_*.json"), *forms.glob("complaint_*.json"),
                   # a closed complaint starts the customer follow-up; key customers' priority is a DMN
                   *processes.glob("customer_*.bpmn"), *processes.glob("customer_*.dmn"),
                   processes / "satisfaction_action.dmn", *processes.glob("i18n/customer_*.json"),
                   *forms.glob("customer_*.json")])
