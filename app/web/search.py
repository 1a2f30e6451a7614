"""The search box in the page header: find a case by what people know - its number, business key,
a reference number its process declares searchable (order, contract, licence number) or the customer."""
from flask import Blueprint, render_template, request
from flask_login import login_required

from .. import get_db
from ..services.cases import listing
from ..services.paging import PageRequest
from .common import locale, me

bp = Blueprint("search", __name__)


@bp.get("/search")
@login_required
def results():
    text = request.args.get("q", "").strip()
    req = PageRequest.from_args(request.args, listing.SEARCH_SORTS, default="started", default_direction="desc")
    with get_db().session() as session:
        page, tasks = listing.search_page(session, me(), text, req, locale())
    return render_template("search.html", q=text, page=page, tasks=tasks)
