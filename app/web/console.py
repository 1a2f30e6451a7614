"""The process owner console: processes and versions, editors, upload/validate/publish, diff, migration.

The editors in the browser talk to the JSON API (/api/v1/models/...) with the page session and its CSRF
token; these views render the pages and handle the plain HTML forms (upload, migration).
"""
import base64
import json
from functools import wraps

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import get_db
from ..services import paging
from ..services.paging import PageRequest
from ..api.models import uploaded_files
from ..i18n import _
from ..services.cases import migration
from ..services.modelling import formfields, model_drafts, model_files, versions
from ..services.errors import PublishRefused, ServiceError
from ..services.organisation.org import group_index
from .common import locale

bp = Blueprint("console", __name__, url_prefix="/console")


def owner_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        user = current_user._get_current_object().user
        if not user.has_role("process_owner"):
            abort(403)
        return view(user, *args, **kwargs)
    return wrapper


@bp.get("/")
@owner_only
def index(user):
    req = PageRequest.from_args(request.args, {"name": None, "id": None}, default="name", size=10)
    with get_db().session() as session:
        found = versions.overview(session)
    key = (lambda p: p["process_id"]) if req.sort == "id" else (lambda p: (p.get("name") or p["process_id"]))
    page = paging.from_list(found, req, key=key)
    return render_template("console/index.html", processes=page, page=page)


def _carried_files() -> dict[str, bytes]:
    """Files uploaded earlier and carried by the page while the owner chooses fixes (base64 fields)."""
    names, contents = request.form.getlist("carried_name"), request.form.getlist("carried_data")
    files = {}
    for name, content in zip(names, contents):
        try:
            files[name] = base64.b64decode(content, validate=True)
        except ValueError:
            raise ServiceError(_("The files could not be read back; upload them again."))
    return files


@bp.post("/upload")
@owner_only
def upload(user):
    """Upload .bpmn/.dmn/.json files: check them, or publish them when every check passes. Fixes for
    diagrams from other tools (chosen on the page) are applied first; the files stay on the page while the
    owner chooses them."""
    publish = request.form.get("action") == "publish"
    fixes = request.form.getlist("fixes")
    problems, results, review = [], [], {"warnings": [], "fixes": []}
    with get_db().session() as session:
        given = _carried_files() if request.form.getlist("carried_name") else uploaded_files()
        files = model_files.complete_from_version(session, given, request.form.get("process_id") or None)
        if publish:
            try:
                results = model_files.publish_files(session, files, user.username, fixes)
            except PublishRefused as exc:
                problems = exc.problems
        if not publish or problems:
            review = model_files.review(session, files, fixes)
            problems = problems or review["problems"]
        processes = versions.overview(session)
    status = 422 if problems else 200
    carried = [{"name": n, "data": base64.b64encode(d).decode()} for n, d in sorted(given.items())] \
        if not results else []  # kept on the page until they are published
    page = paging.from_list(processes, PageRequest(size=len(processes) or 1, sort="name"))
    return render_template("console/index.html", processes=page, page=page, problems=problems, results=results,
                           checked=sorted(files), action="publish" if publish else "validate",
                           warnings=review["warnings"], offered=review["fixes"], chosen=fixes, carried=carried,
                           process_id=request.form.get("process_id") or ""), status


@bp.get("/<process_id>/edit")
@owner_only
def edit(user, process_id):
    with get_db().session() as session:
        files = model_drafts.working_set(session, process_id)
        drafts = model_drafts.list_drafts(session, process_id)
        latest = versions.overview_of(session, process_id)
        group_codes = sorted(set(group_index(session).values()))
    return render_template("console/edit.html", process_id=process_id, files=sorted(files), drafts=drafts,
                           process=latest, initial=request.args.get("file", ""), group_codes=group_codes,
                           api_base=url_for("api.list_models").rsplit("/", 1)[0])


@bp.get("/<process_id>/diff")
@owner_only
def diff(user, process_id):
    with get_db().session() as session:
        process = versions.overview_of(session, process_id)
        numbers = [v["version"] for v in process["versions"]]
        try:
            new = int(request.args.get("to") or numbers[0])
            old = int(request.args.get("from") or (new - 1 if new > 1 else new))
        except ValueError:
            raise ServiceError(_("Give two version numbers: ?from=1&to=2"))
        result = versions.compare(session, process_id, old, new)
    return render_template("console/diff.html", process=process, diff=result, numbers=numbers)


@bp.route("/<process_id>/migrate", methods=["GET", "POST"])
@owner_only
def migrate(user, process_id):
    db = get_db()
    to_version = request.values.get("to_version", type=int)
    results = None
    if request.method == "POST":
        ids = [int(i) for i in request.form.getlist("instance_id") if i.isdigit()]
        results = migration.migrate_instances(db, process_id, ids, user.username, to_version)
    with db.session() as session:
        process = versions.overview_of(session, process_id)
        plan = migration.dry_run(session, process_id, to_version)
    return render_template("console/migrate.html", process=process, plan=plan, results=results)


@bp.get("/<process_id>")
@owner_only
def process(user, process_id):
    return redirect(url_for("console.edit", process_id=process_id))


@bp.post("/form-preview")
@owner_only
def form_preview(user):
    """A form's JSON Schema (request body) rendered exactly as the task page renders it (the field()
    macro): selects stay selects, 是/否 stays 是/否."""
    try:
        schema = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        schema = None
    if not isinstance(schema, dict):
        return render_template("console/_form_preview.html", fields=[], title="", invalid=True), 422
    return render_template("console/_form_preview.html", fields=formfields.fields(schema, locale()),
                           title=formfields.split_label(str(schema.get("title") or ""), locale()), invalid=False)
