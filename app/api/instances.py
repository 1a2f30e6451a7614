from .. import get_db
from ..services import audit, instances
from . import bp
from .auth import require_user


@bp.get("/instances/<int:instance_id>")
@require_user
def get_instance(user, instance_id):
    with get_db().session() as session:
        return instances.instance_dict(session, instances.get_instance(session, instance_id))


@bp.get("/instances/<int:instance_id>/events")
@require_user
def events(user, instance_id):
    with get_db().session() as session:
        instances.get_instance(session, instance_id)
        return {"events": [audit.as_dict(e) for e in audit.events_for(session, instance_id)]}
