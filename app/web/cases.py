"""Starting a case, the case page (status, current tasks, timeline, diagram), attachments, and the
out-of-office setting."""
from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from .. import get_db
from ..i18n import _
from ..models import ProcessVersion
from ..services.cases import cases, delegation, drafts, inbox, instances
from ..services.modelling import formfields
from ..services.audit import masking
from ..services.customers import links as customer_links
from ..services.errors import Forbidden, NotFound, ServiceError, ValidationFailed
from ..services.modelling.forms import load_schema
from ..services.modelling.publishing import latest_version
from ..services.cases import away as away_service, lists, summary
from ..services.paging import PageRequest
from ..services.labels import Labels
from .common import locale, me
from .taskpage import uploader

bp = Blueprint("cases", __name__)


@bp.get("/start")
@login_required
def start_list():
    with get_db().session() as session:
        versions = cases.startable(session, me())
        items = [{"process_id": v.process_id, "name": (((v.meta or {}).get("labels") or {}).get("en") or {})
                  .get(v.process_id) if locale() == "en" else None, "default": v.name} for v in versions]
        status = request.args.get("status", "")
        mine = lists.started_page(session, me(), PageRequest.from_args(
            request.args, lists.CASE_SORTS, default="started", default_direction="desc"), status=status)
    return render_template("start_list.html", processes=items, cases=mine, page=mine, status=status)


def _start_form(process_id: str):
    with get_db().session() as session:
        version = latest_version(session, process_id)
        if version is None:
            raise NotFound(_("No published process %(pid)s", pid=process_id))
        if not cases.may_start(session, me(), version):
            raise Forbidden(_("Your groups may not start this process."))
        form = ((version.meta or {}).get("start") or {}).get("form")
        schema = load_schema(version.sources[form]) if form else {"properties": {}}
        name = inbox.label({"en": ((version.meta or {}).get("labels") or {}).get("en") or {}},
                           process_id, version.name or process_id, locale())
    return schema, name


@bp.route("/start/<process_id>", methods=["GET", "POST"])
@login_required
def start(process_id):
    schema, name = _start_form(process_id)
    values, errors, message, status = {}, {}, None, 200
    if request.method == "POST":
        user = me()
        data, parse_errors, values = formfields.parse(schema, request.form, request.files, uploader(user))
        try:
            formfields.check(schema, data, parse_errors)
            instance_id = instances.start_instance(get_db(), process_id, data, user.username)
        except ValidationFailed as exc:
            errors, message, status = exc.field_errors, exc.message, 422
        else:  # the uploaded files joined the case as it started (services/cases/attachments.py)
            flash(_("The case was started."))
            return redirect(url_for("cases.show", instance_id=instance_id))
    fields = formfields.fields(schema, locale())
    with get_db().session() as session:
        if request.method == "GET" and request.args.get("customer_id"):  # started from a customer's page
            values = customer_links.prefill(session, latest_version(session, process_id),
                                            request.args["customer_id"], me())
        names = drafts.file_names(session, fields, values, username=me().username)
    return render_template("start.html", process_id=process_id, name=name, fields=fields, values=values,
                           errors=errors, message=message, file_names=names), status


@bp.get("/cases/<int:instance_id>")
@login_required
def show(instance_id):
    user = me()
    with get_db().session() as session:
        instance = instances.get_instance(session, instance_id)
        cases.check_may_view(session, user, instance)
        version = session.get(ProcessVersion, instance.version_id)
        visible = masking.masker(session, user, instance)  # contact data only for those working the case
        labels = inbox.labels_for(session, {instance_id}).get(instance_id, {})
        current = inbox.decorate(session, cases.open_tasks(session, instance_id), locale())
        names = Labels(session, locale())
        auditor = user.has_role("auditor") or user.has_role("admin")
        context = {
            "instance": instance, "version": version, "current": current,
            "process_name": inbox.label(labels, instance.process_id, version.name or instance.process_id, locale()),
            "events": summary.labelled_events(names, instance, [e | {"data": visible(e["data"])}
                                                                for e in cases.timeline(session, instance_id)]),
            "element_names": {**{k: v.get("title") for k, v in version.task_catalog.items()},
                              **(labels.get("en", {}) if locale() == "en" else {})},
            "sections": summary.sections(names, version, visible(instance.case_data or {}), internal=auditor),
            "attachments": drafts.attachments_for(session, instance_id),
            "markers": cases.path_markers(session, instance, version),
            "has_layout": cases.has_layout(cases.diagram_source(version)),
        }
    return render_template("case.html", **context)


@bp.get("/cases/<int:instance_id>/diagram.bpmn")
@login_required
def diagram(instance_id):
    with get_db().session() as session:
        instance = instances.get_instance(session, instance_id)
        cases.check_may_view(session, me(), instance)
        source = cases.diagram_source(session.get(ProcessVersion, instance.version_id))
    if source is None:
        raise NotFound(_("This process has no diagram."))
    return Response(source, mimetype="application/xml")


@bp.get("/attachments/<attachment_id>")
@login_required
def attachment(attachment_id):
    user = me()
    with get_db().session() as session:
        item = drafts.get_attachment(session, attachment_id)
        if item.instance_id is not None:
            cases.check_may_view(session, user, instances.get_instance(session, item.instance_id))
        elif item.uploaded_by != user.username:
            raise Forbidden(_("You may not see this file."))
        content, name, kind = item.content, item.filename, item.content_type
    response = Response(content, mimetype=kind)
    response.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(name, safe="")
    return response


@bp.route("/away", methods=["GET", "POST"])
@login_required
def away():
    user = me()
    errors = {}
    if request.method == "POST":
        if request.form.get("action") == "cancel":
            delegation.cancel_out_of_office(get_db(), user)
            flash(_("Your out-of-office setting was removed."))
            return redirect(url_for("cases.away"))
        try:
            starts = date.fromisoformat(request.form.get("starts_on", ""))
            ends = date.fromisoformat(request.form.get("ends_on", ""))
        except ValueError:
            errors["dates"] = _("Enter the first and the last day.")
        else:
            try:
                delegation.set_out_of_office(get_db(), user, request.form.get("substitute", "").strip(), starts, ends)
                flash(_("Your out-of-office setting was saved."))
                return redirect(url_for("cases.away"))
            except ServiceError as exc:
                errors[exc.details.get("field", "substitute")] = exc.message
    chosen = (request.form.get("substitute") or request.args.get("substitute") or "").strip()
    with get_db().session() as session:
        entries = delegation.upcoming(session, user.username)
        people = away_service.candidates(session, user)
        plan = away_service.handover(session, user, chosen or None)
        current = entries[0].substitute if entries else ""
    return render_template("away.html", entries=entries, errors=errors, form=request.form or request.args, people=people,
                           plan=plan, chosen=chosen or current), 422 if errors else 200
