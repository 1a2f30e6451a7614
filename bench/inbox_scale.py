"""Inbox at scale: open human tasks bulk-inserted with the raw driver (5 per case, across departments, a fifth
claimed by members of the task's department, a tenth for heads only, due dates from a month ago to a month
ahead); p50/p95 of every inbox query at the first page and at page 100 (50 rows a page; lists shorter than
100 pages at their last page), on SQLite and PostgreSQL, at 1,000,000 open tasks over 200,000 cases.

Queries (the product's own service calls):
  my_tasks / department_queue / department_overdue   the inbox pages (scopes "mine", "queue", overdue filter)
  business_key                                       the tasks of one case (API filter business_key)
  search                                             the queue page's search box (part of a case number)
  api_inbox                                          GET /api/v1/tasks: held OR queue, merged, with its total
  workload                                           the head's workload page: per-member counts and the
                                                     department's open tasks
The search index (app/models/task_search.py) is dropped before each bulk load and built after it in one
statement, as a bulk import would do (its load time is in `loaded in`).
Pages after the first are read by keyset (the cursor of the previous page's last row), as the API's `next`
link and the pages' "next" link do. Each page query is timed alone (`rows`) and with the list's total
(`with_total`: the count the page and the API show, capped at COUNT_CAP as the product counts), wall
time and the benchmark thread's CPU time (`with_total_cpu`: on a busy shared machine the wall time also
holds the waits for a core; for SQLite the CPU time is the whole cost, for PostgreSQL the server's share is
not in it); deep pages also as read by offset before keyset paging (`offset_rows`).
Target: p95 <= 10 ms for every query and page.

    python -m bench.inbox_scale [--quick|--tiny]
"""
import random
import time
import uuid
from datetime import timedelta

from sqlalchemy import insert, select

from app import clock
from app.models import OPEN_STATES, Group, Membership, ProcessInstance, ProcessVersion, User
from app.models import task_search
from app.services.cases import inbox, lists
from app.services.cases.tasks import inbox_count, inbox_key, inbox_page, inbox_query, rows_after
from app.services.paging import COUNT_CAP, count

from . import common

NAME = "inbox_scale"
TASKS_PER_INSTANCE = 5
USERS_PER_GROUP = 50
PAGE = 50
DEEP = 100  # the far page measured
TARGET_MS = 10.0
# open task counts measured, samples per query and page
SIZES = {"full": ((1_000_000,), 40), "quick": ((100_000,), 30), "tiny": ((200, 500), 3)}
QUERIES = ("my_tasks", "department_queue", "department_overdue", "business_key", "search", "api_inbox",
           "workload")
TASK_COLUMNS = ("id", "instance_id", "process_id", "business_key", "task_name", "title", "lane", "group_code",
                "head_only", "state", "due_at", "due_provisional", "claimed_by", "form_ref", "created_at",
                "customer")


def _user(username: str, group: str, head: bool = False) -> User:
    """A transient user (never stored): the inbox queries read only its name and memberships."""
    user = User(username=username, display_name=username, password_hash="-", locale="zh")
    user.memberships.append(Membership(group_code=group, is_head=head))
    return user


