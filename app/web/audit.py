"""The auditor workspace (/audit): case search with saved searches, a case's full history with the
diagram, exports, the printable case report. Read-only; only users with the auditor role get in.
The SLA dashboard, process versions and chain verification pages are in audit_reports.py."""
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock, get_db
from ..i18n import _
from ..services.audit import case_history, case_search, exports, pdf_report
from ..services.cases import instances, summary
from ..services.labels import Labels
from ..services.paging import PageRequest
from ..services.errors import ServiceError, ValidationFailed
from .common import locale, me

bp = Blueprint("audit", __name__, url_prefix="/audit")
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
        req = PageRequest.from_args(request.args, case_search.SORTS, default="started", default_direction="desc")
        rows = case_search.search_page(session, filters if not errors else {"status": "-"}, req)
        saved = [{"id": s.id, "name": s.name, "owner": s.owner, "shared_group": s.shared_group,
                  "query": urlencode(s.params)} for s in case_search.saved_searches(session, me())]
        choices = case_search.choices(session)
    return render_template("audit/search.html", rows=rows, filters=filters, errors=errors, args=request.args,
                           saved=saved, choices=choices, page=rows,
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
        rows = exports.case_rows(case_search.search(session, filters, limit=EXPORT_ROWS), Labels(session, locale()))
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
        view = case_history.case_view(session, me(), instance, locale())
        names = Labels(session, locale())
        # each step under the name it had in the version the case ran at that moment
        raw = [{"type": e["type"], "data": e["details"]} for e in view["events"]]
        for event, version_id in zip(view["events"], summary.version_ids_at(names, instance, raw)):
            event["version_id"] = version_id
            if event.get("element_id"):
                event["element"] = names.element(version_id, event["element_id"], event.get("element") or "")
        view["detail_labels"] = {"group": _("Department"), "to": _("To"), "from": _("From"),
                                 "requested": _("Asked for"), "substitute_for": _("Substitute for"),
                                 "reason": _("Reason"), "message": _("Message"), "from_version": _("From version"),
                                 "to_version": _("To version"), "process_id": _("Process"),
                                 "due_at": _("Due"), "version": _("Version"), "kind": _("Kind")}
        return view


@bp.get("/cases/<int:instance_id>")
def case(instance_id):
    return render_template("audit/case.html", **_case(instance_id))


@bp.get("/cases/<int:instance_id>/report")
def case_report(instance_id):
    return render_template("audit/case_print.html", now=clock.now(), **_case(instance_id))


@bp.get("/cases/<int:instance_id>/report.pdf")
def case_report_pdf(instance_id):
    """The printable report as a PDF (same template, Chinese fonts) for filing as evidence."""
    html = render_template("audit/case_print.html", now=clock.now(), pdf=True, **_case(instance_id))
    pdf = pdf_report.html_to_pdf(html, request.host_url, {"/static/": Path(current_app.static_folder)})
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="case-{instance_id}-report.pdf"'})


@bp.get("/cases/<int:instance_id>/history.<fmt>")
def export_history(instance_id, fmt):
    view = _case(instance_id)
    with get_db().session() as session:
        rows = exports.localise(exports.history_rows(view["events"], Labels(session, locale())))
    return _export(fmt, _("History"), exports.history_columns(), rows, f"case-{instance_id}")


@bp.errorhandler(ServiceError)
def refused(exc: ServiceError):
    return render_template("error.html", status=exc.status, message=exc.message), exc.status


from . import audit_reports  # noqa: E402,F401  (route registration)
