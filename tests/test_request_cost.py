"""The sign-in check of every request reads the sign-in row and its user in one statement and builds the user
from it (groups and roles from the process's memory): what an administrator or another process changes on
the user's row still applies on the very next request, and each request gives its connection back, whatever
its answer."""
from sqlalchemy import update

from app.models import User
from app.services.organisation import users
from tests.web_helpers import login


def _start(client):
    response = client.post("/api/v1/processes/loop_review/instances",
                           json={"data": {"case_no": "RC-1", "amount": 5, "rounds": 0, "customer": "ACME"}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _set(db, username, **values):
    """A change made straight in the database (another server process, a script): no service involved."""
    with db.session() as session:
        session.execute(update(User).where(User.username == username).values(**values))


def test_a_user_deactivated_in_the_database_is_refused_on_the_next_request(api, app, db, published):
    sales = api("sales")
    assert sales.get("/api/v1/tasks").status_code == 200  # signed in, the user's access in memory
    page = login(app.test_client(), "sales")
    assert page.get("/").status_code == 200

    _set(db, "sales", is_active=False)  # the tokens and page sessions are left as they were
    refused = sales.get("/api/v1/tasks")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "token_revoked"
    assert page.get("/").status_code == 302  # the page session is over too: to the sign-in page

    _set(db, "sales", is_active=True)
    assert sales.get("/api/v1/tasks").status_code == 200


def test_a_role_given_and_taken_away_applies_on_the_next_request(api, db):
    quality = api("quality")
    assert quality.get("/api/v1/users").status_code == 403  # not an administrator, and that is in memory
    with db.session() as session:
        users.update(session, "admin", "quality", {"roles": ["admin"]})
    assert quality.get("/api/v1/users").status_code == 200
    with db.session() as session:
        users.update(session, "admin", "quality", {"roles": []})
    refused = quality.get("/api/v1/users")
    assert refused.status_code == 403


def test_the_completion_answers_in_the_language_set_on_the_user_a_moment_before(api, db, published):
    sales = api("sales")
    _start(sales)
    [draft] = sales.get("/api/v1/tasks").get_json()["tasks"]

    _set(db, "sales", locale="en")
    done = sales.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"text": "draft"}})
    body = done.get_json()
    assert done.status_code == 200 and body["state"] == "completed" and body["completed_by"] == "sales"
    assert body["id"] == draft["id"] and body["task_name"] == draft["task_name"] and body["next_tasks"] == []
    again = sales.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"text": "draft"}})
    assert again.status_code == 409 and again.get_json()["error"]["message"] == \
        "The task was already completed by sales."

    _set(db, "sales", locale="zh")
    again = sales.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"text": "draft"}})
    assert again.status_code == 409 and "sales" in again.get_json()["error"]["message"]
    assert "already" not in again.get_json()["error"]["message"]  # Chinese again


def test_a_temporary_password_set_in_the_database_stops_the_api_at_once(api, db):
    sales = api("sales")
    assert sales.get("/api/v1/tasks").status_code == 200
    _set(db, "sales", must_change_password=True)
    refused = sales.get("/api/v1/tasks")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "password_change_required"


def test_every_request_gives_its_connections_back_whatever_its_answer(api, app, client, db, published):
    sales = api("sales")
    _start(sales)
    [draft] = sales.get("/api/v1/tasks").get_json()["tasks"]
    answers = [sales.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"text": "x"}}).status_code,
               sales.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"text": "x"}}).status_code,
               sales.post("/api/v1/tasks/no-such-task/complete", json={"data": {}}).status_code,
               client.get("/api/v1/tasks", headers={"Authorization": "Bearer not-a-token"}).status_code,
               login(app.test_client(), "sales").get("/").status_code]
    assert answers == [200, 409, 404, 401, 200]
    assert db.engine.pool.checkedout() == 0
