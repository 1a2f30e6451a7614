"""Model files for pipelines and the console: validate, publish, versions, files, diff, migration."""
from flask import Response, request

from .. import get_db
from ..i18n import _
from ..services.cases import migration
from ..services.modelling import model_drafts, model_files, versions
from ..services.errors import Forbidden, ServiceError
from . import bp
from .auth import require_user
from .util import json_body

OWNER = "process_owner"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # with the element limit of parsing, one validation stays under a second
MEDIA = {".bpmn": "application/xml", ".dmn": "application/xml", ".json": "application/json"}


def uploaded_files() -> dict[str, bytes]:
    """The multipart files, read with a size limit (an oversized file is kept truncated and refused)."""
    if (request.content_length or 0) > MAX_UPLOAD_BYTES:
        raise ServiceError(_("The upload is larger than %(mb)s MB.", mb=MAX_UPLOAD_BYTES // 2**20))
    files = {}
    for storage in request.files.getlist("files") + [f for k, f in request.files.items(multi=True) if k != "files"]:
        name = (storage.filename or "").replace("\\", "/")
        if name.count("/") and not name.startswith("i18n/"):
            name = name.rsplit("/", 1)[-1]
        files[name] = storage.stream.read(model_files.MAX_SOURCE_BYTES + 1)
    return files


@bp.post("/models/validate")
@require_user
def validate_models(user):
    if not (user.has_role(OWNER) or user.has_role("admin")):  # validation evaluates diagram expressions
        raise Forbidden(_("Only process owners and administrators may check models."))
    with get_db().session() as session:
        files = model_files.complete_from_version(session, uploaded_files(), request.form.get("process_id"))
        return model_files.review(session, files, request.form.getlist("fixes"))


@bp.post("/models")
@require_user(role=OWNER)
def publish_models(user):
    with get_db().session() as session:
        files = model_files.complete_from_version(session, uploaded_files(), request.form.get("process_id"))
        results = model_files.publish_files(session, files, user.username, request.form.getlist("fixes"))
    return {"published": results}, 201 if any(r["created"] for r in results) else 200


@bp.get("/models")
@require_user(role=OWNER)
def list_models(user):
    with get_db().session() as session:
        return {"processes": versions.overview(session)}


@bp.get("/models/<process_id>/versions/<int:version>/files/<path:file_name>")
@require_user(role=OWNER)
def version_file(user, process_id, version, file_name):
    with get_db().session() as session:
        text = versions.version_file(session, process_id, version, file_name)
    media = next((m for ext, m in MEDIA.items() if file_name.endswith(ext)), "text/plain")
    download = file_name.rsplit("/", 1)[-1]
    return Response(text, mimetype=media, headers={"Content-Disposition": f'attachment; filename="{download}"'})


@bp.get("/models/<process_id>/diff")
@require_user(role=OWNER)
def diff(user, process_id):
    try:
        old, new = int(request.args.get("from", "")), int(request.args.get("to", ""))
    except ValueError:
        raise ServiceError(_("Give two version numbers: ?from=1&to=2"))
    with get_db().session() as session:
        return versions.compare(session, process_id, old, new)


@bp.get("/models/<process_id>/drafts")
@require_user(role=OWNER)
def drafts(user, process_id):
    with get_db().session() as session:
        return {"drafts": model_drafts.list_drafts(session, process_id),
                "files": model_drafts.working_set(session, process_id)}


@bp.put("/models/<process_id>/drafts/<path:file_name>")
@require_user(role=OWNER)
def save_draft(user, process_id, file_name):
    content = json_body().get("content")
    if not isinstance(content, str):
        raise ServiceError(_("Send the file's text as \"content\"."))
    with get_db().session() as session:
        return model_drafts.save_draft(session, process_id, file_name, content, user.username)


@bp.post("/models/<process_id>/drafts/validate")
@require_user(role=OWNER)
def validate_drafts(user, process_id):
    with get_db().session() as session:
        files = {n: t.encode("utf-8") for n, t in model_drafts.working_set(session, process_id).items()}
        problems = model_files.check(session, files)
    return {"valid": not problems, "problems": problems}


@bp.post("/models/<process_id>/drafts/publish")
@require_user(role=OWNER)
def publish_drafts(user, process_id):
    with get_db().session() as session:
        return {"published": model_drafts.publish_working_set(session, process_id, user.username)}


def _is_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true/false are not numbers


def _ids(body) -> list[int] | None:
    ids = body.get("instance_ids")
    if ids is None:
        return None
    if not isinstance(ids, list) or not all(_is_number(i) for i in ids):
        raise ServiceError(_("\"instance_ids\" must be a list of case numbers."))
    return ids


def _to_version(body) -> int | None:
    value = body.get("to_version")
    if value is not None and not _is_number(value):
        raise ServiceError(_("\"to_version\" must be a version number."))
    return value


@bp.post("/models/<process_id>/migrations/dry-run")
@require_user(role=OWNER)
def migration_dry_run(user, process_id):
    body = json_body()
    with get_db().session() as session:
        return migration.dry_run(session, process_id, _to_version(body), _ids(body))


@bp.post("/models/<process_id>/migrations")
@require_user(role=OWNER)
def migrate(user, process_id):
    body = json_body()
    results = migration.migrate_instances(get_db(), process_id, _ids(body) or [], user.username, _to_version(body))
    return {"results": results}
