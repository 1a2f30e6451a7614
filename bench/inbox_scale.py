"""Inbox at scale: open human tasks bulk-inserted (5 per instance, across departments, a fifth claimed,
due dates from a month ago to a month ahead); p50/p95 of the product's inbox queries
(app.services.cases.tasks.inbox_query, first page of 50) at 1k, 10k and 100k tasks, on SQLite and PostgreSQL.
Target: p95 <= 50 ms at 100k and <= 1.5x the 1k figure.

    python -m bench.inbox_scale [--quick]
"""
import random
import time
import uuid
from datetime import timedelta

from sqlalchemy import insert, select

from app import clock
from app.models import Group, HumanTask, Membership, ProcessInstance, ProcessVersion, User
from app.services.cases.tasks import inbox_page, inbox_query

from . import common

NAME = "inbox_scale"
TASKS_PER_INSTANCE = 5
USERS_PER_GROUP = 50
PAGE = 50
# task counts measured, samples per query and level
SIZES = {"full": ((1_000, 10_000, 100_000), 60), "quick": ((1_000, 10_000, 30_000), 30),
         "tiny": ((100, 300), 5)}
# my_tasks / department_queue / department_overdue: the inbox pages (scopes "mine" and "queue");
# business_key: search by case number; api_inbox: GET /api/v1/tasks without scope (held OR queue)
QUERIES = ("my_tasks", "department_queue", "department_overdue", "business_key", "api_inbox")


def _user(username: str, group: str, head: bool = False) -> User:
    """A transient user (never stored): the inbox query reads only its name and memberships."""
    user = User(username=username, display_name=username, password_hash="-", locale="zh")
    user.memberships.append(Membership(group_code=group, is_head=head))
    return user


