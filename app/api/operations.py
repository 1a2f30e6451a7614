"""Incidents and case control for administrators and process owners."""
from flask import request

from .. import clock, get_db
from ..i18n import _
from ..services.errors import ServiceError
from ..services.operations import control, incidents
from ..services.paging import PageRequest
from . import bp
from .auth import require_user
from .util import json_body


def _group_json(group: dict) -> dict:
    return {**{k: v for k, v in group.items() if k not in ("since", "instances", "instance_ids", "key")},
            "since": clock.iso(group["since"]),
            "instances": [{"id": i["id"], "business_key": i["business_key"], "since": clock.iso(i["since"])}
                          for i in group["instances"]]}


@bp.get("/incidents")
@require_user
def list_incidents(user):
    page_request = PageRequest.from_args(request.args, incidents.SORTS, default="count", default_direction="desc")
    with get_db().session() as session:
        page = incidents.groups(session, user, page_request, locale=user.locale or "zh",
                                process_id=request.args.get("process") or None)
    return {"incidents": [_group_json(g) for g in page], "total": page.total, "page": page.page,
            "size": page.size}


def _ids(body: dict) -> list[int]:
    ids = body.get("instance_ids")
    if not isinstance(ids, list) or not ids or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in ids):  # an id column's range
        raise ServiceError(_("\"instance_ids\" must be a list of case numbers."), code="bad_ids")
    return ids


@bp.post("/incidents/retry")
@require_user
def retry_incidents(user):
    control.check_operator(user)  # the role before anything about the request
    body = json_body()
    return {"results": control.retry_group(get_db(), user, _ids(body), body.get("reason"))}


@bp.post("/instances/<int:instance_id>/retry")
@require_user
def retry(user, instance_id):
    return {"id": instance_id, **control.retry(get_db(), user, instance_id, json_body().get("reason"))}


@bp.post("/instances/<int:instance_id>/skip")
@require_user
def skip(user, instance_id):
    return {"id": instance_id, **control.skip(get_db(), user, instance_id, json_body().get("reason"))}


@bp.post("/instances/<int:instance_id>/suspend")
@require_user
def suspend(user, instance_id):
    control.suspend(get_db(), user, instance_id, json_body().get("reason"))
    return {"id": instance_id, "status": "suspended"}


@bp.post("/instances/<int:instance_id>/resume")
@require_user
def resume(user, instance_id):
    return {"id": instance_id, **control.resume(get_db(), user, instance_id, json_body().get("reason"))}


@bp.post("/instances/<int:instance_id>/cancel")
@require_user
def cancel(user, instance_id):
    control.check_operator(user)
    body = json_body()
    children = body.get("cancel_children", False)
    if not (isinstance(children, bool) or isinstance(children, list)
            and all(isinstance(c, int) and not isinstance(c, bool) for c in children)):
        raise ServiceError(_("\"cancel_children\" is true, false or a list of case numbers."), code="bad_ids")
    return {"id": instance_id, **control.cancel(get_db(), user, instance_id, body.get("reason"), children)}


@bp.get("/instances/<int:instance_id>/move")
@require_user
def move_targets(user, instance_id):
    return {"targets": control.move_targets(get_db(), user, instance_id)}


@bp.post("/instances/<int:instance_id>/move")
@require_user
def move(user, instance_id):
    control.check_operator(user)
    body = json_body()
    dry_run = body.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise ServiceError(_("\"dry_run\" is true or false."), code="bad_request")
    return {"id": instance_id, **control.move(get_db(), user, instance_id, body.get("element_id"),
                                              body.get("reason"), dry_run=dry_run)}


@bp.patch("/instances/<int:instance_id>/data")
@require_user
def edit_data(user, instance_id):
    control.check_operator(user)
    body = json_body()
    return {"id": instance_id, **control.edit_data(get_db(), user, instance_id, body.get("data"),
                                                   body.get("reason"))}
