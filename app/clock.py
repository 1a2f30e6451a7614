"""The product's clock. Tests replace it to control time; everything that stamps or compares times uses it."""
from datetime import datetime, timezone

_override = None


def now() -> datetime:
    """Current time as a naive UTC datetime (stored that way in every table)."""
    if _override is not None:
        return _override
    return datetime.now(timezone.utc).replace(tzinfo=None)


def set_now(value: datetime | None) -> None:
    global _override
    _override = value


def iso(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with its offset, as the API writes every timestamp."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()
