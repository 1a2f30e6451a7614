from flask import request

from .. import get_db
from ..i18n import _
from ..services.cases import delegation, tasks
from ..services.errors import Forbidden
from ..services.audit import masking
from ..services.modelling.forms import load_schema
from ..models import ProcessInstance, ProcessVersion
from . import bp
from .auth import require_user
from .util import count_arg, flag, json_body


@bp.get("/tasks")
@require_user
def list_tasks(user):
    args = request.args
    delegation.apply_due(get_db())  # hand over the held tasks of people out of office today
    with get_db().session() as session:
        items = tasks.list_tasks(session, user, process=args.get("process"), state=args.get("state"),
                                 overdue=flag("overdue"), business_key=args.get("business_key"),
                                 scope=args.get("scope", "all"),
                                 limit=count_arg("limit", 200, 1000), offset=count_arg("offset", 0, 10**9))
    return {"tasks": items}


@bp.get("/tasks/<task_id>")
@require_user
def get_task(user, task_id):
    with get_db().session() as session:
        task = tasks.get_task(session, task_id)
        if not tasks.may_view(user, task):
            raise Forbidden(_("You may not see this task."))
        body = tasks.task_dict(task)
        instance = session.get(ProcessInstance, task.instance_id)
        version = session.get(ProcessVersion, instance.version_id)
        body["form_schema"] = load_schema(version.sources[task.form_ref]) if task.form_ref else None
        body["documentation"] = version.task_catalog.get(task.task_name, {}).get("documentation", "")
        body["case_data"] = masking.visible_case_data(session, user, instance)
        return body


@bp.post("/tasks/<task_id>/claim")
@require_user
def claim(user, task_id):
    tasks.claim(get_db(), user, task_id)
    return _task(task_id)


@bp.post("/tasks/<task_id>/unclaim")
@require_user
def unclaim(user, task_id):
    tasks.unclaim(get_db(), user, task_id)
    return _task(task_id)


@bp.post("/tasks/<task_id>/complete")
@require_user
def complete(user, task_id):
    body = json_body()
    data = body.get("data", body)
    tasks.complete(get_db(), user, task_id, data)
    return _task(task_id)


@bp.post("/tasks/<task_id>/reassign")
@require_user
def reassign(user, task_id):
    """A head of the task's group gives it to a member (to the substitute of an absent member)."""
    delegation.assign(get_db(), user, task_id, str(json_body().get("assignee", "")), kind="reassigned")
    return _task(task_id)


@bp.post("/tasks/<task_id>/delegate")
@require_user
def delegate(user, task_id):
    """The holder hands the task to a colleague (to the substitute of an absent colleague)."""
    delegation.assign(get_db(), user, task_id, str(json_body().get("assignee", "")), kind="delegated")
    return _task(task_id)


def _task(task_id):
    with get_db().session() as session:
        return tasks.task_dict(tasks.get_task(session, task_id))
