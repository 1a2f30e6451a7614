"""Backup and restore of the whole database: SQLite online backup, PostgreSQL pg_dump/pg_restore."""
import shutil
import sqlite3
import subprocess  # nosec B404 # runs pg_dump / pg_restore with a fixed argument list, never a shell
from pathlib import Path

from sqlalchemy.engine import make_url

from ...db import Database


class BackupError(Exception):
    pass


def _pg_args(url: str) -> list[str]:
    u = make_url(url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    return args + ["-d", u.database]


def _pg_env(url: str) -> dict:
    import os
    env = dict(os.environ)
    password = make_url(url).password
    if password:
        env["PGPASSWORD"] = password
    return env


def _run(cmd: list[str], env: dict):
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed (apt-get install postgresql-client)")
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)  # nosec B603 # fixed argv, no shell
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{cmd[0]} failed ({result.returncode})")


def _sqlite_copy(source_path, target_path) -> None:
    """SQLite's online backup API: a consistent copy even while other connections write."""
    src, dst = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup(db: Database, target: Path) -> Path:
    """Consistent copy while the product keeps running."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if db.is_sqlite:
        _sqlite_copy(make_url(db.url).database, target)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "-f", str(target), *_pg_args(db.url)], _pg_env(db.url))
    return target


def restore(db: Database, source: Path) -> None:
    """Replace the database's content with a backup. Stop the product (web and workers) first."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    db.engine.dispose()
    if db.is_sqlite:
        _sqlite_copy(source, make_url(db.url).database)
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              *_pg_args(db.url), str(source)], _pg_env(db.url))
    db.caches.clear()  # built specs and live workflows of this process belong to the old content
