"""The inbox: my tasks, my departments' queue, claim and release, bulk actions, department workload."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from .. import get_db
from ..i18n import _
from ..services.cases import delegation, escalations, inbox, lists, tasks
from ..services.errors import Forbidden, ServiceError
from ..services.labels import Labels
from ..services.paging import PageRequest
from .common import locale, me

bp = Blueprint("home", __name__)

FILTERS = ("process", "business_key", "customer", "search")


def _filters() -> dict:
    args = request.args
    found = {name: args.get(name, "").strip() for name in FILTERS}
    found["overdue"] = args.get("overdue") == "1"
    return found


def _list(scope: str):
    user = me()
    filters = _filters()
    db = get_db()
    req = PageRequest.from_args(request.args, lists.TASK_SORTS, default="due")
    with db.session() as session:
        page = lists.task_page(session, user, scope, req, locale(), **filters)
        names = Labels(session, locale())
        processes = [(pid, names.process(pid)) for pid in inbox.process_choices(session, user)]
        members = {code: inbox.members(session, code) for code in sorted(user.head_of)}
        raised = escalations.for_user(session, user, limit=50) if scope == "mine" else []
    return render_template("inbox.html", scope=scope, rows=page, page=page, filters=filters,
                           processes=processes, members=members, is_head=bool(user.head_of), escalations=raised)


@bp.get("/")
@login_required
def index():
    return _list("mine")


@bp.get("/queue")
@login_required
def queue():
    return _list("queue")


def _back():
    target = request.form.get("next") or request.referrer or ""
    if target.startswith(request.host_url):
        target = "/" + target[len(request.host_url):]
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("home.index"))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id):
    tasks.claim(get_db(), me(), task_id)
    flash(_("You hold the task now."))
    return redirect(url_for("task.show", task_id=task_id))


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id):
    tasks.unclaim(get_db(), me(), task_id)
    flash(_("The task is back in the department queue."))
    return _back()


@bp.post("/tasks/<task_id>/assign")
@login_required
def assign(task_id):
    """A head reassigns (kind=reassigned) or the holder delegates (kind=delegated)."""
    kind = "reassigned" if request.form.get("kind") == "reassigned" else "delegated"
    receiver = delegation.assign(get_db(), me(), task_id, request.form.get("assignee", "").strip(), kind=kind)
    flash(_("The task was handed to %(who)s.", who=receiver))
    return _back()


@bp.post("/queue/bulk")
@login_required
def bulk():
    ids = request.form.getlist("task_id")
    action = request.form.get("action", "")
    if not ids:
        flash(_("Select at least one task."), "error")
        return _back()
    if action == "reassign" and not me().head_of:
        raise Forbidden(_("Only department heads may reassign tasks."))
    results = delegation.bulk(get_db(), me(), ids, action, request.form.get("assignee", "").strip())
    done = sum(1 for error in results.values() if error is None)
    flash(_("%(done)s of %(total)s task(s) done.", done=done, total=len(ids)))
    for error in dict.fromkeys(e for e in results.values() if e):
        flash(error, "error")
    return _back()


@bp.get("/workload")
@login_required
def workload():
    user = me()
    if not user.head_of:
        raise Forbidden(_("Only department heads see the department workload."))
    req = PageRequest.from_args(request.args, lists.TASK_SORTS, default="due")
    group, holder = request.args.get("group", "").strip(), request.args.get("holder", "").strip()
    with get_db().session() as session:
        groups = inbox.workload(session, user)
        page = lists.department_page(session, user, req, locale(), group=group, holder=holder)
        members = {code: inbox.members(session, code) for code in sorted(user.head_of)}
    return render_template("workload.html", groups=groups, rows=page, page=page, members=members,
                           filters={"group": group, "holder": holder})


@bp.errorhandler(ServiceError)
def refused(exc: ServiceError):
    if exc.status in (400, 409, 422) and request.method == "POST":
        flash(exc.message, "error")
        return _back()
    return render_template("error.html", status=exc.status, message=exc.message), exc.status