def _insert_raw(db, table: str, columns: tuple, rows: list[tuple]) -> None:
    """Rows in one transaction with the driver itself (executemany on SQLite, multi-row VALUES on PostgreSQL)."""
    conn = db.engine.raw_connection()
    try:
        cur = conn.cursor()
        names = ", ".join(columns)
        if db.is_sqlite:
            cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
        else:
            from psycopg2.extras import execute_values
            execute_values(cur, f"INSERT INTO {table} ({names}) VALUES %s", rows, page_size=5000)
        conn.commit()
    finally:
        conn.close()


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
        with db.session() as session:  # the people holding the tasks, members of their departments (workload)
            session.add_all(User(username=f"{group}_u{n}", display_name=f"{group}_u{n}", password_hash="-",
                                 locale="zh", created_at=self.now, memberships=[Membership(group_code=group)])
                            for group in self.groups for n in range(USERS_PER_GROUP))

    def add(self, tasks: int) -> None:
        """Insert cases (ORM core, chunked) and their open tasks (raw driver) until `tasks` more tasks exist."""
        rng, now = self.rng, self.now
        for start in range(0, tasks // TASKS_PER_INSTANCE, 20_000):
            count_ = min(20_000, tasks // TASKS_PER_INSTANCE - start)
            first = self.instances + 1
            self.instances += count_
            instances, human = [], []
            groups = rng.choices(self.groups, self.weights, k=count_ * TASKS_PER_INSTANCE)
            for iid in range(first, first + count_):
                key = f"BK-{iid:07d}"
                started = now - timedelta(days=rng.randint(1, 60), seconds=rng.randrange(86400))
                instances.append({"id": iid, "process_id": "bench_ten_steps", "version_id": self.version_id,
                                  "status": "running", "business_key": key, "summary": {"customer": f"C{iid % 997}"},
                                  "started_by": "sales", "started_at": started, "lock_version": 1,
                                  "state": {}, "case_data": {}})
                for n in range(TASKS_PER_INSTANCE):
                    group = groups[(iid - first) * TASKS_PER_INSTANCE + n]
                    claimed = rng.random() < 0.2
                    human.append((
                        str(uuid.UUID(int=rng.getrandbits(128))), iid, "bench_ten_steps", key, f"step_{n + 1:02d}",
                        f"第{n + 1}步", group, group, rng.random() < 0.1, "claimed" if claimed else "ready",
                        now + timedelta(minutes=rng.randint(-43_200, 43_200)), False,
                        f"{group}_u{rng.randrange(USERS_PER_GROUP)}" if claimed else None,
                        "bench_step.schema.json", started, f"C{iid % 997}"))
            with self.db.session() as session:
                session.execute(insert(ProcessInstance), instances)
            _insert_raw(self.db, "human_tasks", TASK_COLUMNS, human)

    def member(self) -> User:
        group = self.rng.choices(self.groups, self.weights)[0]
        return _user(f"{group}_u{self.rng.randrange(USERS_PER_GROUP)}", group)

    def head(self) -> User:
        group = self.rng.choices(self.groups, self.weights)[0]
        return _user(f"{group}_head", group, head=True)


def _paged(query_of, deep: bool, total=None, states=()):
    """A page query: the first page, or the page DEEP (its cursor found untimed, as a client holds it).
    Returns per user: (keyset read, total, the same page read by offset as before keyset paging, page)."""
    def prepare(session, user):
        query = query_of(user)
        after, page = None, 1
        if deep:
            skip = count(session, query.limit((DEEP - 1) * PAGE))
            page = max(1, min(DEEP, -(-skip // PAGE)))
            if page > 1:
                after = inbox_key(session.scalars(query.offset((page - 1) * PAGE - 1).limit(1)).first())
        unordered = query.order_by(None)
        return (lambda s: rows_after(s, unordered, PAGE + 1, after, states)), \
            (lambda s: total(s, user)) if total else (lambda s: count(s, query, COUNT_CAP)), \
            (lambda s: s.scalars(query.offset((page - 1) * PAGE).limit(PAGE)).all()), page
    return prepare


def _api(deep: bool):
    def prepare(session, user):
        after, page = None, 1
        if deep:
            total = inbox_count(session, user)
            page = max(1, min(DEEP, -(-total // PAGE)))
            if page > 1:
                after = inbox_key(inbox_page(session, user, limit=1, offset=(page - 1) * PAGE - 1)[0])
        return (lambda s: inbox_page(s, user, PAGE + 1, 0, after)), (lambda s: inbox_count(s, user, COUNT_CAP)), \
            (lambda s: inbox_page(s, user, PAGE, (page - 1) * PAGE)), page
    return prepare


def prepared(gen: Generator, kind: str, deep: bool):
    """(user, prepare(session, user) -> (rows(session), total(session), page number))."""
    if kind == "workload":  # the department's open tasks; the per-member counts as the "total"
        return gen.head(), _paged(lists.department_query, deep, total=inbox.workload, states=OPEN_STATES)
    user = gen.member()
    if kind == "api_inbox":
        return user, _api(deep)
    if kind == "business_key":
        key = f"BK-{gen.rng.randint(1, gen.instances):07d}"
        return user, _paged(lambda u: inbox_query(u, business_key=key), deep)
    if kind == "search":
        text = f"{gen.rng.randint(1, gen.instances):07d}"[:5]  # the first digits of a case number
        return user, _paged(lambda u: inbox.filtered_query(u, "queue", search=text), deep)
    scope, overdue = {"my_tasks": ("mine", False), "department_queue": ("queue", False),
                      "department_overdue": ("queue", True)}[kind]
    return user, _paged(lambda u: inbox.filtered_query(u, scope, overdue=overdue), deep,
                        states=OPEN_STATES if scope == "mine" else ())


def sample(db, gen: Generator, kind: str, deep: bool, samples: int) -> dict:
    rows_t, both_t, offset_t, cpu_t, rows, pages = [], [], [], [], 0, []
    with db.session() as session:
        for i in range(samples + 3):
            user, prepare = prepared(gen, kind, deep)
            read, total, by_offset, page = prepare(session, user)
            c0, t0 = time.thread_time(), time.perf_counter()
            found = read(session)
            t1 = time.perf_counter()
            total(session)
            t2, c2 = time.perf_counter(), time.thread_time()
            if deep:
                by_offset(session)
            t3 = time.perf_counter()
            if i >= 3:  # the first few warm caches
                rows_t.append(t1 - t0)
                both_t.append(t2 - t0)
                cpu_t.append(c2 - c0)
                offset_t.append(t3 - t2)
                rows += len(found)
                pages.append(page)
    return {"rows_p50_ms": common.ms(common.median(rows_t)), "rows_p95_ms": common.ms(common.percentile(rows_t, 95)),
            "with_total_p50_ms": common.ms(common.median(both_t)),
            "with_total_p95_ms": common.ms(common.percentile(both_t, 95)),
            "with_total_cpu_p95_ms": common.ms(common.percentile(cpu_t, 95)),
            "avg_rows": round(rows / samples, 1), "page_median": common.median(pages),
            **({"offset_rows_p95_ms": common.ms(common.percentile(offset_t, 95))} if deep else {})}


def measure(backend: str, levels: tuple, samples: int) -> dict:
    out = {}
    with common.scratch_database(backend) as url:
        app = common.make_app(url, [common.FIXTURES])
        db = app.extensions["db"]
        gen = Generator(db)
        have = 0
        for level in levels:
            t0 = time.perf_counter()
            with db.engine.begin() as conn:  # bulk load without the search index, then build it at once
                task_search.uninstall(conn)
            gen.add(level - have)
            have = level
            with db.engine.begin() as conn:
                task_search.install(conn)
                task_search.rebuild(conn)
            if backend == "postgres":  # as autovacuum would after a bulk load
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE human_tasks")
                    conn.exec_driver_sql("VACUUM ANALYZE process_instances")
            else:
                with db.engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
            loaded = time.perf_counter() - t0
            out[str(level)] = {"load_s": round(loaded, 1), "cases": gen.instances, **{
                kind: {"first": sample(db, gen, kind, False, samples), "page_100": sample(db, gen, kind, True, samples)}
                for kind in QUERIES}}
        db.dispose()
    last = out[str(levels[-1])]
    verdict = {kind: {page: {"rows_p95_ms": last[kind][page]["rows_p95_ms"],
                             "with_total_p95_ms": last[kind][page]["with_total_p95_ms"],
                             "target_met": last[kind][page]["with_total_p95_ms"] <= TARGET_MS}
                      for page in ("first", "page_100")} for kind in QUERIES}
    return {"backend": backend, "levels": out, "verdict": verdict}


def run(size: str = "full") -> dict:
    levels, samples = SIZES[size]
    results = [measure(backend, levels, samples) for backend in common.backends()]
    return common.write_result(NAME, size, {"levels": list(levels), "page": PAGE, "deep_page": DEEP,
                                            "samples": samples, "results": results,
                                            "target": {"p95_ms": TARGET_MS}})


def describe(result: dict) -> str:
    lines = [f"p95 ms of each inbox query, {result['page']} rows a page; rows = the page alone, +total = with "
             f"the list's count (workload: the per-member counts); page = median page reached; "
             f"target <= {result['target']['p95_ms']} ms"]
    for r in result["results"]:
        for level, figures in r["levels"].items():
            lines.append(f"{r['backend']}: {level} open tasks, {figures['cases']} cases (loaded in "
                         f"{figures['load_s']} s)")
            lines.append(f"  {'query':20} {'first: rows / +total':>22} {'deep page: rows / +total':>26} {'page':>5}"
                         f" {'by offset':>10}")
            for kind in QUERIES:
                f, d = figures[kind]["first"], figures[kind]["page_100"]
                met = r["verdict"][kind]["first"]["target_met"] and r["verdict"][kind]["page_100"]["target_met"]
                lines.append(f"  {kind:20} {f['rows_p95_ms']:>10.2f} / {f['with_total_p95_ms']:<9.2f} "
                             f"{d['rows_p95_ms']:>12.2f} / {d['with_total_p95_ms']:<11.2f} {d['page_median']:>5}"
                             f" {d['offset_rows_p95_ms']:>10.2f}  cpu {f['with_total_cpu_p95_ms']:.2f} / "
                             f"{d['with_total_cpu_p95_ms']:.2f}"
                             f"  {'met' if met else 'MISSED'}")
    return "\n".join(lines)


def main():
    common.cli(NAME, run, describe)


if __name__ == "__main__":
    main()
