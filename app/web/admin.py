"""The system administrator's pages under /admin: users, departments (groups), settings and the
administrative audit trail. Thin: the work is done in app/services/organisation."""
import base64
from functools import wraps

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import get_db
from ..i18n import _
from ..models import Group, PRODUCT_ROLES
from ..services.audit import admin_audit
from ..services.cases import staff
from ..services.errors import ServiceError
from ..services.zones import zone_choices
from ..services.operations import settings_view
from ..services.organisation import groups, signin, user_import, users
from ..services.paging import PageRequest
from .common import me


bp = Blueprint("admin", __name__, url_prefix="/admin")


def _labels() -> dict:
    return {
        "roles": {"process_owner": _("Process owner"), "auditor": _("Auditor"), "admin": _("System administrator")},
        "fields": {"username": _("User name"), "display_name": _("Name"), "email": _("E-mail"),
                   "locale": _("Language"), "timezone": _("Time zone"), "groups": _("Departments"),
                   "head_of": _("Head of"), "roles": _("Roles"), "active": _("Active"),
                   "auth_source": _("Signs in with"), "name_zh": _("Chinese name"), "name_en": _("English name"),
                   "aliases": _("Other names"), "code": _("Code"), "members": _("Members"), "heads": _("Heads"),
                   "sessions_ended": _("Sign-ins ended"), "tokens_revoked": _("Tokens revoked"),
                   "method": _("Method"), "token": _("Token"), "revoked": _("Revoked")},
        "actions": {"user.created": _("user created"), "user.changed": _("user changed"),
                    "user.deactivated": _("user deactivated"), "user.reactivated": _("user reactivated"),
                    "user.password_changed": _("own password changed"),
                    "user.password_reset": _("temporary password set"),
                    "user.password_reset_link": _("one-time password link made"),
                    "user.password_set_by_link": _("password set with a one-time link"),
                    "token.revoked": _("API token revoked"), "group.created": _("department created"),
                    "group.changed": _("department changed"), "group.deleted": _("department deleted")},
    }


@bp.app_template_global()
def role_label(role: str) -> str:
    return _labels()["roles"].get(role, role)


@bp.app_template_global()
def field_label(name: str) -> str:
    return _labels()["fields"].get(name, name)


@bp.app_template_global()
def action_label(action: str) -> str:
    return _labels()["actions"].get(action, action.replace(".", " ").replace("_", " "))


