"""Page times with many open tasks: every page people use (inbox, queue, workload, start list, case,
task, out of office, audit search and case history, console list), rendered by the product in-process
(Flask test client, signed in as the demo users) with 10,000 open tasks in the database (bulk-inserted as
in inbox_scale) beside real complaint cases. p50/p95 per page, on SQLite and PostgreSQL.
Target: p95 < 300 ms for every page.

    python -m bench.page_times [--quick]
"""
import re
import time

from app.services.cases import instances

from . import common
from .inbox_scale import Generator

NAME = "page_times"
SIZES = {"full": (10_000, 30), "quick": (10_000, 10), "tiny": (500, 3)}
TARGET_MS = 300


def _pages(case_id: int, task_id: str) -> dict[str, tuple[str, str]]:
    """page name -> (user, path)."""
    return {
        "my tasks": ("quality", "/"), "department queue": ("quality", "/queue"),
        "queue sorted by customer": ("quality", "/queue?sort=customer&dir=desc&page=3"),
        "workload": ("quality_head", "/workload"), "start list": ("sales", "/start"),
        "case": ("sales", f"/cases/{case_id}"), "task": ("quality", f"/tasks/{task_id}"),
        "out of office": ("quality", "/away"), "audit search": ("auditor", "/audit/"),
        "audit case": ("auditor", f"/audit/cases/{case_id}"), "console": ("process_owner", "/console/"),
    }


def measure(backend: str, tasks: int, samples: int) -> dict:
    from tests.complaint_helpers import complaint_form
    with common.scratch_database(backend) as url:
        app = common.make_app(url, common.diagram_sources("complaint"))
        app.config["WTF_CSRF_ENABLED"] = False  # the test client signs in without a form token
        db = app.extensions["db"]
        case_id = instances.start_instance(db, "complaint_handling", complaint_form(), "sales")
        gen = Generator(db)
        gen.instances = 1000  # bulk cases after the real one
        gen.add(tasks)
        from sqlalchemy import select
        from app.models import HumanTask
        with db.session() as session:
            task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == case_id))
        clients = {}
        out = {}
        for page, (user, path) in _pages(case_id, task_id).items():
            if user not in clients:
                client = app.test_client()
                assert client.post("/login", data={"username": user, "password": "demo"}).status_code == 302
                clients[user] = client
            times = []
            for i in range(samples + 2):
                t0 = time.perf_counter()
                response = clients[user].get(path)
                elapsed = time.perf_counter() - t0
                assert response.status_code == 200, (page, response.status_code)
                if i >= 2:
                    times.append(elapsed)
            body = response.get_data(as_text=True)
            total = re.search(r'class="total">([^<]*)<', body)
            out[page] = {"p50_ms": common.ms(common.median(times)), "p95_ms": common.ms(common.percentile(times, 95)),
                         "list": total.group(1).strip() if total else ""}
        app.extensions["db"].dispose()
    return out


def run(size: str = "full") -> dict:
    tasks, samples = SIZES[size]
    figures = {"open_tasks": tasks, "samples": samples, "target_p95_ms": TARGET_MS}
    for backend in common.backends():
        figures[backend] = measure(backend, tasks, samples)
    return common.write_result(NAME, size, figures)


def describe(figures: dict) -> str:
    lines = [f"{figures['open_tasks']} open tasks, {figures['samples']} requests per page; target p95 < {TARGET_MS} ms"]
    for backend in ("sqlite", "postgres"):
        if backend not in figures:
            continue
        worst = max(v["p95_ms"] for v in figures[backend].values())
        lines.append(f"{backend}: worst p95 {worst} ms {'(met)' if worst < TARGET_MS else '(NOT met)'}")
        for page, v in figures[backend].items():
            lines.append(f"  {page:26s} p50 {v['p50_ms']:7.1f} ms  p95 {v['p95_ms']:7.1f} ms  {v['list']}")
    return "\n".join(lines)


if __name__ == "__main__":
    common.cli(NAME, run, describe)
