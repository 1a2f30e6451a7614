"""The administrator's people and departments: users (list, create, change, deactivate), departments
(names, aliases, members, deletion guarded by published lanes), the hash-chained administrative trail and
the read-only settings page - through the JSON API and the /admin pages."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.models import AdminAuditEvent, AuditEvent, HumanTask, User
from app.services.organisation import org
from tests.web_helpers import login

STRONG = "Kettle-Harbour-93"


def _patch(api, url, body):
    return api.client.patch(url, headers=api.headers, json=body)


def _delete(api, url):
    return api.client.delete(url, headers=api.headers)


def _trail(db, **where):
    with db.session() as session:
        query = select(AdminAuditEvent).order_by(AdminAuditEvent.id)
        for key, value in where.items():
            query = query.where(getattr(AdminAuditEvent, key) == value)
        return list(session.scalars(query))


def test_admin_creates_a_user_who_must_change_the_temporary_password(api, app, db):
    admin = api("admin")
    created = admin.post("/api/v1/users", json={
        "username": "li.wei", "display_name": "李伟", "email": "li.wei@example.cn", "locale": "en",
        "timezone": "Europe/Berlin", "groups": ["sales", "quality"], "head_of": ["quality"], "roles": ["auditor"]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    user, temporary = body["user"], body["temporary_password"]
    assert user["groups"] == ["quality", "sales"] and user["head_of"] == ["quality"] and user["roles"] == ["auditor"]
    assert user["timezone"] == "Europe/Berlin" and user["must_change_password"] is True

    li = api("li.wei", temporary)
    refused = li.get("/api/v1/tasks")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "password_change_required"
    changed = li.post("/api/v1/me/password", json={"current_password": temporary, "new_password": STRONG})
    assert changed.status_code == 200, changed.get_json()
    li.headers = {"Authorization": "Bearer " + changed.get_json()["token"]}
    assert li.get("/api/v1/tasks").status_code == 200

    [event] = _trail(db, action="user.created")
    assert event.actor == "admin" and event.object_id == "li.wei" and event.after["head_of"] == ["quality"]
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_bad_user_fields_are_refused_with_every_reason_and_nothing_changes(api, db):
    admin = api("admin")
    response = admin.post("/api/v1/users", json={"username": "x y", "email": "not-mail", "groups": ["nosuch"],
                                                 "roles": ["king"], "timezone": "Mars/Base", "locale": "fr"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["field_errors"]
    assert set(fields) == {"username", "email", "groups", "roles", "timezone", "locale"}
    assert "nosuch" in fields["groups"][0]
    duplicate = admin.post("/api/v1/users", json={"username": "SALES"})
    assert duplicate.status_code == 422 and "username" in duplicate.get_json()["error"]["field_errors"]
    with db.session() as session:
        assert session.scalar(select(User).where(User.username == "x y")) is None
    assert _trail(db) == []


def test_list_searches_filters_and_pages(api):
    admin = api("admin")
    page = admin.get("/api/v1/users", query_string={"group": "sales", "limit": 1}).get_json()
    assert page["total"] == 2 and len(page["users"]) == 1 and "offset=1" in page["next"]
    assert [u["username"] for u in admin.get("/api/v1/users", query_string={"q": "SALES_H"}).get_json()["users"]] \
        == ["sales_head"]
    auditors = admin.get("/api/v1/users", query_string={"role": "auditor"}).get_json()["users"]
    assert [u["username"] for u in auditors] == ["auditor"]
    _patch(admin, "/api/v1/users/marketing", {"active": False})
    inactive = admin.get("/api/v1/users", query_string={"active": "false"}).get_json()
    assert [u["username"] for u in inactive["users"]] == ["marketing"]
    assert api("sales").get("/api/v1/users").status_code == 403


def test_changing_departments_heads_and_roles_is_recorded_before_and_after(api, db):
    admin = api("admin")
    response = _patch(admin, "/api/v1/users/quality", {"display_name": "王质检", "groups": ["quality", "finance"],
                                                        "head_of": ["finance"], "roles": ["auditor"],
                                                        "reason": "调岗"})
    assert response.status_code == 200, response.get_json()
    user = response.get_json()["user"]
    assert user["groups"] == ["finance", "quality"] and user["head_of"] == ["finance"]
    [event] = _trail(db, action="user.changed")
    assert event.before == {"display_name": "质量管理部员工", "groups": ["quality"], "head_of": [], "roles": []}
    assert event.after["head_of"] == ["finance"] and event.reason == "调岗"
    # the user's own view of themselves, but nobody else's
    quality = api("quality")
    assert quality.get("/api/v1/users/quality").get_json()["display_name"] == "王质检"
    assert quality.get("/api/v1/users/sales").status_code == 404


def test_deactivation_stops_sessions_and_tokens_and_returns_held_tasks(api, app, db, published, client):
    sales = api("sales")
    start = sales.post("/api/v1/processes/loop_review/instances",
                       json={"data": {"case_no": "C-1", "amount": 5, "rounds": 0, "customer": "ACME"}})
    assert start.status_code == 201
    [draft] = sales.get("/api/v1/tasks").get_json()["tasks"]
    assert sales.post(f"/api/v1/tasks/{draft['id']}/claim").status_code == 200
    page = login(app.test_client(), "sales")
    assert page.get("/").status_code == 200

    admin = api("admin")
    response = _patch(admin, "/api/v1/users/sales", {"active": False, "reason": "离职"})
    assert response.status_code == 200 and response.get_json()["tasks_released"] == 1

    assert sales.get("/api/v1/tasks").status_code == 401
    assert page.get("/").status_code == 302
    assert client.post("/api/v1/auth/token", json={"username": "sales", "password": "demo"}).status_code == 401
    with db.session() as session:
        task = session.get(HumanTask, draft["id"])
        assert task.state == "ready" and task.claimed_by is None
        back = session.scalars(select(AuditEvent).where(AuditEvent.task_id == draft["id"],
                                                        AuditEvent.event_type == "unclaimed")).one()
        assert back.actor == "admin" and back.data["reason"] == "user_deactivated"
        assert session.scalar(select(func_count(AuditEvent)).where(AuditEvent.actor == "sales")) >= 2  # kept
    [event] = _trail(db, action="user.deactivated")
    assert event.before == {"active": True} and event.after == {"active": False} and event.reason == "离职"

    assert _patch(admin, "/api/v1/users/sales", {"active": True}).status_code == 200
    assert api("sales").get("/api/v1/tasks").status_code == 200


def func_count(column):
    from sqlalchemy import func
    return func.count(column.id)


def test_the_last_administrator_cannot_remove_their_role_or_deactivate_themselves(api, db):
    admin = api("admin")
    for change in ({"roles": []}, {"active": False}):
        refused = _patch(admin, "/api/v1/users/admin", change)
        assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "last_admin"
    with db.session() as session:
        assert org.get_user(session, "admin").has_role("admin")
    assert _patch(admin, "/api/v1/users/gm_office", {"roles": ["admin"]}).status_code == 200
    assert _patch(admin, "/api/v1/users/admin", {"roles": []}).status_code == 200
    second = api("gm_office")
    refused = _patch(second, "/api/v1/users/gm_office", {"active": False})
    assert refused.status_code == 409


def test_departments_names_aliases_and_lanes(api, db, published):
    admin = api("admin")
    created = admin.post("/api/v1/groups", json={"code": "export_office", "name_zh": "出口部",
                                                 "name_en": "Export office", "aliases": ["外贸部"]})
    assert created.status_code == 201, created.get_json()
    clash = admin.post("/api/v1/groups", json={"code": "export2", "name_zh": "品质部", "name_en": "Export 2"})
    assert clash.status_code == 422 and "quality" in clash.get_json()["error"]["message"]
    renamed = _patch(admin, "/api/v1/groups/export_office", {"name_zh": "国际贸易部", "aliases": ["外贸部", "出口部"]})
    assert renamed.status_code == 200
    with db.session() as session:
        assert org.resolve_lane(org.group_index(session), "出口部") == "export_office"

    quality = admin.get("/api/v1/groups/quality").get_json()
    assert quality["used_by"][0]["process_id"] == "loop_review" and quality["used_by"][0]["lanes"] == ["质量管理部"]
    # the published diagram's lane says 质量管理部: that name must stay, and the department too
    refused = _patch(admin, "/api/v1/groups/quality", {"name_zh": "质量部"})
    assert refused.status_code == 409 and "loop_review" in str(refused.get_json())
    assert _patch(admin, "/api/v1/groups/quality", {"name_zh": "质量部", "aliases": ["品质部", "质量管理部"]}).status_code == 200
    deleted = _delete(admin, "/api/v1/groups/quality")
    assert deleted.status_code == 409 and deleted.get_json()["error"]["code"] == "department_in_use"

    assert _delete(admin, "/api/v1/groups/export_office").get_json() == {"code": "export_office", "deleted": True}
    actions = [e.action for e in _trail(db, object_type="group")]
    assert actions == ["group.created", "group.changed", "group.changed", "group.deleted"]


def test_the_administrative_trail_is_verified_and_tampering_is_found(api, app, db):
    admin = api("admin")
    for name in ("a.one", "a.two", "a.three"):
        assert admin.post("/api/v1/users", json={"username": name}).status_code == 201
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    victim = _trail(db)[1]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE admin_audit_events DISABLE TRIGGER admin_audit_events_no_update"))
        else:
            conn.execute(text("DROP TRIGGER admin_audit_events_no_update"))
        conn.execute(text("UPDATE admin_audit_events SET actor = 'nobody' WHERE id = :id"), {"id": victim.id})
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE admin_audit_events ENABLE TRIGGER admin_audit_events_no_update"))
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and f"event #{victim.id} (admin" in broken.output


def test_the_trail_refuses_updates_in_the_database(api, db):
    assert api("admin").post("/api/v1/users", json={"username": "b.one"}).status_code == 201
    for statement in ("DELETE FROM admin_audit_events", "UPDATE admin_audit_events SET reason = 'x'"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement))
    assert len(_trail(db)) == 1


def test_admin_pages_list_create_edit_and_deactivate(app, db):
    admin = login(app.test_client(), "admin")
    listing = admin.get("/admin/users?group=quality")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200 and 'data-username="quality_head"' in html and 'data-username="sales"' not in html
    created = admin.post("/admin/users/new", data={"username": "zhang.san", "display_name": "张三", "locale": "zh",
                                                   "groups": ["warehouse"], "roles": []})
    assert created.status_code == 200 and 'id="temporary-password"' in created.get_data(as_text=True)
    saved = admin.post("/admin/users/zhang.san", data={"display_name": "张三丰", "locale": "en", "email": "",
                                                       "groups": ["warehouse", "pmc"], "head_of": ["pmc"]})
    assert saved.status_code == 302
    with db.session() as session:
        user = org.get_user(session, "zhang.san")
        assert user.display_name == "张三丰" and user.head_of == {"pmc"} and user.locale == "en"
    bad = admin.post("/admin/users/zhang.san", data={"display_name": "张三丰", "email": "nope", "locale": "en"})
    assert bad.status_code == 422 and "电子邮件" in bad.get_data(as_text=True) or bad.status_code == 422
    refused = admin.post("/admin/users/admin/active", data={"active": "0"}, follow_redirects=True)
    assert "最后" in refused.get_data(as_text=True)
    assert admin.post("/admin/users/zhang.san/active", data={"active": "0"}).status_code == 302
    with db.session() as session:
        assert not org.get_user(session, "zhang.san").is_active
    assert login(app.test_client(), "sales").get("/admin/users").status_code == 403


def test_group_page_says_which_processes_use_the_department(app, db, published):
    admin = login(app.test_client(), "admin")
    page = admin.get("/admin/groups/quality").get_data(as_text=True)
    assert 'id="used-by"' in page and "质量管理部" in page and 'id="delete-group"' not in page
    refused = admin.post("/admin/groups/quality/delete", follow_redirects=True).get_data(as_text=True)
    assert "不能删除" in refused or "cannot be deleted" in refused
    added = admin.post("/admin/groups/quality/members", data={"username": "finance", "action": "add", "head": "1"})
    assert added.status_code == 302
    with db.session() as session:
        assert "quality" in org.get_user(session, "finance").head_of


def test_settings_page_masks_secrets_and_names_sources(app, monkeypatch):
    monkeypatch.setenv("LDAP_BIND_PASSWORD", "very-secret-bind")
    monkeypatch.setenv("DIGEST_TIME", "07:30")
    app.config["DATABASE_URL"] = "postgresql://wf:placeholder-password@db.example/wf"
    page = login(app.test_client(), "admin").get("/admin/settings").get_data(as_text=True)
    assert "very-secret-bind" not in page and "placeholder-password" not in page and "test-secret" not in page
    assert 'data-name="DIGEST_TIME"' in page and "07:30" in page
    row = page.split('data-name="DIGEST_TIME"')[1].split("</tr>")[0]
    assert 'data-source="environment"' in row
    row = page.split('data-name="CELERY_QUEUE"')[1].split("</tr>")[0]
    assert 'data-source="default"' in row
    assert login(app.test_client(), "auditor").get("/admin/settings").status_code == 403


def test_settings_set_on_a_page_show_the_database_as_their_source(app, db):
    from app.services.organisation import calendar
    with db.session() as session:
        calendar.set_working_hours(session, "08:00", "17:30", "admin")
    page = login(app.test_client(), "admin").get("/admin/settings").get_data(as_text=True)
    row = page.split('data-name="WORKDAY_END"')[1].split("</tr>")[0]
    assert "17:30" in row and 'data-source="database"' in row


def test_auditors_see_the_administrative_trail(api, app):
    api("admin").post("/api/v1/users", json={"username": "c.one"})
    auditor = api("auditor")
    events = auditor.get("/api/v1/admin-audit").get_json()
    assert events["total"] == 1 and events["events"][0]["action"] == "user.created"
    assert events["events"][0]["at"].endswith("+00:00")
    assert api("sales").get("/api/v1/admin-audit").status_code == 403
    page = login(app.test_client(), "auditor").get("/admin/trail").get_data(as_text=True)
    assert "c.one" in page
