"""Signing in: sign-out ends the session on the server, own password change (current password, length,
common passwords), changing or resetting a password ends other sessions and revokes tokens, token list and
revocation, one-time reset links and temporary passwords, and sign-in limits that do not lock a person
out of their own browser because someone elsewhere guesses their password."""
from app.models import AdminAuditEvent
from app.services.organisation import org, passwords
from sqlalchemy import select
from tests.web_helpers import login

STRONG = "Lantern-Orchid-58"


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_the_old_session_cookie_stops_working_after_sign_out(app):
    sales = login(app.test_client(), "sales")
    assert sales.get("/").status_code == 200
    stolen = _session_cookie(sales)
    assert sales.post("/logout").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_own_password_change_rules(api):
    sales = api("sales")
    wrong = sales.post("/api/v1/me/password", json={"current_password": "nope", "new_password": STRONG})
    assert wrong.status_code == 403 and wrong.get_json()["error"]["code"] == "wrong_password"
    short = sales.post("/api/v1/me/password", json={"current_password": "demo", "new_password": "Ab1-x"})
    assert short.status_code == 422 and "10" in short.get_json()["error"]["message"]
    for common in ("password123", "qwertyuiop", "iloveyou2024!", "woaini1314"):
        refused = sales.post("/api/v1/me/password", json={"current_password": "demo", "new_password": common})
        assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "weak_password", common
    assert api("sales").get("/api/v1/tasks").status_code == 200  # nothing changed


def test_password_change_ends_other_sessions_and_revokes_tokens(app, api, db):
    other_browser = login(app.test_client(), "sales")
    token_user = api("sales")
    this_browser = login(app.test_client(), "sales")
    response = this_browser.post("/account/password", data={"current_password": "demo", "new_password": STRONG,
                                                            "repeat_password": STRONG})
    assert response.status_code == 302
    assert this_browser.get("/").status_code == 200  # the session that changed it goes on
    assert other_browser.get("/").status_code == 302
    assert token_user.get("/api/v1/tasks").status_code == 401
    assert login(app.test_client(), "sales", STRONG)
    with db.session() as session:
        user = org.get_user(session, "sales")
        assert user.password_hash.startswith("$argon2id$") and passwords.check_hash(user.password_hash, STRONG)
        event = session.scalars(select(AdminAuditEvent).where(AdminAuditEvent.action == "user.password_changed")).one()
        assert event.actor == "sales" and event.after == {"sessions_ended": 1, "tokens_revoked": 1}


def test_tokens_are_listed_and_revoked_by_their_owner_or_an_administrator(api, client):
    first, second = api("sales"), api("sales")
    listed = first.get("/api/v1/me/tokens").get_json()
    assert len(listed["tokens"]) == 2 and listed["current"] in {t["id"] for t in listed["tokens"]}
    other_id = next(t["id"] for t in listed["tokens"] if t["id"] != listed["current"])
    assert api("quality").client.delete(f"/api/v1/me/tokens/{other_id}",
                                        headers=api("quality").headers).status_code == 404
    assert first.client.delete(f"/api/v1/me/tokens/{other_id}", headers=first.headers).status_code == 200
    assert second.get("/api/v1/tasks").status_code == 401
    assert first.get("/api/v1/tasks").status_code == 200

    admin = api("admin")
    [remaining] = admin.get("/api/v1/users/sales/tokens").get_json()["tokens"]
    revoked = admin.client.delete(f"/api/v1/users/sales/tokens/{remaining['id']}", headers=admin.headers)
    assert revoked.status_code == 200 and revoked.get_json()["revoked"] is True
    assert first.get("/api/v1/tasks").status_code == 401


def test_tokens_page_lists_and_revokes(app, api):
    token_user = api("sales")
    page = login(app.test_client(), "sales")
    html = page.get("/account/tokens").get_data(as_text=True)
    token_id = html.split('data-token="')[1].split('"')[0]
    assert page.post("/account/tokens", data={"token_id": token_id}).status_code == 302
    assert token_user.get("/api/v1/tasks").status_code == 401


