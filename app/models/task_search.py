"""A substring index of the open-task text the inbox's search box matches (business key, customer): a part
of a case number or of a (Chinese) customer name, anywhere in the value, whatever its case.

PostgreSQL: GIN trigram indexes (pg_trgm, gin_trgm_ops), keyed by department first (btree_gin), that serve
`ILIKE '%x%'` itself. SQLite: an FTS5
table with the trigram tokenizer (tasks_fts, rowid = the human_tasks rowid) kept in step by triggers, read
with `rowid IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ...)`. A trigram index needs three
characters: a shorter fragment (and a database without the index) is matched by ILIKE, with the same result.

Created by migrations perf_0004_trigram_search and perf_0006_search_by_department, and for a schema made by metadata.create_all by the DDL
event below."""
import logging

from sqlalchemy import Boolean, event, literal, literal_column, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from .tasks import HumanTask

log = logging.getLogger(__name__)

FTS_TABLE = "tasks_fts"
COLUMNS = ("business_key", "customer")  # the human_tasks columns the index holds
MIN_CHARS = 3  # a trigram index cannot narrow a shorter fragment
_COLS = ", ".join(COLUMNS)
_NEW = ", ".join(f"new.{c}" for c in COLUMNS)

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({_COLS}, tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS human_tasks_fts_insert AFTER INSERT ON human_tasks BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLS}) VALUES (new.rowid, {_NEW}); END",
    # only when a searched value changes: claiming and completing a task leave the index alone
    f"CREATE TRIGGER IF NOT EXISTS human_tasks_fts_update AFTER UPDATE OF {_COLS} ON human_tasks BEGIN "
    f"DELETE FROM {FTS_TABLE} WHERE rowid = old.rowid; "
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLS}) VALUES (new.rowid, {_NEW}); END",
    f"CREATE TRIGGER IF NOT EXISTS human_tasks_fts_delete AFTER DELETE ON human_tasks BEGIN "
    f"DELETE FROM {FTS_TABLE} WHERE rowid = old.rowid; END",
)
SQLITE_DROP = ("DROP TRIGGER IF EXISTS human_tasks_fts_insert", "DROP TRIGGER IF EXISTS human_tasks_fts_update",
               "DROP TRIGGER IF EXISTS human_tasks_fts_delete", f"DROP TABLE IF EXISTS {FTS_TABLE}")
# PostgreSQL: one GIN index per column keyed by department and trigram (btree_gin), so that a department's
# queue search reads the matching tasks of that department alone; measured at 1,000,000 open tasks, a
# trigram-only index let the planner AND its bitmap with a 70,000-task bitmap of the department's queue
# (7 ms instead of 0.7). Without btree_gin: trigram-only indexes (LEGACY_PG_INDEXES).
PG_INDEXES = tuple((f"ix_human_tasks_{c}_group_trgm", f"group_code, {c} gin_trgm_ops") for c in COLUMNS)
LEGACY_PG_INDEXES = tuple((f"ix_human_tasks_{c}_trgm", f"{c} gin_trgm_ops") for c in COLUMNS)


def install(conn) -> bool:
    """Create the index on this connection's database (either dialect); False when PostgreSQL refuses the
    pg_trgm extension (a warning is logged and search stays correct, by a scan)."""
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_DDL:
            conn.exec_driver_sql(statement)
        return True
    if conn.dialect.name != "postgresql":
        return False
    if not _extension(conn, "pg_trgm"):
        log.warning("pg_trgm is not available: the inbox search box is served without a trigram index")
        return False
    indexes = PG_INDEXES if _extension(conn, "btree_gin") else LEGACY_PG_INDEXES
    for name, columns in indexes:
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON human_tasks USING gin ({columns})")
    return True


def _extension(conn, name: str) -> bool:
    """CREATE EXTENSION in a savepoint: a refused extension must not abort the surrounding transaction."""
    savepoint = conn.begin_nested()
    try:
        conn.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {name}")
        savepoint.commit()
        return True
    except Exception as exc:  # insufficient privilege, extension not installed on the server
        savepoint.rollback()
        log.warning("PostgreSQL extension %s is not available (%s)", name, str(exc).splitlines()[0])
        return False


def uninstall(conn) -> None:
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        for name, _columns in PG_INDEXES + LEGACY_PG_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def rebuild(conn) -> None:
    """SQLite: fill the FTS table anew from human_tasks in one statement (after a bulk load made without the
    triggers, or a rebuild of the table)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DELETE FROM {FTS_TABLE}")
        conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}(rowid, {_COLS}) SELECT rowid, {_COLS} FROM human_tasks")


@event.listens_for(HumanTask.__table__, "after_create")
def _after_create(target, connection, **kw):
    install(connection)


@event.listens_for(HumanTask.__table__, "after_drop")
def _after_drop(target, connection, **kw):
    uninstall(connection)


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards and the escape character taken literally (escape '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(column: str, text: str) -> str:
    """An FTS5 query for `text` as a literal substring of one column: the fragment as a quoted string with
    any double quote doubled (no FTS5 operator or syntax in the user's text is interpreted)."""
    return f'{column} : "{text.replace(chr(34), chr(34) * 2)}"'


class _Contains(ColumnElement):
    """`column` holds `text` anywhere, case-insensitively (see the module's description)."""
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition itself (no "= 1" added where booleans are integers)
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("pattern", InternalTraversal.dp_clauseelement),
                           ("phrase", InternalTraversal.dp_clauseelement),
                           ("indexed", InternalTraversal.dp_boolean)]

    def __init__(self, column, text: str):
        self.column = column
        self.pattern = literal(like_pattern(text))
        self.phrase = literal(fts_phrase(column.key, text))
        self.indexed = len(text) >= MIN_CHARS


@compiles(_Contains)
def _contains_default(element, compiler, **kw):
    return compiler.process(element.column.ilike(element.pattern, escape="\\"), **kw)


@compiles(_Contains, "sqlite")
def _contains_sqlite(element, compiler, **kw):
    if not element.indexed:
        return _contains_default(element, compiler, **kw)
    fts = table(FTS_TABLE)
    rowids = select(literal_column("rowid")).select_from(fts).where(
        literal_column(FTS_TABLE).op("MATCH")(element.phrase))
    owner = compiler.preparer.quote(element.column.table.name)
    return compiler.process(literal_column(f"{owner}.rowid").in_(rowids), **kw)


def contains(column, text: str) -> ColumnElement:
    """A filter on a human_tasks column the index holds (COLUMNS)."""
    if column.key not in COLUMNS:
        raise ValueError(f"{column.key} is not in the task search index")
    return _Contains(column, text)
