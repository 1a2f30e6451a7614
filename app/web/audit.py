"""The auditor workspace (/audit): case search with saved searches, a case's full history with the
diagram, exports, the printable case report. Read-only; only users with the auditor role get in.
The SLA dashboard, process versions and chain verification pages are in audit_reports.py."""
from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock, get_db
from ..i18n import _
from ..services.audit import case_history, case_search, exports
from ..services.cases import instances
from ..services.errors import ServiceError, ValidationFailed
from .common import locale, me

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_ROWS = 500
EXPORT_ROWS = 100_000
MIMETYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "csv": "text/csv; charset=utf-8"}


@bp.before_request
def auditors_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not me().has_role("auditor"):
        abort(403)
    return None


def _filters() -> tuple[dict, dict]:
    try:
        return case_search.parse_filters(request.args), {}
    except ValidationFailed as exc:
        return {}, exc.field_errors


@bp.get("/")
def search():
    filters, errors = _filters()
    with get_db().session() as session:
        rows = case_search.search(session, filters, limit=PAGE_ROWS) if not errors else []
        saved = [{"id": s.id, "name": s.name, "owner": s.owner, "shared_group": s.shared_group,
                  "query": urlencode(s.params)} for s in case_search.saved_searches(session, me())]
        choices = case_search.choices(session)
    return render_template("audit/search.html", rows=rows, filters=filters, errors=errors, args=request.args,
                           saved=saved, choices=choices, limit=PAGE_ROWS,
                           query=urlencode({k: v for k, v in filters.items()})), (422 if errors else 200)


def _download(content: bytes, fmt: str, stem: str) -> Response:
    response = Response(content, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}-{date.today().isoformat()}.{fmt}"'
    return response


def _export(fmt: str, title: str, columns, rows, stem: str) -> Response:
    if fmt not in MIMETYPES:
        abort(404)
    content = exports.to_xlsx(title, columns, rows) if fmt == "xlsx" else exports.to_csv(columns, rows)
    return _download(content, fmt, stem)


@bp.get("/export/cases.<fmt>")
def export_cases(fmt):
    filters, errors = _filters()
    if errors:
        raise ValidationFailed(_("Some filters are not valid."), errors)
    with get_db().session() as session:
        rows = exports.case_rows(case_search.search(session, filters, limit=EXPORT_ROWS))
    return _export(fmt, _("Cases"), exports.case_columns(), exports.localise(rows), "cases")


@bp.post("/searches")
def save_search():
    form = request.form
    filters = {k: form.get(k, "") for k in case_search.FILTERS}
    try:
        with get_db().session() as session:
            case_search.save_search(session, me(), form.get("name", ""), filters, form.get("shared_group") or None)
    except ValidationFailed as exc:
        flash(exc.message + " " + " ".join(str(v) for v in exc.field_errors.values()), "error")
    else:
        flash(_("The search was saved."))
    return redirect(url_for("audit.search", **{k: v for k, v in filters.items() if v}))


@bp.post("/searches/<int:search_id>/delete")
def delete_search(search_id):
    with get_db().session() as session:
        case_search.delete_search(session, me(), search_id)
    flash(_("The saved search was removed."))
    return redirect(url_for("audit.search"))


def _case(instance_id: int) -> dict:
    with get_db().session() as session:
        instance = instances.get_instance(session, instance_id)
        return case_history.case_view(session, me(), instance, locale())


@bp.get("/cases/<int:instance_id>")
def case(instance_id):
    return render_template("audit/case.html", **_case(instance_id))


@bp.get("/cases/<int:instance_id>/report")
def case_report(instance_id):
    return render_template("audit/case_print.html", now=clock.now(), **_case(instance_id))


@bp.get("/cases/<int:instance_id>/history.<fmt>")
def export_history(instance_id, fmt):
    view = _case(instance_id)
    rows = exports.localise(exports.history_rows(view["events"]))
    return _export(fmt, _("History"), exports.history_columns(), rows, f"case-{instance_id}")


@bp.errorhandler(ServiceError)
def refused(exc: ServiceError):
    return render_template("error.html", status=exc.status, message=exc.message), exc.status


from . import audit_reports  # noqa: E402,F401  (route registration)
