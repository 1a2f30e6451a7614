"""Database engine and sessions (SQLAlchemy 2). SQLite gets WAL and a busy timeout."""
from contextlib import contextmanager

from flask import g, has_request_context
from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker, Session

from .settings import number


class Database:
    def __init__(self, url: str):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs = {"future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            # a request waits at most LOCK_WAIT_SECONDS for a row another request holds (then 409) and for
            # a pooled connection (then 503); an unreachable server is given up after 5 s (503). No ping per
            # checkout (a round trip each time): connections are renewed after POOL_RECYCLE_SECONDS, and a
            # connection found dead invalidates the pool (SQLAlchemy's disconnect handling)
            wait = number("LOCK_WAIT_SECONDS")
            # a batch of rows (executemany) is sent in one round trip: INSERTs as one multi-row VALUES,
            # other statements (upserts, UPDATEs) joined into pages (psycopg2's execute_batch)
            kwargs.update(executemany_mode="values_plus_batch")
            kwargs.update(pool_size=10, max_overflow=20, pool_recycle=int(number("POOL_RECYCLE_SECONDS")),
                          pool_timeout=wait,
                          connect_args={"connect_timeout": 5, "options": f"-c lock_timeout={int(wait * 1000)}"})
        self.engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # per-database caches (built specs, live workflows), reachable from any session as info["db"]
        self.caches: dict = {}
        self.Session = sessionmaker(self.engine, expire_on_commit=False, info={"db": self})
        # reads outside a transaction on PostgreSQL: one round trip per statement instead of BEGIN, the
        # statement and COMMIT (request authentication, answers read after a step)
        self.read_engine = None if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.ReadSession = self.Session if self.is_sqlite else sessionmaker(
            self.read_engine, expire_on_commit=False, info={"db": self})

    def session(self):
        """A unit of work: commits on success, rolls back on any exception."""
        return _unit(self.Session())

    def reading(self):
        """A unit of work that reads (each statement sees the latest committed data; a write in it, such as
        noting a token's last use, is committed by itself). Within a request every reading unit (and reads())
        uses the request's one reading connection (the sign-in check and the answer after a step: one pool
        check-out, given back when the request ends, see end_request). On SQLite the same as session()."""
        if self.read_engine is None or not has_request_context():
            return _unit(self.ReadSession())
        return _unit(self.ReadSession(bind=self._request_connection()))

    @contextmanager
    def reads(self):
        """A connection for a few statements, as reading() without the ORM session (the sign-in check of
        every request): within a request the request's reading connection; on SQLite a transaction."""
        if self.read_engine is None:
            with self.engine.begin() as connection:
                yield connection
        elif has_request_context():
            yield self._request_connection()
        else:
            with self.read_engine.connect() as connection:
                yield connection

    def _request_connection(self):
        held = g.setdefault("read_connections", {})
        connection = held.get(self)
        if connection is None or connection.invalidated or connection.closed:
            connection = held[self] = self.read_engine.connect()
        return connection

    @staticmethod
    def end_request(_exc=None) -> None:
        """Give the request's reading connections back to their pools (teardown of the app context)."""
        for connection in g.pop("read_connections", {}).values():
            connection.close()

    def dispose(self):
        self.engine.dispose()


@contextmanager
def _unit(session: Session):
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()

