"""Administration API: users (/users), departments (/groups), the signed-in user's password and tokens
(/me/...), the administrative audit trail (/admin-audit). Thin: services in app/services/organisation."""
from flask import Response, g, request

from .. import get_db
from ..i18n import _
from ..services.audit import admin_audit
from ..services.cases import staff
from ..services.errors import Forbidden, NotFound, ServiceError
from ..services.organisation import groups, signin, user_import, users
from . import bp, openapi_admin  # noqa: F401  (the routes' OpenAPI description)
from .auth import issue_token, require_user
from .util import flag, json_body, next_link, page_args

EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _user_or_404(session, actor, username):
    if actor.username != username and not actor.has_role("admin"):
        raise NotFound(_("No such user: %(name)s", name=username))
    return users.get(session, username)


@bp.get("/users")
@require_user(role="admin")
def list_users(actor):
    limit, offset = page_args()
    found = users.query(q=request.args.get("q", ""), group=request.args.get("group", ""),
                        role=request.args.get("role", ""), active=flag("active"))
    with get_db().session() as session:
        total = users.count(session, found)
        items = [users.as_dict(u) for u in session.scalars(found.limit(limit).offset(offset))]
    return {"users": items, "total": total, "next": next_link(limit, offset, total)}


@bp.post("/users")
@require_user(role="admin")
def create_user(actor):
    with get_db().session() as session:
        user, temporary = users.create(session, actor.username, json_body())
        body = {"user": users.as_dict(user)}
    if temporary:
        body["temporary_password"] = temporary  # shown once; to be changed at the first sign-in
    return body, 201


@bp.get("/users/<username>")
@require_user
def get_user(actor, username):
    with get_db().session() as session:
        return users.as_dict(_user_or_404(session, actor, username))


@bp.patch("/users/<username>")
@require_user(role="admin")
def change_user(actor, username):
    body = json_body()
    reason = body.pop("reason", None)
    with get_db().session() as session:
        user, released = staff.update_user(session, actor.username, username, body,
                                           reason=str(reason)[:1000] if reason else None)
        return {"user": users.as_dict(user), "tasks_released": released}


@bp.post("/users/<username>/password-reset")
@require_user(role="admin")
def reset_password(actor, username):
    method = json_body().get("method", "link")
    with get_db().session() as session:
        user = users.get(session, username)
        if method == "temporary":
            return {"method": method, "temporary_password": signin.set_temporary_password(session, actor, user)}
        if method == "link":
            key = signin.issue_reset_link(session, actor, user)
            return {"method": method, "link": request.host_url.rstrip("/") + f"/password/reset/{key}",
                    "valid_hours": signin.RESET_HOURS}
    raise ServiceError(_("method is link or temporary."), field="method")


@bp.get("/users/<username>/tokens")
@require_user(role="admin")
def user_tokens(actor, username):
    with get_db().session() as session:
        return {"tokens": [signin.token_dict(t) for t in signin.tokens(session, users.get(session, username))]}


@bp.delete("/users/<username>/tokens/<int:token_id>")
@require_user(role="admin")
def revoke_user_token(actor, username, token_id):
    with get_db().session() as session:
        owner = users.get(session, username)
        if token_id not in {t.id for t in signin.tokens(session, owner, include_ended=True)}:
            raise NotFound(_("No such token."))
        return signin.token_dict(signin.revoke_token(session, actor, token_id))


@bp.post("/users/import")
@require_user(role="admin")
def import_users(actor):
    """An xlsx or CSV file (multipart field "file", or the raw body with ?format=csv|xlsx); dry_run=true
    only reports what would happen; otherwise every row that is not refused is applied in one transaction."""
    upload = request.files.get("file")
    if upload is not None:
        name, content = upload.filename or "", upload.read()
    else:
        name, content = "upload." + request.args.get("format", "csv"), request.get_data()
    dry_run = flag("dry_run") or (request.form.get("dry_run", "").lower() in ("1", "true", "yes"))
    with get_db().session() as session:
        rows = user_import.read(name, content)
        report = (user_import.plan(session, rows) if dry_run
                  else staff.apply_import(session, actor.username, rows))
        return report.as_dict()


