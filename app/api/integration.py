"""Integration routes: webhooks (administrators), messages in, service accounts (administrators)."""
from flask import g, request

from .. import get_db
from ..i18n import _
from ..services.errors import Forbidden, NotFound, ValidationFailed
from ..services.integration import messages, service_accounts, webhooks
from ..services.cases.listing import BadParameter
from . import bp
from .auth import require_user
from .util import check_known_args, json_body, next_link, page_args

ADMIN = "admin"


@bp.get("/webhooks")
@require_user(role=ADMIN)
def list_webhooks(user):
    with get_db().session() as session:
        return {"webhooks": [webhooks.subscription_dict(s) for s in webhooks.list_subscriptions(session)],
                "event_types": [{"code": c, "label": label} for c, label in webhooks.event_type_labels().items()]}


@bp.post("/webhooks")
@require_user(role=ADMIN)
def create_webhook(user):
    body = json_body()
    with get_db().session() as session:
        sub = webhooks.create_subscription(session, user.username, name=body.get("name"), url=body.get("url"),
                                           event_types=body.get("event_types"),
                                           language=body.get("language") or "zh")
        # the signing secret is shown here, to the administrator who registers the receiver
        return webhooks.subscription_dict(sub, with_secret=True), 201


@bp.get("/webhooks/<int:webhook_id>")
@require_user(role=ADMIN)
def get_webhook(user, webhook_id):
    with get_db().session() as session:
        return webhooks.subscription_dict(webhooks.get_subscription(session, webhook_id), with_secret=True)


@bp.patch("/webhooks/<int:webhook_id>")
@require_user(role=ADMIN)
def change_webhook(user, webhook_id):
    active = json_body().get("active")
    if not isinstance(active, bool):
        raise ValidationFailed(_("Some fields are not valid."), {"active": [_("true or false")]})
    with get_db().session() as session:
        return webhooks.subscription_dict(webhooks.set_active(session, user.username, webhook_id, active))


@bp.get("/webhooks/<int:webhook_id>/deliveries")
@require_user(role=ADMIN)
def webhook_deliveries(user, webhook_id):
    check_known_args(("state", "limit", "offset"))
    limit, offset = page_args()
    state = request.args.get("state") or None
    if state is not None and state not in ("pending", "delivered", "failed"):
        raise BadParameter("state", _("%(name)s must be one of: %(choices)s", name="state",
                                      choices="pending, delivered, failed"))
    with get_db().session() as session:
        rows, total = webhooks.deliveries(session, webhook_id, limit=limit, offset=offset, state=state)
        log = webhooks.attempts_of(session, [r.id for r in rows])
        items = [webhooks.delivery_dict(r, log[r.id]) for r in rows]
    return {"deliveries": items, "total": total, "next": next_link(limit, offset, total)}


@bp.post("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/resend")
@require_user(role=ADMIN)
def resend_delivery(user, webhook_id, delivery_id):
    with get_db().session() as session:
        webhooks.get_subscription(session, webhook_id)
        delivery = webhooks.send_again(session, user.username, delivery_id)
        if delivery.subscription_id != webhook_id:
            raise NotFound(_("No such delivery: %(id)s", id=delivery_id))
        return webhooks.delivery_dict(delivery)


@bp.post("/messages/<name>")
@require_user(service=True)
def post_message(user, name):
    scopes = getattr(g, "api_scopes", None)
    if scopes is not None:
        service_accounts.check(scopes, "messages", name)
    elif not user.has_role(ADMIN):
        raise Forbidden(_("Messages are posted by service accounts (or administrators)."), code="scope_missing")
    body = json_body()
    status, answer = messages.post(get_db(), user.username, name, body.get("correlation"), body.get("data"),
                                   request.headers.get("Idempotency-Key"))
    return answer, status


@bp.get("/service-accounts")
@require_user(role=ADMIN)
def list_service_accounts(user):
    with get_db().session() as session:
        return {"service_accounts": [service_accounts.as_dict(a) for a in service_accounts.list_accounts(session)]}


@bp.post("/service-accounts")
@require_user(role=ADMIN)
def create_service_account(user):
    body = json_body()
    with get_db().session() as session:
        account, token = service_accounts.create(session, user.username, body.get("name"), body.get("scopes"),
                                                 body.get("description") or "")
        # the token is shown once; only its hash is kept
        return service_accounts.as_dict(account) | {"token": token, "token_type": "Bearer"}, 201  # nosec B105


@bp.post("/service-accounts/<int:account_id>/revoke")
@require_user(role=ADMIN)
def revoke_service_account(user, account_id):
    with get_db().session() as session:
        return service_accounts.as_dict(service_accounts.revoke(session, user.username, account_id))

