"""Operators' pages under /ops: the incidents view and case control (retry, skip, correct data, suspend,
resume, cancel, move). Administrators and process owners; the work is done in app/services/operations."""
import json
from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import get_db
from ..i18n import _
from ..services.cases import cases, instances
from ..services.errors import ServiceError
from ..services.operations import control, incidents
from ..services.paging import PageRequest
from .common import locale, me

bp = Blueprint("ops", __name__, url_prefix="/ops")


def operator_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        user = me()
        if not control.may_operate(user):
            abort(403)
        return view(user, *args, **kwargs)
    return wrapper


@bp.get("/incidents")
@operator_required
def incident_list(user):
    page_request = PageRequest.from_args(request.args, incidents.SORTS, default="count", default_direction="desc")
    with get_db().session() as session:
        page = incidents.groups(session, user, page_request, locale=locale(),
                                process_id=request.args.get("process") or None)
    return render_template("ops/incidents.html", page=page)


@bp.post("/incidents/retry")
@operator_required
def retry_group(user):
    try:
        version_id = int(request.form.get("version_id", ""))
    except ValueError:
        abort(400)
    with get_db().session() as session:
        ids = incidents.group_members(session, user, version_id, request.form.get("element_id", ""),
                                      request.form.get("message", ""))
    results = control.retry_group(get_db(), user, ids, request.form.get("reason"))
    done = sum(1 for r in results if r["ok"])
    flash(_("%(done)s of %(total)s cases ran through; the others are still listed.", done=done, total=len(results)),
          "success" if done == len(results) else "info")
    return redirect(url_for("ops.incident_list"))


def _case_context(session, user, instance_id: int) -> dict:
    instance = instances.get_instance(session, instance_id)
    control.check_operator(user, instance.process_id)
    return {
        "instance": instance,
        "current": cases.open_tasks(session, instance_id),
        "children": control.open_children(session, instance_id),
        "targets": control.move_targets(get_db(), user, instance_id),
        "skippable": control.can_skip(session, instance),
        "data_json": json.dumps(instance.case_data or {}, ensure_ascii=False, indent=1, sort_keys=True),
    }


@bp.get("/cases/<int:instance_id>")
@operator_required
def case(user, instance_id):
    with get_db().session() as session:
        context = _case_context(session, user, instance_id)
    return render_template("ops/case.html", plan=None, **context)


ACTIONS = {
    "retry": lambda db, user, iid, form: control.retry(db, user, iid, form.get("reason")),
    "skip": lambda db, user, iid, form: control.skip(db, user, iid, form.get("reason")),
    "suspend": lambda db, user, iid, form: control.suspend(db, user, iid, form.get("reason")),
    "resume": lambda db, user, iid, form: control.resume(db, user, iid, form.get("reason")),
    "cancel": lambda db, user, iid, form: control.cancel(
        db, user, iid, form.get("reason"), [int(c) for c in form.getlist("children") if c.isdigit()]),
    "move": lambda db, user, iid, form: control.move(db, user, iid, form.get("element_id"), form.get("reason")),
}
DONE = {
    "retry": lambda: _("The failed step was run again."), "skip": lambda: _("The failed step was skipped."),
    "suspend": lambda: _("The case is suspended."), "resume": lambda: _("The case was resumed."),
    "cancel": lambda: _("The case was cancelled."), "move": lambda: _("The case was moved."),
    "data": lambda: _("The case data was corrected."),
}


@bp.post("/cases/<int:instance_id>/<action>")
@operator_required
def act(user, instance_id, action):
    if action not in ACTIONS:
        abort(404)
    try:
        ACTIONS[action](get_db(), user, instance_id, request.form)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(DONE[action](), "success")
    return redirect(url_for("ops.case", instance_id=instance_id))


@bp.post("/cases/<int:instance_id>/move/preview")
@operator_required
def move_preview(user, instance_id):
    plan, status = None, 200
    try:
        plan = control.move(get_db(), user, instance_id, request.form.get("element_id"), dry_run=True)
    except ServiceError as exc:
        flash(exc.message, "error")
        status = exc.status
    with get_db().session() as session:
        context = _case_context(session, user, instance_id)
    return render_template("ops/case.html", plan=plan, chosen=request.form.get("element_id"), **context), status


@bp.post("/cases/<int:instance_id>/data")
@operator_required
def edit_data(user, instance_id):
    try:
        changes = json.loads(request.form.get("changes") or "")
    except ValueError:
        flash(_("Write the fields to change as a JSON object, e.g. {\"amount\": 1200}."), "error")
        return redirect(url_for("ops.case", instance_id=instance_id))
    try:
        control.edit_data(get_db(), user, instance_id, changes, request.form.get("reason"))
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(DONE["data"](), "success")
    return redirect(url_for("ops.case", instance_id=instance_id))