@bp.get("/users/export")
@require_user(role="admin")
def export_users(actor):
    kind = request.args.get("format", "xlsx")
    if kind not in EXPORT_TYPES:
        raise ServiceError(_("format is xlsx or csv."), field="format")
    with get_db().session() as session:
        data = user_import.export(session, kind)
    return Response(data, mimetype=EXPORT_TYPES[kind],
                    headers={"Content-Disposition": f"attachment; filename=users.{kind}"})


@bp.get("/groups")
@require_user(role="admin")
def list_groups(actor):
    with get_db().session() as session:
        return {"groups": [_group_json(item) for item in groups.overview(session)]}


def _group_json(item: dict) -> dict:
    return {**item, "used_by": [{"process_id": u.process_id, "name": u.name, "lanes": sorted(u.lanes)}
                                for u in item["used_by"]]}


@bp.post("/groups")
@require_user(role="admin")
def create_group(actor):
    with get_db().session() as session:
        return groups.snapshot(groups.create(session, actor.username, json_body())), 201


@bp.get("/groups/<code>")
@require_user(role="admin")
def get_group(actor, code):
    with get_db().session() as session:
        group = groups.get(session, code)
        item = next(i for i in groups.overview(session) if i["code"] == group.code)
        members = [{"username": u.username, "display_name": u.display_name, "head": head}
                   for u, head in groups.members(session, code)]
        return {**_group_json(item), "member_list": members}


@bp.patch("/groups/<code>")
@require_user(role="admin")
def change_group(actor, code):
    with get_db().session() as session:
        return groups.snapshot(groups.update(session, actor.username, code, json_body()))


@bp.delete("/groups/<code>")
@require_user(role="admin")
def delete_group(actor, code):
    with get_db().session() as session:
        groups.delete(session, actor.username, code)
    return {"code": code, "deleted": True}


@bp.post("/me/password")
@require_user
def change_my_password(actor):
    body = json_body()
    with get_db().session() as session:
        user = users.get(session, actor.username)
        result = signin.change_password(session, user, str(body.get("current_password", "")),
                                        str(body.get("new_password", "")))
        if getattr(g, "api_token_id", None):  # called with a token: it was revoked too; here is a new one
            result["token"] = issue_token(session, user, "password change")
    return result


@bp.get("/me/tokens")
@require_user
def my_tokens(actor):
    with get_db().session() as session:
        return {"tokens": [signin.token_dict(t) for t in signin.tokens(session, actor)],
                "current": getattr(g, "api_token_id", None)}


@bp.delete("/me/tokens/<int:token_id>")
@require_user
def revoke_my_token(actor, token_id):
    with get_db().session() as session:
        user = users.get(session, actor.username)
        if token_id not in {t.id for t in signin.tokens(session, user, include_ended=True)}:
            raise NotFound(_("No such token."))
        return signin.token_dict(signin.revoke_token(session, user, token_id))


@bp.get("/admin-audit")
@require_user
def admin_audit_events(actor):
    """The administrative audit trail, newest first (auditors and administrators)."""
    if not (actor.has_role("auditor") or actor.has_role("admin")):
        raise Forbidden(_("This needs the %(role)s role.", role="auditor"))
    limit, offset = page_args()
    found = admin_audit.query(object_type=request.args.get("object_type"), object_id=request.args.get("object_id"),
                              actor=request.args.get("actor"), action=request.args.get("action"))
    with get_db().session() as session:
        total = users.count(session, found)
        return {"events": [admin_audit.as_dict(e) for e in session.scalars(found.limit(limit).offset(offset))],
                "total": total, "next": next_link(limit, offset, total)}
