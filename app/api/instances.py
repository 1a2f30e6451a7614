from .. import get_db
from ..services import audit, instances, masking
from . import bp
from .auth import require_user


@bp.get("/instances/<int:instance_id>")
@require_user
def get_instance(user, instance_id):
    with get_db().session() as session:
        instance = instances.get_instance(session, instance_id)
        body = instances.instance_dict(session, instance)
        body["data"] = masking.masker(session, user, instance)(body["data"])
        return body


@bp.get("/instances/<int:instance_id>/events")
@require_user
def events(user, instance_id):
    with get_db().session() as session:
        hide = masking.masker(session, user, instances.get_instance(session, instance_id))
        return {"events": [audit.as_dict(e) | {"data": hide(e.data)}
                           for e in audit.events_for(session, instance_id)]}
