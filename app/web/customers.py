"""Customer pages: the customer files (list, new, edit), a customer's page with all their cases and the
contact register, and the monthly after-sales report (charts and an xlsx download)."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from .. import clock, get_db
from ..i18n import _
from ..services.cases import cases
from ..services.customers import contacts, files, links, report
from ..services.errors import Forbidden, ValidationFailed
from ..services.paging import PageRequest
from .common import locale, me

bp = Blueprint("customers", __name__, url_prefix="/customers")

# processes started from a customer's page (the customer's name fills the start form's customer field)
START_FROM_CUSTOMER = ("complaint_handling", "overseas_repair", "customer_followup", "contract_review")
EDIT_FIELDS = ("name", "address", "phone", "contact_person", "main_products", "country", "prior_year_sales")


def _keeper():
    user = me()
    if not user.group_codes & files.KEEPERS:
        raise Forbidden(_("Only Sales keeps the customer files."))
    return user


@bp.get("")
@login_required
def index():
    req = PageRequest.from_args(request.args, files.SORTS, default="key", default_direction="desc")
    text = (request.args.get("q") or "").strip()[:200]
    key_only = request.args.get("key") == "1"
    with get_db().session() as session:
        page = files.search(session, req, text, key_only=key_only)
        user = me()
        page = page.map(lambda rows: [files.view(session, user, c) for c in rows])
    return render_template("customers/list.html", page=page, filters={"q": text, "key": key_only},
                           may_edit=bool(me().group_codes & files.KEEPERS))


def _form_values() -> dict:
    return {k: request.form.get(k, "") for k in EDIT_FIELDS}


def _file_form(customer: dict | None, save, done: str):
    """The new/edit form: on POST save(session, values) -> customer id; refused input is shown again."""
    values = {k: ("" if customer[k] is None else customer[k]) for k in EDIT_FIELDS} if customer else {}
    errors, message, status = {}, None, 200
    if request.method == "POST":
        values = _form_values()
        try:
            with get_db().session() as session:
                customer_id = save(session, values)
        except ValidationFailed as exc:
            errors, message, status = exc.field_errors, exc.message, 422
        else:
            flash(done, "success")
            return redirect(url_for("customers.show", customer_id=customer_id))
    return render_template("customers/edit.html", customer=customer, values=values, errors=errors,
                           message=message), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    user = _keeper()
    return _file_form(None, lambda session, values: files.create(session, user.username, values).id,
                      _("The customer file was created."))


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(customer_id):
    user = _keeper()
    with get_db().session() as session:
        customer = files.as_dict(files.get(session, customer_id), masked=False)
    return _file_form(customer, lambda session, values: files.update(session, user.username, customer_id, values).id,
                      _("The customer file was saved."))


@bp.get("/<int:customer_id>")
@login_required
def show(customer_id, contact_values=None, contact_errors=None, contact_message=None, status=200):
    user = me()
    with get_db().session() as session:
        customer_row = files.get(session, customer_id)
        customer = files.view(session, user, customer_row)
        cases_page = links.cases_of(session, customer_id, PageRequest.from_args(
            {"page": request.args.get("cases_page"), "sort": request.args.get("sort"),
             "dir": request.args.get("dir")}, links.CASE_SORTS, default="started", default_direction="desc"))
        startable = {v.process_id for v in cases.startable(session, user)}
        register = contacts.register_of(session, customer_id, PageRequest.from_args(
            {"page": request.args.get("contacts_page")}, {"at": None}, default="at", default_direction="desc"))
    return render_template("customers/show.html", customer=customer, cases=cases_page, register=register,
                           may_edit=bool(user.group_codes & files.KEEPERS), starts=[p for p in START_FROM_CUSTOMER if p in startable],
                           channels=contacts.CHANNELS, directions=contacts.DIRECTIONS,
                           contact_values=contact_values or {}, contact_errors=contact_errors or {},
                           contact_message=contact_message), status


@bp.post("/<int:customer_id>/contacts")
@login_required
def add_contact(customer_id):
    user = _keeper()
    values = {k: request.form.get(k, "") for k in ("channel", "direction", "subject", "notes")}
    try:
        with get_db().session() as session:
            contacts.register(session, customer_id, channel=values["channel"], direction=values["direction"],
                              subject=values["subject"], notes=values["notes"], actor=user.username)
    except ValidationFailed as exc:
        return show(customer_id, contact_values=values, contact_errors=exc.field_errors,
                    contact_message=exc.message, status=422)
    flash(_("The contact was registered."), "success")
    return redirect(url_for("customers.show", customer_id=customer_id) + "#contacts")


@bp.get("/reports/after-sales")
@login_required
def after_sales():
    month = request.args.get("month") or report.previous_month(clock.now())
    with get_db().session() as session:
        data = report.monthly(session, month, locale())
    chart = {"by_process": {}, "resolution": data["resolution"], "satisfaction": data["satisfaction"],
             "sla": data["sla"]}
    for row in data["by_type"]:
        chart["by_process"][row["process"]] = chart["by_process"].get(row["process"], 0) + row["cases"]
    return render_template("customers/report.html", report=data, month=month, chart=chart)


@bp.get("/reports/after-sales.xlsx")
@login_required
def after_sales_xlsx():
    month = request.args.get("month") or report.previous_month(clock.now())
    with get_db().session() as session:
        data = report.monthly(session, month, locale())
    body = report.xlsx(data)
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="after-sales-{month}.xlsx"'})