class Generator:
    def __init__(self, db, seed: int = 8):
        self.db, self.rng = db, random.Random(seed)
        with db.session() as session:
            self.groups = list(session.scalars(select(Group.code).order_by(Group.code)))
            self.version_id = session.scalar(select(ProcessVersion.id).limit(1))
        # a few departments carry most of the work
        self.weights = [6 if g in ("sales", "quality", "production") else 3 if g in ("finance", "pmc") else 1
                        for g in self.groups]
        self.instances = 0
        self.now = clock.now()

    def add(self, tasks: int) -> None:
        """Insert instances and their open tasks until `tasks` more tasks exist (core inserts, chunked)."""
        rng, now = self.rng, self.now
        for start in range(0, tasks // TASKS_PER_INSTANCE, 2000):
            count = min(2000, tasks // TASKS_PER_INSTANCE - start)
            first = self.instances + 1
            self.instances += count
            instances, human = [], []
            for iid in range(first, first + count):
                key = f"BK-{iid:06d}"
                started = now - timedelta(days=rng.randint(1, 60))
                instances.append({"id": iid, "process_id": "bench_ten_steps", "version_id": self.version_id,
                                  "status": "running", "business_key": key, "summary": {"customer": f"C{iid % 997}"},
                                  "started_by": "sales", "started_at": started, "lock_version": 1,
                                  "state": {}, "case_data": {}})
                for n in range(TASKS_PER_INSTANCE):
                    group = rng.choices(self.groups, self.weights)[0]
                    claimed = rng.random() < 0.2
                    human.append({
                        "id": str(uuid.UUID(int=rng.getrandbits(128))), "instance_id": iid,
                        "process_id": "bench_ten_steps", "business_key": key, "task_name": f"step_{n + 1:02d}",
                        "title": f"第{n + 1}步", "lane": group, "group_code": group,
                        "head_only": rng.random() < 0.1, "state": "claimed" if claimed else "ready",
                        "due_at": now + timedelta(hours=rng.randint(-720, 720)),
                        "claimed_by": f"{group}_u{rng.randrange(USERS_PER_GROUP)}" if claimed else None,
                        "form_ref": "bench_step.schema.json", "created_at": started, "customer": f"C{iid % 997}"})
            with self.db.session() as session:
                session.execute(insert(ProcessInstance), instances)
                session.execute(insert(HumanTask), human)

    def query(self, kind: str):
        rng = self.rng
        group = rng.choices(self.groups, self.weights)[0]
        user = _user(f"{group}_u{rng.randrange(USERS_PER_GROUP)}", group)
        if kind == "my_tasks":
            return inbox_query(user, scope="mine")
        if kind == "api_inbox":  # what GET /api/v1/tasks reads: held OR queue, merged
            return lambda session: inbox_page(session, user, limit=PAGE)
        if kind == "department_queue":
            return inbox_query(user, scope="queue")
        if kind == "department_overdue":
            return inbox_query(user, scope="queue", overdue=True)
        return inbox_query(user, business_key=f"BK-{rng.randint(1, self.instances):06d}")


def sample(db, gen: Generator, kind: str, samples: int) -> dict:
    times, rows = [], 0
    with db.session() as session:
        for i in range(samples + 3):
            query = gen.query(kind)
            t0 = time.perf_counter()
            found = query(session) if callable(query) else session.scalars(query.limit(PAGE)).all()
            elapsed = time.perf_counter() - t0
            if i >= 3:  # the first few warm caches
                times.append(elapsed)
                rows += len(found)
    return {"p50_ms": common.ms(common.median(times)), "p95_ms": common.ms(common.percentile(times, 95)),
            "avg_rows": round(rows / samples, 1)}


def measure(backend: str, levels: tuple, samples: int) -> dict:
    out = {}
    with common.scratch_database(backend) as url:
        app = common.make_app(url, [common.FIXTURES])
        db = app.extensions["db"]
        gen = Generator(db)
        have = 0
        for level in levels:
            gen.add(level - have)
            have = level
            if backend == "postgres":  # as autovacuum would after a bulk load; SQLite keeps no statistics
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE human_tasks")
            out[str(level)] = {kind: sample(db, gen, kind, samples) for kind in QUERIES}
        db.dispose()
    first, last = out[str(levels[0])], out[str(levels[-1])]
    verdict = {}
    for kind in QUERIES:
        ratio = last[kind]["p95_ms"] / max(first[kind]["p95_ms"], 1e-6)
        verdict[kind] = {"p95_ms": last[kind]["p95_ms"], "ratio_to_smallest": round(ratio, 2),
                         "target_met": last[kind]["p95_ms"] <= 50 and ratio <= 1.5}
    return {"backend": backend, "levels": out, "verdict": verdict}


def run(size: str = "full") -> dict:
    levels, samples = SIZES[size]
    results = [measure(backend, levels, samples) for backend in common.backends()]
    return common.write_result(NAME, size, {"levels": list(levels), "page": PAGE, "results": results,
                                            "target": {"p95_ms": 50, "ratio_to_smallest": 1.5}})


def describe(result: dict) -> str:
    lines = [f"{'backend':9} {'tasks':>7} " + " ".join(f"{q:>20}" for q in QUERIES),
             " " * 18 + " ".join(f"{'p50 / p95 ms':>20}" for _ in QUERIES)]
    for r in result["results"]:
        for level, figures in r["levels"].items():
            cells = " ".join(f"{figures[q]['p50_ms']:>10.2f} / {figures[q]['p95_ms']:<7.2f}" for q in QUERIES)
            lines.append(f"{r['backend']:9} {level:>7} {cells}")
        lines.append(f"{r['backend']:9} at {result['levels'][-1]}: " + ", ".join(
            f"{q} p95 {v['p95_ms']:.2f} ms = {v['ratio_to_smallest']}x {'met' if v['target_met'] else 'MISSED'}"
            for q, v in r["verdict"].items()))
    return "\n".join(lines)


def main():
    common.cli(NAME, run, describe)


if __name__ == "__main__":
    main()
