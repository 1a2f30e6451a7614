from flask import request

from .. import clock, get_db
from ..i18n import _
from ..services.cases import delegation, listing, tasks
from ..services.cases.listing import BadParameter, whole_number
from ..services.audit import masking
from ..services.errors import Forbidden
from ..services.labels import Labels
from ..services.paging import COUNT_CAP
from ..services.modelling.forms import load_schema
from ..models import OPEN_STATES, ProcessInstance, ProcessVersion
from . import bp
from .auth import require_user
from .cases_list import locale
from .instances import _visible
from .util import check_known_args, cursor_link, json_body, next_link, page_args


TASK_LIST_ARGS = ("process", "state", "overdue", "business_key", "scope", "instance_id", "limit", "offset", "cursor")
SCOPES = ("all", "mine", "queue")


def _choice(name: str, choices: tuple[str, ...]) -> str | None:
    value = request.args.get(name) or None
    if value is not None and value not in choices:
        raise BadParameter(name, _("%(name)s must be one of: %(choices)s", name=name, choices=", ".join(choices)))
    return value


def _boolean(name: str) -> bool | None:
    value = (request.args.get(name) or "").lower()
    if not value:
        return None
    if value not in ("true", "false", "1", "0"):
        raise BadParameter(name, _("%(name)s must be true or false.", name=name))
    return value in ("true", "1")


@bp.get("/tasks")
@require_user
def list_tasks(user):
    """The caller's inbox (held tasks and the queues of the caller's groups), or with instance_id every task
    of one case the caller may see. Each item carries the case's deadlines beside the task's due time.
    The inbox is paged by cursor: `next` carries the position after the last task (keyset paging, as
    fast on page 100 as on page 1; a task done meanwhile shifts nothing); offset still works. The inbox's
    total is counted up to 10,000: past it `total` is 10,000 and `total_capped` true."""
    check_known_args(TASK_LIST_ARGS)
    args = request.args
    limit, offset = page_args(200, 1000)
    after = None
    if args.get("cursor"):
        if offset or args.get("instance_id"):
            raise BadParameter("cursor", _("%(name)s cannot be combined with offset or instance_id.", name="cursor"))
        after = tasks.read_inbox_cursor(args["cursor"])
    scope = _choice("scope", SCOPES) or "all"
    overdue = _boolean("overdue")
    instance_id = whole_number("instance_id", args["instance_id"], 1, 2**31 - 1) if args.get("instance_id") else None
    state = _choice("state", listing.TASK_STATES if instance_id else OPEN_STATES)
    with get_db().session() as session:
        if instance_id is not None:
            _visible(session, user, instance_id)
            rows, total = listing.case_tasks(session, instance_id, state, limit, offset)
            now = clock.now()
            items = [tasks.task_dict(t, now) for t in rows]
        else:
            filters = dict(process=args.get("process") or None, state=state, overdue=overdue,
                           business_key=args.get("business_key") or None, scope=scope)
            found = tasks.inbox_page(session, user, limit + 1, offset, after, **filters)
            now = clock.now()
            items = [tasks.task_dict(t, now) for t in found[:limit]]
            total = tasks.inbox_count(session, user, COUNT_CAP, **filters)
            following = tasks.inbox_cursor(found[limit - 1]) if len(found) > limit else None
        deadlines = listing.case_deadlines(session, {t["instance_id"] for t in items}, locale())
        for item in items:
            item["case_deadlines"] = deadlines.get(item["instance_id"], [])
    if instance_id is not None:
        return {"tasks": items, "total": total, "next": next_link(limit, offset, total)}
    return {"tasks": items, "total": min(total, COUNT_CAP), "total_capped": total > COUNT_CAP,
            "next": cursor_link(following)}


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
        body["documentation"] = Labels(session, locale()).documentation(version.id, task.task_name)
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
    """Completes the task and answers with it and `next_tasks`: the case's open tasks the caller may do now
    (each with its `form_schema` when asked with include=form), so no second request is needed."""
    check_known_args(("include",))
    include = {part.strip() for part in (request.args.get("include") or "").split(",") if part.strip()}
    if include - {"form"}:
        raise BadParameter("include", _("%(name)s must be one of: %(choices)s", name="include", choices="form"))
    body = json_body()
    data = body.get("data", body)
    completion = tasks.complete(get_db(), user, task_id, data)
    following = tasks.next_for(user, completion)
    now = clock.now()
    answer = tasks.task_dict(completion.task, now)
    answer["next_tasks"] = [tasks.task_dict(t, now) for t in following]
    if "form" in include:
        with get_db().reading() as session:
            for item, task in zip(answer["next_tasks"], following):
                version = session.get(ProcessVersion, session.get(ProcessInstance, task.instance_id).version_id)
                item["form_schema"] = load_schema(version.sources[task.form_ref]) if task.form_ref else None
    return answer


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
