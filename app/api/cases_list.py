"""Finding cases: GET /api/v1/instances (filters, pagination with total and next) and the header search."""
from flask import g, request
from flask_babel import get_locale

from .. import get_db
from ..services.cases import listing
from ..services.integration import service_accounts
from . import bp
from .auth import require_user
from .util import next_link, page_args


def locale() -> str:
    return str(get_locale() or "zh")


def read_scope() -> set[str] | None:
    """A service account's readable processes (None for people: the case-page rule applies)."""
    scopes = getattr(g, "api_scopes", None)
    return None if scopes is None else (service_accounts.read_processes(scopes) or set())


@bp.get("/instances")
@require_user(service=True)
def list_instances(user):
    limit, offset = page_args()
    with get_db().session() as session:
        filters = listing.parse_filters(session, request.args, extra=("limit", "offset"))
        rows, total = listing.find(session, user, filters, limit=limit, offset=offset, read_processes=read_scope())
        items = listing.case_items(session, rows, locale())
    return {"instances": items, "total": total, "next": next_link(limit, offset, total)}

