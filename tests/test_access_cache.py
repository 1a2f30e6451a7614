"""The signed-in user's groups and roles are kept in memory per server process, yet an administrator's
change (through the API, or by any other process straight in the database) applies on the very next
request, and the memory really spares the membership queries."""
from sqlalchemy import event

from app.services.organisation import access_cache, users
from tests.web_helpers import login, open_task, start_case


def _start(client):
    response = client.post("/api/v1/processes/loop_review/instances",
                           json={"data": {"case_no": "AC-1", "amount": 5, "rounds": 0, "customer": "ACME"}})
    assert response.status_code == 201, response.get_json()


def _queries(db, table):
    seen = []

    def note(_conn, _cursor, statement, *_args):
        if f"FROM {table}" in statement:
            seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", note)
    return seen, lambda: event.remove(db.engine, "before_cursor_execute", note)


def test_admin_change_of_groups_and_roles_applies_on_the_next_api_request(api, published, db):
    admin, sales, quality = api("admin"), api("sales"), api("quality")
    _start(sales)
    [draft] = sales.get("/api/v1/tasks").get_json()["tasks"]
    assert quality.get("/api/v1/tasks").get_json()["tasks"] == []  # quality's groups are now in memory
    assert quality.get("/api/v1/tasks").get_json()["tasks"] == []

    seen, stop = _queries(db, "memberships")
    try:
        assert quality.get("/api/v1/tasks").status_code == 200
        assert seen == []  # served from memory: no membership query for the signed-in user
    finally:
        stop()

    moved = admin.client.patch("/api/v1/users/quality", headers=admin.headers,
                               json={"groups": ["quality", "sales"], "reason": "支援销售"})
    assert moved.status_code == 200, moved.get_json()
    assert [t["id"] for t in quality.get("/api/v1/tasks").get_json()["tasks"]] == [draft["id"]]
    assert quality.post(f"/api/v1/tasks/{draft['id']}/claim").status_code == 200

    # a role taken away in another process (straight in the database) is seen too
    with db.session() as session:
        users.update(session, "admin", "quality", {"groups": ["quality"]})
    refused = quality.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"text": "x"}})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_member"


def test_head_and_auditor_role_changes_reach_a_signed_in_page_session(app, client, published, db):
    sales = login(client, "sales")
    task = open_task(db, start_case(sales), "draft")
    assert sales.post(f"/tasks/{task.id}/claim").status_code in (200, 302)
    with db.session() as session:
        users.update(session, "admin", "sales", {"roles": ["auditor"]})
    # an auditor may not complete: the page says so at once, though sales' roles were in memory
    refused = sales.post(f"/tasks/{task.id}", data={"action": "complete", "text": "x"})
    assert refused.status_code == 403
    with db.session() as session:
        users.update(session, "admin", "sales", {"roles": []})
    done = sales.post(f"/tasks/{task.id}", data={"action": "complete", "text": "合同草稿"})
    assert done.status_code == 302


def test_memory_is_per_user_and_bounded(api, published, db, monkeypatch):
    monkeypatch.setattr(access_cache, "LIMIT", 1)
    sales, quality = api("sales"), api("quality")
    _start(sales)
    assert len(sales.get("/api/v1/tasks").get_json()["tasks"]) == 1
    assert quality.get("/api/v1/tasks").get_json()["tasks"] == []  # not sales' memberships
    with db.session() as session:
        assert len(access_cache._entries(session)) == 1