@bp.app_template_filter()
def change_value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def admin_required(view):
    """Only signed-in users with the admin role; the view gets the signed-in User as first argument."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        user = me()
        if not user.has_role("admin"):
            abort(403)
        return view(user, *args, **kwargs)
    return wrapper


def _refused(session, exc: ServiceError) -> dict:
    """Undo the refused change (nothing half-done is kept) and tell the user why; returns field errors."""
    session.rollback()
    flash(exc.message, "error")
    return getattr(exc, "field_errors", None) or {}


def _change_user(session, actor: str, username: str, changes: dict, message: str, reason: str | None = None):
    """Save a change to a user (tasks they may no longer do go back to the queues) and say what happened."""
    _target, released = staff.update_user(session, actor, username, changes, reason=reason)
    flash(message, "success")
    if released:
        flash(_("%(n)s task(s) the user held went back to their departments' queues.", n=released), "info")


@bp.get("/")
@admin_required
def index(user):
    return redirect(url_for("admin.user_list"))


# --- users ---------------------------------------------------------------------------------------------------

def _form_user_fields(form) -> dict:
    """The fields of the user form as users.clean reads them."""
    return {"display_name": form.get("display_name", ""), "email": form.get("email", ""),
            "locale": form.get("locale", "zh"), "timezone": form.get("timezone", ""),
            "groups": form.getlist("groups"), "head_of": form.getlist("head_of"), "roles": form.getlist("roles")}


def _choices(session) -> dict:
    return {"all_groups": list(session.scalars(select(Group).order_by(Group.code))), "all_roles": PRODUCT_ROLES,
            "zones": zone_choices()}  # the zones a person can choose on their own settings page


@bp.get("/users")
@admin_required
def user_list(user):
    req = PageRequest.from_args(request.args, users.SORTS, default="username")
    active = {"yes": True, "no": False}.get(request.args.get("active", ""))
    with get_db().session() as session:
        page = users.search(session, req, q=request.args.get("q", ""), group=request.args.get("group", ""),
                            role=request.args.get("role", ""), active=active)
        return render_template("admin/users.html", page=page, **_choices(session))


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new(user):
    errors, values, created = {}, {"locale": "zh", "groups": [], "head_of": [], "roles": []}, None
    with get_db().session() as session:
        if request.method == "POST":
            values = {"username": request.form.get("username", "").strip(), **_form_user_fields(request.form)}
            try:
                new_user, temporary = users.create(session, user.username, values)
                flash(_("User %(name)s was created.", name=new_user.username), "success")
                if temporary:
                    return render_template("admin/password_result.html", target=new_user, password=temporary,
                                           link=None)
                return redirect(url_for("admin.user_edit", username=new_user.username))
            except ServiceError as exc:
                errors = _refused(session, exc)
        return render_template("admin/user_form.html", target=None, values=values, errors=errors,
                               **_choices(session)), (422 if errors else 200)


@bp.route("/users/<username>", methods=["GET", "POST"])
@admin_required
def user_edit(user, username):
    errors = {}
    with get_db().session() as session:
        target = users.get(session, username)
        values = users.snapshot(target)
        if request.method == "POST":
            values = {**values, **_form_user_fields(request.form)}
            try:
                _change_user(session, user.username, username, _form_user_fields(request.form),
                             _("The changes were saved."))
                return redirect(url_for("admin.user_edit", username=username))
            except ServiceError as exc:
                errors = _refused(session, exc)
        history = admin_audit.events(session, PageRequest(size=20), object_type="user", object_id=username)
        return render_template("admin/user_form.html", target=target, values=values, errors=errors,
                               tokens=signin.tokens(session, target), sessions=signin.live_sessions(session, target),
                               history=history, **_choices(session)), (422 if errors else 200)


@bp.post("/users/<username>/active")
@admin_required
def user_active(user, username):
    active = request.form.get("active") == "1"
    with get_db().session() as session:
        try:
            _change_user(session, user.username, username, {"active": active},
                         _("The user was reactivated.") if active else
                         _("The user was deactivated: signed out everywhere, tokens revoked."),
                         reason=request.form.get("reason") or None)
        except ServiceError as exc:
            _refused(session, exc)
    return redirect(url_for("admin.user_edit", username=username))


@bp.post("/users/<username>/password")
@admin_required
def user_password(user, username):
    method = request.form.get("method")
    with get_db().session() as session:
        target = users.get(session, username)
        try:
            if method == "temporary":
                password, link = signin.set_temporary_password(session, user, target), None
            else:
                password = None
                link = url_for("account.reset", key=signin.issue_reset_link(session, user, target), _external=True)
        except ServiceError as exc:
            _refused(session, exc)
            return redirect(url_for("admin.user_edit", username=username))
    return render_template("admin/password_result.html", target=target, password=password, link=link,
                           valid_hours=signin.RESET_HOURS)


@bp.post("/users/<username>/tokens/<int:token_id>/revoke")
@admin_required
def user_token_revoke(user, username, token_id):
    with get_db().session() as session:
        target = users.get(session, username)
        if token_id in {t.id for t in signin.tokens(session, target)}:
            signin.revoke_token(session, user, token_id)
            flash(_("The token was revoked."), "success")
    return redirect(url_for("admin.user_edit", username=username))


@bp.route("/users/import", methods=["GET", "POST"])
@admin_required
def user_import_page(user):
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            name, content = upload.filename, upload.read()
        else:  # the apply button sends back the file checked in the dry run
            name = request.form.get("file_name", "")
            content = base64.b64decode(request.form.get("file_data", "") or b"", validate=False)
        apply = request.form.get("action") == "apply"
        with get_db().session() as session:
            try:
                rows = user_import.read(name, content)
                report = staff.apply_import(session, user.username, rows) if apply else user_import.plan(session, rows)
            except ServiceError as exc:
                _refused(session, exc)
                return render_template("admin/import.html", report=None), 422
        if apply:
            flash(_("Imported: %(c)s created, %(u)s changed, %(r)s refused.", c=report.count("created"),
                    u=report.count("changed"), r=report.count("refused")), "success")
        return render_template("admin/import.html", report=report, file_name=name,
                               file_data=base64.b64encode(content).decode() if not apply else "")
    return render_template("admin/import.html", report=None)


@bp.get("/users/export.<kind>")
@admin_required
def user_export(user, kind):
    if kind not in ("csv", "xlsx"):
        abort(404)
    with get_db().session() as session:
        data = user_import.export(session, kind)
    mimetype = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[kind]
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename=users.{kind}"})


# --- departments ---------------------------------------------------------------------------------------------

@bp.route("/groups", methods=["GET", "POST"])
@admin_required
def group_list(user):
    errors, values = {}, {}
    with get_db().session() as session:
        if request.method == "POST":
            values = {"code": request.form.get("code", ""), "name_zh": request.form.get("name_zh", ""),
                      "name_en": request.form.get("name_en", ""), "aliases": request.form.get("aliases", "")}
            try:
                group = groups.create(session, user.username, values)
                flash(_("The department was created."), "success")
                return redirect(url_for("admin.group_edit", code=group.code))
            except ServiceError as exc:
                errors = _refused(session, exc)
        items = groups.overview(session)
    return render_template("admin/groups.html", groups=items, values=values, errors=errors), (422 if errors else 200)


@bp.route("/groups/<code>", methods=["GET", "POST"])
@admin_required
def group_edit(user, code):
    errors, conflict = {}, None
    with get_db().session() as session:
        group = groups.get(session, code)
        values = groups.snapshot(group)
        if request.method == "POST":
            values = {"name_zh": request.form.get("name_zh", ""), "name_en": request.form.get("name_en", ""),
                      "aliases": request.form.get("aliases", "")}
            try:
                groups.update(session, user.username, code, values)
                flash(_("The changes were saved."), "success")
                return redirect(url_for("admin.group_edit", code=code))
            except ServiceError as exc:
                errors = _refused(session, exc)
                conflict = exc.details.get("processes")
            values["aliases"] = [a.strip() for a in values["aliases"].split(",") if a.strip()]
        item = next(i for i in groups.overview(session) if i["code"] == code)
        members = groups.members(session, code)
        history = admin_audit.events(session, PageRequest(size=20), object_type="group", object_id=code)
        return render_template("admin/group_form.html", group=group, item=item, values=values, errors=errors,
                               members=members, conflict=conflict, history=history), (422 if errors else 200)


@bp.post("/groups/<code>/members")
@admin_required
def group_members(user, code):
    """Add a member, remove one, or make one head / plain member (a change to that user's departments)."""
    username, action = request.form.get("username", "").strip(), request.form.get("action")
    with get_db().session() as session:
        groups.get(session, code)
        try:
            target = users.get(session, username)
            member_of, heads = set(target.group_codes), set(target.head_of)
            if action == "add":
                member_of.add(code)
                if request.form.get("head") == "1":
                    heads.add(code)
            elif action == "remove":
                member_of.discard(code)
                heads.discard(code)
            elif action == "head":
                member_of.add(code)
                heads.add(code)
            elif action == "member":
                heads.discard(code)
            _change_user(session, user.username, username, {"groups": sorted(member_of), "head_of": sorted(heads)},
                         _("The changes were saved."))
        except ServiceError as exc:
            _refused(session, exc)
    return redirect(url_for("admin.group_edit", code=code))


@bp.post("/groups/<code>/delete")
@admin_required
def group_delete(user, code):
    with get_db().session() as session:
        try:
            groups.delete(session, user.username, code)
            flash(_("The department was deleted."), "success")
            return redirect(url_for("admin.group_list"))
        except ServiceError as exc:
            _refused(session, exc)
    return redirect(url_for("admin.group_edit", code=code))


# --- settings and the administrative audit trail ---------------------------------------------------------------

@bp.get("/settings")
@admin_required
def settings_page(user):
    with get_db().session() as session:
        rows = settings_view.rows(session)
    return render_template("admin/settings.html", rows=rows)


@bp.get("/trail")
def trail():
    """The administrative audit trail: administrators and auditors."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    viewer = me()
    if not (viewer.has_role("admin") or viewer.has_role("auditor")):
        abort(403)
    req = PageRequest.from_args(request.args, size=50)
    filters = {k: request.args.get(k) or None for k in ("object_type", "object_id", "actor", "action")}
    with get_db().session() as session:
        page = admin_audit.events(session, req, **filters)
    return render_template("admin/trail.html", page=page, filters=filters)
