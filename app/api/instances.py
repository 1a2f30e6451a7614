import re

from flask import g

from .. import get_db
from ..services.audit import audit, masking
from ..services.cases import cases, instances, listing
from ..services.errors import Forbidden
from ..services.integration import service_accounts
from ..i18n import _
from . import bp
from .auth import require_user
from .cases_list import locale, read_scope


def _visible(session, user, instance_id: int):
    """The case, if the user may see it (as on the case page): product readers, its starter, the
    departments and people working on it."""
    instance = instances.get_instance(session, instance_id)
    scopes = getattr(g, "api_scopes", None)
    if scopes is None:
        cases.check_may_view(session, user, instance)
    elif not (service_accounts.allows(scopes, "read", instance.process_id) or instance.started_by == user.username):
        raise Forbidden(_("You may not see this case."), code="scope_missing")
    return instance


@bp.get("/instances/<int:instance_id>")
@require_user(service=True)
def get_instance(user, instance_id):
    with get_db().session() as session:
        instance = _visible(session, user, instance_id)
        body = instances.instance_dict(session, instance)
        body["data"] = masking.masker(session, user, instance)(body["data"])
        item = listing.case_items(session, [instance], locale())[0]
        body.update(process_name=item["process_name"], status_label=item["status_label"],
                    customer=item["customer"], current_tasks=item["current_tasks"], deadlines=item["deadlines"],
                    children=listing.children(session, user, instance.id, locale(), read_scope()))
        return body


@bp.get("/instances/<int:instance_id>/events")
@require_user(service=True)
def events(user, instance_id):
    with get_db().session() as session:
        hide = masking.masker(session, user, _visible(session, user, instance_id))
        return {"events": [audit.as_dict(e) | {"data": _with_offsets(hide(e.data))}
                           for e in audit.events_for(session, instance_id)]}


_NAIVE_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$")


def _with_offsets(data):
    """The system's own times in an event (`…_at`, stored as naive UTC text) with their offset, as every
    time the API writes; the event as stored (and hashed) is unchanged."""
    if not isinstance(data, dict):
        return data
    return {k: v + "+00:00" if k.endswith("_at") and isinstance(v, str) and _NAIVE_STAMP.match(v) else v
            for k, v in data.items()}
