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
from dataclasses import dataclass, field
from math import ceil
from typing import Any, Callable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
        return cls(page=_int(args.get("page"), 1, 1, 10**6), size=size, sort=sort, direction=direction)

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


def paginate(session: Session, query, request: PageRequest, sorts: Mapping[str, Any] | None = None,
             tiebreak=None, scalars: bool = True) -> Page:
    """Run a SELECT for one page (LIMIT/OFFSET) and count its total. With a sort the query's own ORDER BY
    is replaced; a page past the end shows the last page."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
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
