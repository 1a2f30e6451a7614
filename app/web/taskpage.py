"""One task: the case summary, the form from its JSON Schema, save draft, complete."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from flask_login import login_required

from .. import get_db
from ..i18n import _
from ..models import ProcessInstance, ProcessVersion
from ..services.audit import masking
from ..services.cases import attachments, cases, drafts, inbox, tasks
from ..services.modelling import formfields
from ..services.errors import Conflict, Forbidden, ValidationFailed
from ..services.modelling.forms import load_schema
from ..services.cases import summary
from ..services.labels import Labels
from .common import locale, me

bp = Blueprint("task", __name__)


def uploader(user, instance_id=None, task_id=None):
    """store_file callback for formfields.parse: keeps an upload in the attachments table."""
    def store(field, upload):
        content = upload.read(current_app.config.get("MAX_ATTACHMENT_BYTES", drafts.DEFAULT_MAX_BYTES) + 1)
        return drafts.store_attachment(get_db(), user, field, upload.filename, upload.mimetype, content,
                                       instance_id=instance_id, task_id=task_id,
                                       max_bytes=current_app.config.get("MAX_ATTACHMENT_BYTES",
                                                                        drafts.DEFAULT_MAX_BYTES))
    return store


def _context(task_id: str):
    """Everything the task page shows, read from the task, instance and event tables."""
    user = me()
    with get_db().session() as session:
        task = tasks.get_task(session, task_id)
        if not tasks.may_view(user, task):
            raise Forbidden(_("You may not see this task."))
        instance = session.get(ProcessInstance, task.instance_id)
        version = session.get(ProcessVersion, instance.version_id)
        labels = inbox.labels_for(session, {instance.id}).get(instance.id, {})
        schema = load_schema(version.sources[task.form_ref]) if task.form_ref else {"properties": {}}
        draft = drafts.load_draft(session, user, task_id)
        names = Labels(session, locale())
        case_data = masking.visible_case_data(session, user, instance)  # contact data only for who works it
        row = inbox.decorate(session, [task], locale())[0]
        colleagues = [m for m in inbox.members(session, task.group_code or "")
                      if m.username != user.username and tasks.may_work(m, task)]
        context = {
            "task": row, "instance": instance, "schema": schema, "fields": formfields.fields(schema, locale()),
            "documentation": names.documentation(version.id, task.task_name),  # the rule it cites, page language
            "may_work": tasks.may_work(user, task), "is_head": task.group_code in user.head_of,
            "holder": task.claimed_by, "colleagues": colleagues, "draft": draft,
            "key_data": summary.flat(names, version, case_data),
            "where": [f"{inbox.label(labels, t.task_name, t.title, locale())} ({names.group(t.group_code)})"
                      for t in cases.open_tasks(session, instance.id)],
            "events": summary.labelled_events(names, instance, cases.timeline(session, instance.id))[-8:],
            "process_name": row["process_name"],
        }
        values = dict(draft.form_values) if draft else {
            k: v for k, v in case_data.items() if k in schema.get("properties", {})}
        context["file_names"] = drafts.file_names(session, context["fields"], values, instance_id=instance.id)
    context["values"] = values
    return context


def _render(task_id: str, *, values=None, errors=None, message=None, status=200):
    context = _context(task_id)
    if values is not None:
        context["values"] = values
        with get_db().session() as session:
            context["file_names"] = drafts.file_names(session, context["fields"], values,
                                                      instance_id=context["instance"].id)
    return render_template("task.html", errors=errors or {}, message=message, kept_input=values is not None,
                           **context), status


@bp.get("/tasks/<task_id>")
@login_required
def show(task_id):
    return _render(task_id)


@bp.post("/tasks/<task_id>")
@login_required
def submit(task_id):
    user = me()
    db = get_db()
    with db.session() as session:
        task = tasks.get_task(session, task_id)
        if not tasks.may_view(user, task):
            raise Forbidden(_("You may not see this task."))
        tasks.check_may_work(user, task)  # before any uploaded file is stored
        instance_id = task.instance_id
        version = session.get(ProcessVersion, session.get(ProcessInstance, instance_id).version_id)
        schema = load_schema(version.sources[task.form_ref]) if task.form_ref else {"properties": {}}
    data, parse_errors, raw = formfields.parse(schema, request.form, request.files,
                                               uploader(user, instance_id, task_id))
    if request.form.get("action") == "save":
        refused = {k: v for k, v in parse_errors.items() if k in attachments.attachment_fields(schema)}
        if refused:  # a file that was not kept: say so instead of saving the draft without it
            return _render(task_id, values=raw, errors=refused, status=422,
                           message=_("The draft was not saved; please correct the marked fields."))
        drafts.save_draft(db, user, task_id, raw)
        flash(_("Draft saved."))
        return redirect(url_for("task.show", task_id=task_id))
    try:
        formfields.check(schema, data, parse_errors)
        open_now = tasks.complete(db, user, task_id, data)
    except ValidationFailed as exc:
        return _render(task_id, values=raw, errors=exc.field_errors, message=exc.message, status=422)
    except Conflict as exc:
        return _render(task_id, values=raw, message=exc.message, status=409)
    drafts.discard_drafts(db, task_id)
    flash(where_it_went(instance_id, open_now, tasks.next_for(user, open_now)), "success")
    return redirect(url_for("home.index"))


def where_it_went(instance_id: int, open_now: list, mine: list) -> Markup:
    """"Task completed. Case K-77 is now with Quality (Accept and register)." with a link to the case,
    or "... Case K-77 is completed."; open_now are the case's open tasks the completion answered with, and
    a link to the first of them the user may do next (mine) follows."""
    with get_db().session() as session:
        names = Labels(session, locale())
        instance = session.get(ProcessInstance, instance_id)
        link = Markup('<a href="{}" id="done-case-link">{}</a>').format(
            url_for("cases.show", instance_id=instance_id), instance.business_key or _("case %(n)s", n=instance_id))
        holders = [_("%(group)s (%(task)s)", group=names.group(t.group_code),
                     task=names.element(instance.version_id, t.task_name, t.title))
                   for t in open_now]
        following = Markup(' <a href="{}" id="next-task-link">{}</a>').format(
            url_for("task.show", task_id=mine[0].id), _("Your next task: %(task)s",
                                                        task=names.element(instance.version_id, mine[0].task_name,
                                                                           mine[0].title))) if mine else ""
    if holders:
        text = _("Case %(case)s is now with %(where)s.", case="@CASE@", where=_(", ").join(holders))
    else:
        text = _("Case %(case)s is completed.", case="@CASE@")
    return Markup("{} {}{}").format(_("Task completed."), escape(text).replace("@CASE@", link), following)
