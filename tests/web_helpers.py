"""Helpers for the page tests: sign in through the login form, start a case of the basic diagram,
find tasks in the task table."""
from sqlalchemy import select

from app.models import HumanTask


def page_session(db, client, username):
    """A page session as after signing in (a live server-side sign-in session), without the password
    hashing of the sign-in form."""
    from app.services.organisation import org, signin
    from app.web.auth import SESSION_KEY
    with db.session() as session:
        key = signin.start_session(session, org.get_user(session, username), "127.0.0.1")
    with client.session_transaction() as http:
        http["_user_id"], http["_fresh"], http[SESSION_KEY] = username, True, key
    return client


def login(client, username, password="demo"):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def start_case(client, case_no="C-1", amount="5", customer="ACME"):
    response = client.post("/start/loop_review", data={"case_no": case_no, "amount": amount, "rounds": "0",
                                                       "customer": customer})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def open_task(db, instance_id, name):
    with db.session() as session:
        return session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.task_name == name,
                                                      HumanTask.state.in_(("ready", "claimed"))))


def finish_draft(app, db, instance_id, text="草稿"):
    """Sales completes the draft so the review reaches the quality queue."""
    sales = login(app.test_client(), "sales")
    task = open_task(db, instance_id, "draft")
    response = sales.post(f"/tasks/{task.id}", data={"text": text, "action": "complete"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return open_task(db, instance_id, "review")
