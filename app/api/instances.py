from .. import get_db
from ..services.audit import audit, masking
from ..services.cases import cases, instances
from . import bp
from .auth import require_user


def _visible(session, user, instance_id: int):
    """The case, if the user may see it (as on the case page): product readers, its starter, the
    departments and people working on it."""
    instance = instances.get_instance(session, instance_id)
    cases.check_may_view(session, user, instance)
    return instance


@bp.get("/instances/<int:instance_id>")
@require_user
def get_instance(user, instance_id):
    with get_db().session() as session:
        instance = _visible(session, user, instance_id)
        body = instances.instance_dict(session, instance)
        body["data"] = masking.masker(session, user, instance)(body["data"])
        return body


@bp.get("/instances/<int:instance_id>/events")
@require_user
def events(user, instance_id):
    with get_db().session() as session:
        hide = masking.masker(session, user, _visible(session, user, instance_id))
        return {"events": [audit.as_dict(e) | {"data": hide(e.data)}
                           for e in audit.events_for(session, instance_id)]}
