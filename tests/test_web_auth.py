"""Signing in and out of the pages: failed attempts rate-limited, idle sessions expire, language kept."""
from datetime import timedelta

from app import clock
from app.models import User
from app.services.organisation import org
from tests.web_helpers import login


def test_failed_sign_ins_are_rate_limited(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert client.post("/login", data={"username": "sales", "password": "wrong"}).status_code == 401
    blocked = client.post("/login", data={"username": "sales", "password": "demo"})
    assert blocked.status_code == 429 and "登录尝试次数过多" in blocked.get_data(as_text=True)


def test_successful_sign_ins_do_not_count(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    for _ in range(4):
        login(app.test_client(), "sales")


def test_idle_session_expires(app, client):
    sales = login(client, "sales")
    assert sales.get("/").status_code == 200
    clock.set_now(clock.now() + timedelta(minutes=61))
    try:
        expired = sales.get("/")
        assert expired.status_code == 302 and "/login" in expired.headers["Location"]
        assert "会话已过期" in sales.get(expired.headers["Location"]).get_data(as_text=True)
    finally:
        clock.set_now(None)


def test_sign_out(client):
    sales = login(client, "sales")
    assert sales.post("/logout").status_code == 302
    assert sales.get("/").status_code == 302


def test_language_choice_is_kept_on_the_user(app, client, db):
    sales = login(client, "sales")
    assert "我的任务" in sales.get("/").get_data(as_text=True)
    sales.post("/locale/en")
    with db.session() as session:
        assert org.get_user(session, "sales").locale == "en"
    assert "My tasks" in login(app.test_client(), "sales").get("/").get_data(as_text=True)
    assert "我的任务" in login(app.test_client(), "quality").get("/").get_data(as_text=True)


def test_api_token_sign_ins_share_the_limit(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    for _ in range(2):
        assert client.post("/api/v1/auth/token", json={"username": "sales", "password": "x"}).status_code == 401
    blocked = client.post("/api/v1/auth/token", json={"username": "sales", "password": "demo"})
    assert blocked.status_code == 429 and blocked.get_json()["error"]["message"]
