"""Server-side pages of a list: which page, how big, sorted by what (read from the URL), and the page of
rows with the total count. Every list page (inbox, queue, workload, start list, case lists, audit search,
console list) uses these, and the template macro `pager` in app/templates/_macros.html draws them.

A service that lists things takes a PageRequest and returns a Page:

    SORTS = {"due": HumanTask.due_at, "key": HumanTask.business_key}          # URL key -> column
    def my_list(session, user, request: PageRequest) -> Page:
        query = select(HumanTask).where(...)
        return paginate(session, query, request, SORTS)

and the view builds the request from the URL: PageRequest.from_args(request.args, SORTS, default="due").
"""
import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from math import ceil
from types import SimpleNamespace
from typing import Any, Callable, Mapping

from sqlalchemy import func, literal, literal_column, select, union, union_all
from sqlalchemy.orm import Session

from ..i18n import _
from .errors import ServiceError

DEFAULT_SIZE = 25
SIZES = (10, 25, 50, 100)


def _int(text, default: int, low: int, high: int) -> int:
    try:
        value = int(str(text))
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


@dataclass(frozen=True)
class PageRequest:
    """page (1-based), size, sort key (a key of the list's SORTS; never a column name from the URL
    unchecked) and direction ("asc" | "desc")."""
    page: int = 1
    size: int = DEFAULT_SIZE
    sort: str = ""
    direction: str = "asc"

    cursor: str = ""  # where the previous page ended (keyset paging of the default order), opaque

    @property
    def keyset(self) -> bool:
        """Read by position after a cursor rather than by offset: the list's default order, ascending."""
        return self.direction == "asc" and bool(self.cursor)

    @classmethod
    def from_args(cls, args: Mapping, sorts: Mapping | None = None, default: str = "",
                  default_direction: str = "asc", size: int = DEFAULT_SIZE) -> "PageRequest":
        sort = str(args.get("sort") or default)
        if sorts is not None and sort not in sorts:
            sort = default
        direction = str(args.get("dir") or default_direction)
        if direction not in ("asc", "desc"):
            direction = default_direction
        size = _int(args.get("size"), size, 1, max(SIZES))
        cursor = str(args.get("cursor") or "") if sort == default and direction == default_direction else ""
        return cls(page=_int(args.get("page"), 1, 1, 10**6), size=size, sort=sort, direction=direction,
                   cursor=cursor)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass
class Page:
    """One page of a list: items, total count, page number, size, sort key and direction."""
    items: list
    total: int
    page: int = 1
    size: int = DEFAULT_SIZE
    sort: str = ""
    direction: str = "asc"
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.size)) if self.size else 1

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.size + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.size)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to offer: first, last and a few around the current one (None = a gap)."""
        shown = sorted({1, self.pages, *range(max(1, self.page - around), min(self.pages, self.page + around) + 1)})
        out: list[int | None] = []
        for number in shown:
            if out and number - (out[-1] or 0) > 1:
                out.append(None)
            out.append(number)
        return out

    def map(self, convert: Callable[[list], list]) -> "Page":
        """The same page with its items converted (e.g. rows decorated with labels)."""
        return Page(convert(self.items), self.total, self.page, self.size, self.sort, self.direction, self.extra)

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def __bool__(self):
        return bool(self.items)


def order_clauses(request: PageRequest, sorts: Mapping[str, Any], tiebreak=None) -> list:
    """ORDER BY for the requested sort: SORTS maps a URL key to a column or a tuple of columns;
    NULLs last either way; a tiebreak column keeps pages stable."""
    columns = sorts.get(request.sort)
    clauses = []
    if columns is not None:
        for column in (columns if isinstance(columns, (tuple, list)) else (columns,)):
            clauses.append(column.is_(None))
            clauses.append(column.desc() if request.direction == "desc" else column.asc())
    if tiebreak is not None:
        clauses.append(tiebreak)
    return clauses


# Lists count at most this many rows: past it a list says "more than 10,000" (Page.extra["more"], the API's
# total_capped) instead of counting every row, which on a department queue of 100,000 open tasks would
# cost more than reading the page itself
COUNT_CAP = 10_000


def _counted(query, cap: int | None):
    """SELECT count(*) of a query's rows (with cap: of at most cap + 1 of them)."""
    query = query.order_by(None)
    if cap is not None:
        query = query.with_only_columns(literal(1), maintain_column_froms=True).limit(cap + 1)
    return select(func.count()).select_from(query.subquery())


