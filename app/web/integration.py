"""The administrator's integration pages: webhook receivers with their delivery log and "send again", and
service accounts (create with scopes, revoke). Thin: the work is in app/services/integration."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from .. import get_db
from ..i18n import _
from ..services.errors import ServiceError, ValidationFailed
from ..services.integration import service_accounts, webhooks
from ..services.paging import PageRequest, Page
from .admin import admin_required

bp = Blueprint("integration", __name__, url_prefix="/admin/integration")


@bp.route("/webhooks", methods=["GET", "POST"])
@admin_required
def webhook_list(user):
    errors, values, created = {}, {}, None
    if request.method == "POST":
        values = request.form
        try:
            with get_db().session() as session:
                sub = webhooks.create_subscription(
                    session, user.username, name=values.get("name"), url=values.get("url"),
                    event_types=values.getlist("event_types"), language=values.get("language") or "zh")
                created = webhooks.subscription_dict(sub, with_secret=True)
            flash(_("The receiver is registered. Give it the signing secret shown below."), "success")
            values = {}
        except ValidationFailed as exc:
            errors = exc.field_errors
    with get_db().session() as session:
        subs = webhooks.list_subscriptions(session)
    return render_template("integration/webhooks.html", subs=subs, types=webhooks.event_type_labels(),
                           errors=errors, values=values, created=created)


@bp.post("/webhooks/<int:webhook_id>/active")
@admin_required
def webhook_active(user, webhook_id):
    with get_db().session() as session:
        webhooks.set_active(session, user.username, webhook_id, request.form.get("active") == "1")
    return redirect(url_for(".webhook_list"))


@bp.get("/webhooks/<int:webhook_id>")
@admin_required
def webhook_log(user, webhook_id):
    req = PageRequest.from_args(request.args)
    state = request.args.get("state") if request.args.get("state") in ("pending", "delivered", "failed") else None
    with get_db().session() as session:
        sub = webhooks.get_subscription(session, webhook_id)
        rows, total = webhooks.deliveries(session, webhook_id, limit=req.size, offset=req.offset, state=state)
        attempts = webhooks.attempts_of(session, [r.id for r in rows])
    page = Page(rows, total, req.page, req.size)
    return render_template("integration/deliveries.html", sub=sub, page=page, attempts=attempts, state=state,
                           types=webhooks.event_type_labels())


@bp.post("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/resend")
@admin_required
def resend(user, webhook_id, delivery_id):
    with get_db().session() as session:
        webhooks.send_again(session, user.username, delivery_id)
    flash(_("The delivery will be sent again within a few seconds."), "success")
    return redirect(url_for(".webhook_log", webhook_id=webhook_id, **request.args))


def _names(text: str) -> list[str]:
    return [n.strip() for n in (text or "").replace("，", ",").split(",") if n.strip()]


@bp.route("/service-accounts", methods=["GET", "POST"])
@admin_required
def account_list(user):
    errors, values, token = {}, {}, None
    if request.method == "POST":
        values = request.form
        scopes = {kind: _names(values.get(kind, "")) for kind in service_accounts.SCOPE_KINDS}
        try:
            with get_db().session() as session:
                _account, token = service_accounts.create(session, user.username, values.get("name"),
                                                          {k: v for k, v in scopes.items() if v},
                                                          values.get("description", ""))
            values = {}
        except ValidationFailed as exc:
            errors = exc.field_errors
        except ServiceError as exc:
            errors = {"name": [exc.message]}
    with get_db().session() as session:
        accounts = service_accounts.list_accounts(session)
    return render_template("integration/service_accounts.html", accounts=accounts, errors=errors, values=values,
                           token=token)


@bp.post("/service-accounts/<int:account_id>/revoke")
@admin_required
def revoke(user, account_id):
    with get_db().session() as session:
        service_accounts.revoke(session, user.username, account_id)
    flash(_("The service account's token no longer works."), "success")
    return redirect(url_for(".account_list"))
