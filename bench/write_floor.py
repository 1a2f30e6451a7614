"""The write floor of a persisted step: the same rows the product wrote for the step, written again with the
raw DB-API driver (sqlite3 / psycopg2) in one transaction per step, on a copy of the same database taken
just before the measured steps, in the same run.

capture() records every INSERT / UPDATE / DELETE the product sends (statement and parameters exactly as
the driver received them), grouped into units: one per completed step, plus untimed units for what is
written between steps (case starts). replay() runs the units in order on the copy, each in one
transaction with a commit, and times the step units. The product's overhead over the floor is then
(persisted − in-memory) per step against the floor per step.
"""
import shutil
import sqlite3
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text

from . import common

WRITES = ("INSERT", "UPDATE", "DELETE")


class Capture:
    def __init__(self):
        self.units: list[tuple[str, list]] = [("other", [])]

    def step(self):
        """Everything written from here to end_step() belongs to one step."""
        self.units.append(("step", []))

    def end_step(self):
        self.units.append(("other", []))

    def note(self, _conn, _cursor, statement, parameters, _context, executemany):
        written = writes_of(statement)
        if written:
            self.units[-1][1].append((written, parameters, executemany))


def writes_of(statement: str) -> str:
    """What of a statement writes: an INSERT / UPDATE / DELETE, a WITH whose CTE writes (the product's
    version-checked UPDATE of the case row), or, of statements joined into one round trip (PostgreSQL),
    those that write (the case's open tasks the product reads in the same round trip are left out)."""
    def writes(part: str) -> bool:
        head = part.lstrip()[:6].upper()
        return head in WRITES or head.startswith("WITH") and any(f"({w} " in part.upper() for w in WRITES)
    return ";\n".join(part for part in statement.split(";\n") if writes(part))


@contextmanager
def capture(db):
    found = Capture()
    event.listen(db.engine, "before_cursor_execute", found.note)
    try:
        yield found
    finally:
        event.remove(db.engine, "before_cursor_execute", found.note)


@contextmanager
def copy_of(db, url: str):
    """A copy of the database as it is now, on the same disk / server; yields a raw DB-API connect()."""
    db.dispose()  # no open connection: SQLite checkpointed, PostgreSQL may use it as a template
    if url.startswith("sqlite"):
        source = Path(url.split("///", 1)[1])
        target = source.with_name("floor_" + source.name)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        try:
            yield lambda: _sqlite(target)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
        return
    import psycopg2
    name = f"wf_floor_{uuid.uuid4().hex[:10]}"
    source = url.rsplit("/", 1)[1]
    admin = create_engine(common.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    dsn = url.replace("postgresql+psycopg2://", "postgresql://").rsplit("/", 1)[0] + "/" + name
    try:
        yield lambda: psycopg2.connect(dsn)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _sqlite(path: Path):
    conn = sqlite3.connect(path)  # the product's settings: WAL, synchronous=NORMAL, foreign keys
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def execute_many(cur, statement, parameters) -> None:
    """A batch as the driver sends it fastest: psycopg2 joins the statements into one round trip per page
    (execute_batch, as the product's engine does), sqlite3 loops in C."""
    if isinstance(cur, sqlite3.Cursor):
        cur.executemany(statement, parameters)
    else:
        from psycopg2.extras import execute_batch
        execute_batch(cur, statement, parameters)


def replay(connect, captured: Capture) -> dict:
    """Write every unit again in order, one transaction each; returns the step units' figures."""
    conn = connect()
    spent, steps, statements, rows = 0.0, 0, 0, 0
    try:
        for kind, writes in captured.units:
            if not writes and kind != "step":
                continue
            t0 = time.perf_counter()
            cur = conn.cursor()
            for statement, parameters, many in writes:
                # a batch the dialect expanded into one statement (insertmanyvalues) arrives flagged as
                # executemany but with one set of parameters: it runs as it was sent
                if many and isinstance(parameters, (list, tuple)) and parameters \
                        and isinstance(parameters[0], (list, tuple, dict)):
                    execute_many(cur, statement, parameters)
                    rows += len(parameters) if kind == "step" else 0
                else:
                    cur.execute(statement, parameters)
                    # statements the product joined into one round trip (PostgreSQL) count one row each
                    rows += statement.count(";\n") + 1 if kind == "step" else 0
                if cur.description:  # RETURNING: read what came back, as the product does
                    cur.fetchall()
            conn.commit()
            if kind == "step":
                spent += time.perf_counter() - t0
                steps += 1
                statements += len(writes)
    finally:
        conn.close()
    return {"steps": steps, "seconds": spent, "statements_per_step": round(statements / max(steps, 1), 2),
            "rows_per_step": round(rows / max(steps, 1), 2),
            "floor_ms_per_step": round(1000 * spent / max(steps, 1), 4)}


def marking(step_persisted, captured: Capture):
    """The driver's persisted step, with the writes of each completed step grouped as one unit."""
    def step(iid, data=None):
        captured.step()
        done = None
        try:
            done = step_persisted(iid, data)
            return done
        finally:
            if done is None:  # no task was open: nothing of a step was written
                captured.units[-1] = ("other", captured.units[-1][1])
            captured.end_step()
    return step