def count(session: Session, query, cap: int | None = None) -> int:
    """How many rows a SELECT matches; with cap, at most cap + 1 rows are counted (a result above cap means
    "more than cap"), read from an index alone where the list's index covers the filters."""
    return session.scalar(_counted(query, cap)) or 0


def counts(session: Session, queries: list, cap: int | None = None) -> list[int]:
    """count() of each query, all in one statement (one round trip: a list's parts, a page's badges)."""
    if len(queries) == 1:
        return [count(session, queries[0], cap)]
    row = session.execute(select(*(_counted(q, cap).scalar_subquery() for q in queries))).one()
    return [value or 0 for value in row]


def merged_rows(session: Session, parts: list, limit: int, order: Callable[[Any], list],
                distinct: bool = False) -> list:
    """The first `limit` rows of several SELECTs of one entity, each ordered as an index reads it (its own
    ORDER BY), in one statement: each part limited to `limit` rows, their union ordered by order(columns)
    (the list's ORDER BY of the union's columns, named as the entity's attributes); distinct drops a row two
    parts both return."""
    if len(parts) == 1:
        return list(session.scalars(parts[0].limit(limit)))
    entity = parts[0].column_descriptions[0]["entity"]
    # the union's columns by name: SQLAlchemy's own column objects of a union of ORM selects cost more to
    # build than the statement takes to run
    columns = _named_columns(entity)
    every = literal_column("*")
    merged = (union if distinct else union_all)(*(select(every).select_from(part.limit(limit).subquery())
                                                  for part in parts)).subquery()
    ordered = select(*vars(columns).values()).select_from(merged).order_by(*order(columns)).limit(limit)
    return list(session.scalars(select(entity).from_statement(ordered)))


@lru_cache(maxsize=None)
def _named_columns(entity) -> SimpleNamespace:
    """The columns of the entity's table as columns of any FROM that has them by name (attribute = key)."""
    return SimpleNamespace(**{c.key: literal_column(c.name, c.type) for c in entity.__table__.columns})


def paginate(session: Session, query, request: PageRequest, sorts: Mapping[str, Any] | None = None,
             tiebreak=None, scalars: bool = True) -> Page:
    """Run a SELECT for one page (LIMIT/OFFSET) and count its total. With a sort the query's own ORDER BY
    is replaced; a page past the end shows the last page."""
    total = count(session, query)
    ordered = query
    if sorts and request.sort in sorts:
        ordered = query.order_by(None).order_by(*order_clauses(request, sorts, tiebreak))
    page_no = min(request.page, max(1, ceil(total / request.size))) if request.size else 1
    offset = (page_no - 1) * request.size
    result = session.execute(ordered.limit(request.size).offset(offset))
    items = list(result.scalars()) if scalars else list(result.all())
    return Page(items, total, page_no, request.size, request.sort, request.direction)


def from_list(rows: list, request: PageRequest, key: Callable[[Any], Any] | None = None) -> Page:
    """A page of rows already in memory (short lists: departments, processes). key sorts them."""
    if key is not None:
        rows = sorted(rows, key=key, reverse=request.direction == "desc")
    total = len(rows)
    page_no = min(request.page, max(1, ceil(total / request.size))) if request.size else 1
    start = (page_no - 1) * request.size
    return Page(rows[start:start + request.size], total, page_no, request.size, request.sort, request.direction)


# ---------------------------------------------------------------- keyset cursors
# A cursor names the sort key of the last row of a page (e.g. due time, creation time and id of a task):
# the next page is read from the index just after it, so page 100 costs what page 1 costs, and a row
# that leaves the list between two pages does not shift the following ones. Encoded opaquely (URL-safe
# base64 of a JSON list; times tagged), so clients pass it back unchanged.

def encode_cursor(key: tuple) -> str:
    values = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(text: str, shape: tuple, name: str = "cursor", nullable: tuple = ()) -> tuple:
    """The key a cursor names; shape gives each position's type (datetime, str, int), nullable the
    positions that may be None. A cursor that is not one of ours is a 400 naming the parameter."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(raw, list) or len(raw) != len(shape):
            raise ValueError(text)
        key = []
        for position, (value, kind) in enumerate(zip(raw, shape)):
            if value is None and position in nullable:
                key.append(None)
            elif kind is datetime:
                key.append(datetime.fromisoformat(value["t"]))
            elif isinstance(value, kind) and not isinstance(value, bool):
                key.append(value)
            else:
                raise ValueError(text)
        return tuple(key)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise ServiceError(_("%(name)s is not a position this list gave out; start again from the first page.",
                             name=name), code="invalid_parameter", parameter=name) from None
