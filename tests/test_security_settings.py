"""Sessions and secrets: keys and credentials come from the environment and none is committed; cookies are
HttpOnly, SameSite and (when asked) Secure; every response carries the security headers and the pages need
no inline script; every state-changing form needs its CSRF token; passwords are stored as argon2 hashes."""
import re
import subprocess

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from app import create_app
from app.config import PROJECT_ROOT, Config
from app.services.notifications import mailer
from app.services.organisation import org
from conftest import FIXTURES
from tests.web_helpers import page_session

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "password literal": re.compile(r"""(?i)\b\w*passw(or)?d\w*\b["']?\s*[:=]\s*["']([^"'\s]{1,200})["']"""),
    "credentials in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^/\s@'\"]+)@"),
    "secret key literal": re.compile(r"""(?i)\b(secret_key|api_key|access_key|auth_token)\b\s*[:=]\s*["']([^"']+)["']"""),
    "AWS key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
}
ALLOWED_VALUES = {"demo", "placeholder-password"}  # the documented demo password; a stand-in tests mask
# tests and benchmarks sign in with the demo password, try wrong ones and give throw-away apps fixed keys:
# there only keys and credentials that would work elsewhere count
ANYWHERE = ("private key", "AWS key", "credentials in a URL")


def _repository_files() -> list[str]:
    """Tracked files and new files that are not ignored (what a commit would hold)."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no list of committed files")
    return [line for line in out.splitlines() if line and line != "tests/test_security_settings.py"]


def test_no_secret_is_committed():
    found = []
    for name in _repository_files():
        path = PROJECT_ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text("utf-8", errors="ignore")
        kinds = ANYWHERE if name.startswith(("tests/", "bench/")) else SECRET_PATTERNS
        for kind in kinds:
            for match in SECRET_PATTERNS[kind].finditer(text):
                value = match.groups()[-1] if match.groups() else match.group(0)
                if value not in ALLOWED_VALUES:
                    found.append(f"{name}: {kind} {value[:20]!r}")
    assert found == []


def test_the_scan_finds_what_it_looks_for():
    samples = ['SMTP_PASSWORD = "hunter2"', "postgresql://app:s3cret@db/x", "-----BEGIN RSA PRIVATE KEY-----",
               "SECRET_KEY = 'abc123'"]
    assert all(any(p.search(s) for p in SECRET_PATTERNS.values()) for s in samples)


def test_keys_and_credentials_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://app@db.internal/workflow")
    config = Config()
    assert config.SECRET_KEY == "from-the-environment"
    assert config.DATABASE_URL == "postgresql+psycopg2://app@db.internal/workflow"
    monkeypatch.setenv("SMTP_HOST", "mail.internal")
    monkeypatch.setenv("SMTP_USER", "workflow")
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-from-env")
    smtp = mailer.smtp_config()
    assert (smtp["host"], smtp["user"], smtp["password"]) == ("mail.internal", "workflow", "smtp-from-env")


def test_without_a_secret_key_one_is_generated_outside_the_repository(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    key = Config().SECRET_KEY
    assert len(key) >= 32 and key == Config().SECRET_KEY  # kept in instance/ (ignored by git), not in code
    assert "instance/" in (PROJECT_ROOT / ".gitignore").read_text()


def _set_cookie(response) -> str:
    return "; ".join(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))


@pytest.mark.parametrize("secure", ["0", "1"])
def test_session_cookie_flags(database_url, monkeypatch, secure):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", secure)
    app = create_app(Config(DATABASE_URL=database_url, TESTING=True, WTF_CSRF_ENABLED=False, SECRET_KEY="x"))
    with app.extensions["db"].session() as session:
        org.seed_demo(session)
    cookie = _set_cookie(app.test_client().post("/login", data={"username": "sales", "password": "demo"}))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) == (secure == "1")
    app.extensions["db"].dispose()


def test_security_headers_on_pages_api_and_errors(app, client):
    for path in ("/login", "/api/v1/openapi.json", "/no-such-page", "/static/app.css"):
        headers = client.get(path).headers
        csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
        assert csp["script-src"] == "'self'", path  # no inline script, no other origin
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_templates_have_no_inline_script_the_policy_would_block():
    found = []
    for template in (PROJECT_ROOT / "app" / "templates").rglob("*.html"):
        text = template.read_text("utf-8")
        found += [f"{template.name}: {m.group(0)}" for m in INLINE_SCRIPT.finditer(text)]
        found += [f"{template.name}: {m.group(0)}" for m in INLINE_HANDLER.finditer(text)]
        found += [f"{template.name}: javascript: URL" for _ in re.finditer(r"javascript:", text, re.I)]
    assert found == []


@pytest.fixture
def csrf_app(database_url):
    app = create_app(Config(DATABASE_URL=database_url, TESTING=True, SECRET_KEY="csrf",
                            PROCESSES_DIR=FIXTURES / "basic", FORMS_DIR=FIXTURES / "basic"))
    with app.extensions["db"].session() as session:
        org.seed_demo(session)
    yield app
    app.extensions["db"].dispose()


def _signed_in(app, username):
    return page_session(app.extensions["db"], app.test_client(), username)


def _url(app, rule) -> str:
    values = {"task_id": "t-1", "instance_id": 1, "search_id": 1, "process_id": "loop_review", "code": "en",
              "file_name": "a.bpmn"}
    with app.test_request_context():
        return url_for(rule.endpoint, **{k: values.get(k, 1 if isinstance(rule._converters.get(k), IntegerConverter)
                                                      else "no-such-thing") for k in rule.arguments})


def test_every_state_changing_form_needs_its_csrf_token(csrf_app):
    """Every POST/PUT/DELETE route of the pages, signed in as someone allowed (an auditor for /audit, the
    process owner for /console, a head elsewhere), without a token: refused before anything happens."""
    checked = []
    for rule in csrf_app.url_map.iter_rules():
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            if rule.rule.startswith("/api/"):
                continue
            user = "auditor" if rule.rule.startswith("/audit") else \
                "process_owner" if rule.rule.startswith("/console") else "sales_head"
            response = _signed_in(csrf_app, user).open(_url(csrf_app, rule), method=method, data={"x": "1"})
            assert response.status_code in (400, 403), (method, rule.rule, response.status_code)
            checked.append(rule.rule)
    assert {"/login", "/logout", "/tasks/<task_id>", "/tasks/<task_id>/claim", "/queue/bulk", "/start/<process_id>",
            "/away", "/audit/searches", "/console/upload", "/console/<process_id>/migrate"} <= set(checked)


def test_api_writes_with_the_page_session_need_the_csrf_token(csrf_app):
    """The JSON API accepts the page session (the console's editors use it); then writes need the token."""
    client = _signed_in(csrf_app, "sales")
    assert client.get("/api/v1/tasks").status_code == 200
    refused = client.put("/api/v1/notifications/settings", json={"daily_digest": True})
    assert refused.status_code == 403
    token = client.post("/api/v1/auth/token", json={"username": "sales", "password": "demo"}).get_json()["token"]
    assert client.put("/api/v1/notifications/settings", json={"daily_digest": True},
                      headers={"Authorization": "Bearer " + token}).status_code == 200


def test_passwords_are_stored_as_argon2id_hashes(db):
    with db.session() as session:
        user = org.get_user(session, "sales")
        assert user.password_hash.startswith("$argon2id$") and "demo" not in user.password_hash
        assert org.authenticate(session, "sales", "demo") is not None
        assert org.authenticate(session, "sales", "Demo") is None