def test_a_one_time_reset_link_sets_the_password_once(app, api):
    victim_session = login(app.test_client(), "quality")
    admin = api("admin")
    link = admin.post("/api/v1/users/quality/password-reset", json={"method": "link"}).get_json()["link"]
    path = link.split("localhost", 1)[1]
    browser = app.test_client()
    assert "质量管理部员工" in browser.get(path).get_data(as_text=True)
    weak = browser.post(path, data={"new_password": "12345678", "repeat_password": "12345678"})
    assert weak.status_code == 422
    done = browser.post(path, data={"new_password": STRONG, "repeat_password": STRONG})
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    assert browser.get(path).status_code == 404  # used
    assert victim_session.get("/").status_code == 302
    assert login(app.test_client(), "quality", STRONG)


def test_a_temporary_password_must_be_changed_at_the_next_sign_in(app, api):
    admin = api("admin")
    temporary = admin.post("/api/v1/users/finance/password-reset", json={"method": "temporary"}).get_json()[
        "temporary_password"]
    browser = app.test_client()
    first = browser.post("/login", data={"username": "finance", "password": temporary})
    assert first.status_code == 302 and first.headers["Location"].endswith("/account/password")
    held = browser.get("/")
    assert held.status_code == 302 and held.headers["Location"].endswith("/account/password")
    assert "临时密码" in browser.get("/account/password").get_data(as_text=True)
    changed = browser.post("/account/password", data={"current_password": temporary, "new_password": STRONG,
                                                      "repeat_password": STRONG})
    assert changed.status_code == 302
    assert browser.get("/").status_code == 200


def _attempt(app, address, username, password, device_cookie=None):
    client = app.test_client()
    if device_cookie:
        client.set_cookie("known_device", device_cookie)
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _device_of(app, address, username) -> str:
    """Sign in once from a browser; return the known-device cookie it keeps."""
    browser = app.test_client()
    response = browser.post("/login", data={"username": username, "password": "demo"},
                            environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 302
    return browser.get_cookie("known_device").value


def test_someone_elses_guessing_does_not_lock_a_person_out_of_their_own_browser(app):
    app.config["LOGIN_RATE_LIMIT"] = "5 per minute"
    app.config["LOGIN_USER_RATE_LIMIT"] = "3 per minute"
    # sales signed in from their own PC before: the browser keeps a known-device cookie
    device_cookie = _device_of(app, "10.0.0.5", "sales")

    for _ in range(3):  # someone at another address guesses sales's password
        assert _attempt(app, "192.0.2.66", "sales", "guess").status_code == 401
    assert _attempt(app, "192.0.2.66", "sales", "demo").status_code == 429
    assert _attempt(app, "198.51.100.7", "sales", "demo").status_code == 429  # a new place: the user limit
    # ... but sales at their own browser gets in, and so do colleagues at the guesser's address
    assert _attempt(app, "10.0.0.5", "sales", "demo", device_cookie).status_code == 302
    assert _attempt(app, "192.0.2.66", "quality", "demo").status_code == 302


def test_the_address_limit_and_the_device_limit(app):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    device_cookie = _device_of(app, "10.0.0.9", "quality")
    for name in ("sales", "finance", "pmc"):  # one address tries several people
        assert _attempt(app, "203.0.113.1", name, "x").status_code == 401
    assert _attempt(app, "203.0.113.1", "warehouse", "demo").status_code == 429
    # the known device's own failures count against that device only
    for _ in range(3):
        assert _attempt(app, "10.0.0.9", "quality", "x", device_cookie).status_code == 401
    assert _attempt(app, "10.0.0.9", "quality", "demo", device_cookie).status_code == 429
    assert _attempt(app, "10.0.0.10", "quality", "demo").status_code == 302


def test_pages_show_times_in_the_users_time_zone(app, api, db):
    from app import clock
    from datetime import datetime
    clock.set_now(datetime(2026, 11, 28, 23, 30))  # UTC: 07:30 on the 29th in China, 18:30 on the 28th in New York
    try:
        api("sales")  # a token created now
        page = login(app.test_client(), "sales")
        assert "07:30" in page.get("/account/tokens").get_data(as_text=True)
        assert api("admin").client.patch("/api/v1/users/sales", headers=api("admin").headers,
                                          json={"timezone": "America/New_York"}).status_code == 200
        shown = page.get("/account/tokens").get_data(as_text=True)
        assert "18:30" in shown and "07:30" not in shown
    finally:
        clock.set_now(None)
