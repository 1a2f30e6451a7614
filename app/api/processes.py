
from flask import g

from .. import get_db
from ..services.cases import cases, instances
from ..services.integration import service_accounts
from ..services.modelling import publishing
from . import bp
from .auth import require_user
from .util import json_body


@bp.get("/processes")
@require_user
def list_processes(user):
    with get_db().session() as session:
        return {"processes": publishing.list_processes(session)}


@bp.post("/processes/<process_id>/instances")
@require_user(service=True)
def start(user, process_id):
    body = json_body()
    data = body.get("data", body)
    db = get_db()
    scopes = getattr(g, "api_scopes", None)
    if scopes is not None:  # a service account: its start scope decides
        service_accounts.check(scopes, "start", process_id)
    with db.session() as session:
        if scopes is None:
            cases.check_may_start(session, user, process_id)
    instance_id = instances.start_instance(db, process_id, data, user.username)
    with db.session() as session:
        return instances.instance_dict(session, instances.get_instance(session, instance_id)), 201
