"""What an outside probe found, each fixed and held here: contact data masked on every output that carries
case data; sign-in sends the browser back only to a path of this site; files are stored only for someone who
may work the task, are in the audit trail, are refused visibly when too large on "save draft" and are
accepted only on their own case; releasing a task says nothing about its state to an outsider; reassign and
delegate are in the OpenAPI document; Strict-Transport-Security over HTTPS behind a trusted proxy."""
import io
import json
import re
from contextlib import contextmanager
from urllib.parse import urljoin, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app import create_app
from app.config import Config
from app.models import Attachment, AuditEvent, OutboxMessage, TaskDraft, User
from app.services.modelling import publishing
from app.services.notifications import mailer
from conftest import FIXTURES, Api
from web_helpers import login, open_task

PHONE = "13912345678"
ADDRESS = "宁波市江北区长兴路88号"
SECURITY = FIXTURES / "security"


@pytest.fixture
def contact_process(db):
    with db.session() as session:
        return publishing.publish(session, publishing.collect_paths([SECURITY], None), "tester")


def start(client, no="S-1", **files):
    data = {"case_no": no, "customer": "宁波机械", "phone": PHONE, "buyer_address": ADDRESS} | files
    response = client.post("/start/contact_check", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def events(db, instance_id, kind):
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                             AuditEvent.event_type == kind)))


# --- contact data: one rule on every output ----------------------------------------------------------------

@pytest.fixture
def outbox_mail(monkeypatch):
    """E-mail on, with an SMTP server that keeps what it is sent."""
    monkeypatch.setenv("SMTP_HOST", "smtp.invalid")
    sent = []

    class Server:
        def send_message(self, message):
            sent.append(message["Subject"] + "\n" + message.get_content())

    @contextmanager
    def fake_smtp(cfg):
        yield Server()

    monkeypatch.setattr(mailer, "_smtp", fake_smtp)
    return sent


def _json_text(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


def _visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def _xlsx_text(data: bytes) -> str:
    sheet = load_workbook(io.BytesIO(data)).active
    return "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)


def test_contact_data_is_masked_on_every_output_for_those_not_working_the_case(app, db, contact_process,
                                                                               outbox_mail):
    with db.session() as session:
        for user in session.scalars(select(User)):
            user.email = f"{user.username}@example.com"
    instance_id = start(login(app.test_client(), "sales"))
    task = open_task(db, instance_id, "check")
    with db.session() as session:
        assert session.scalar(select(OutboxMessage.id)) is not None  # a new-task e-mail was queued
    assert mailer.deliver_pending(db) >= 1

    auditor, admin = login(app.test_client(), "auditor"), login(app.test_client(), "admin")
    auditor_api, admin_api = Api(app.test_client(), "auditor"), Api(app.test_client(), "admin")
    outputs = {
        "API task": _json_text(auditor_api.get(f"/api/v1/tasks/{task.id}")),
        "API case": _json_text(auditor_api.get(f"/api/v1/instances/{instance_id}")),
        "API events": _json_text(auditor_api.get(f"/api/v1/instances/{instance_id}/events")),
        "API case (admin)": _json_text(admin_api.get(f"/api/v1/instances/{instance_id}")),
        "task page": auditor.get(f"/tasks/{task.id}").get_data(as_text=True),
        "case page": auditor.get(f"/cases/{instance_id}").get_data(as_text=True),
        "case page (admin)": admin.get(f"/cases/{instance_id}").get_data(as_text=True),
        "audit case page": auditor.get(f"/audit/cases/{instance_id}").get_data(as_text=True),
        "printable report": auditor.get(f"/audit/cases/{instance_id}/report").get_data(as_text=True),
        "history CSV": auditor.get(f"/audit/cases/{instance_id}/history.csv").get_data().decode("utf-8-sig"),
        "history xlsx": _xlsx_text(auditor.get(f"/audit/cases/{instance_id}/history.xlsx").get_data()),
        "case list CSV": auditor.get("/audit/export/cases.csv").get_data().decode("utf-8-sig"),
        "case list xlsx": _xlsx_text(auditor.get("/audit/export/cases.xlsx").get_data()),
        "e-mails": "\n".join(outbox_mail),
    }
    leaked = [name for name, text in outputs.items() if PHONE in text or ADDRESS in text]
    assert leaked == []
    shown_masked = ("1******8", "宁******号")  # the fields are there, masked (not silently left out)
    for name in ("API task", "API case", "task page", "case page", "audit case page", "printable report",
                 "history CSV", "history xlsx", "API case (admin)", "case page (admin)"):
        assert all(m in outputs[name] for m in shown_masked), name
    assert "宁波机械" in outputs["case list CSV"] and "S-1" in outputs["e-mails"]

    # the departments working the case see the data in clear
    quality_api = Api(app.test_client(), "quality")
    assert quality_api.get(f"/api/v1/tasks/{task.id}").get_json()["case_data"]["phone"] == PHONE
    page = login(app.test_client(), "quality").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert PHONE in page and ADDRESS in page


# --- sign-in redirect --------------------------------------------------------------------------------------

HOSTILE_NEXT = ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "//evil.example", "///evil.example",
                "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\\/evil.example",
                "https://evil.example/", "http:evil.example", "javascript:alert(1)", "data:text/html,x",
                " //evil.example", "\t//evil.example", "/\x00/evil.example", "evil.example",
                "%2F%2Fevil.example", "%252F%252Fevil.example", "//evil.example@localhost/",
                "/\u3000/evil.example", "https:/\\evil.example"]


def browser_target(location: str, base: str = "http://localhost/login") -> str:
    """The host a browser goes to for a Location header: tabs and newlines dropped, backslashes as slashes."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00 ").replace("\\", "/")
    return urlsplit(urljoin(base, cleaned)).netloc


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory):
    from app.migrate import upgrade
    url = f"sqlite:///{tmp_path_factory.mktemp('plain') / 'plain.sqlite3'}"
    upgrade(url)
    application = create_app(Config(DATABASE_URL=url, TESTING=True, WTF_CSRF_ENABLED=False, SECRET_KEY="x",
                                    LOGIN_RATE_LIMIT="10000 per minute", LOGIN_USER_RATE_LIMIT="10000 per minute"))
    from app.services.organisation import org
    with application.extensions["db"].session() as session:
        org.seed_demo(session)
    yield application
    application.extensions["db"].dispose()


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_sign_in_never_sends_the_browser_to_another_site(plain_app, target):
    response = plain_app.test_client().post("/login", query_string={"next": target},
                                            data={"username": "sales", "password": "demo"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert browser_target(location) == "localhost", location
    assert location == "/"  # refused: the inbox


def test_sign_in_returns_to_a_page_of_this_site(plain_app):
    response = plain_app.test_client().post("/login", query_string={"next": "/queue?process=x&page=2"},
                                            data={"username": "sales", "password": "demo"})
    assert response.headers["Location"] == "/queue?process=x&page=2"


def test_language_choice_returns_only_to_a_page_of_this_site(plain_app):
    client = plain_app.test_client()
    away = client.post("/locale/en", headers={"Referer": "https://evil.example/x"})
    assert away.headers["Location"] == "/"
    back = client.post("/locale/en", headers={"Referer": "http://localhost/start?x=1"})
    assert back.headers["Location"] == "/start?x=1"


# --- uploads -----------------------------------------------------------------------------------------------

def _file(content=b"%PDF evidence", name="证据.pdf"):
    return (io.BytesIO(content), name)


def test_a_file_from_someone_who_may_not_work_the_task_is_not_stored(app, db, contact_process):
    instance_id = start(login(app.test_client(), "sales"))
    task = open_task(db, instance_id, "check")
    for username in ("auditor", "finance", "admin"):
        response = login(app.test_client(), username).post(
            f"/tasks/{task.id}", data={"action": "complete", "note": "x", "evidence": _file()},
            content_type="multipart/form-data")
        assert response.status_code == 403, username
    with db.session() as session:
        assert session.scalars(select(Attachment)).all() == []
    assert "证据.pdf" not in login(app.test_client(), "sales").get(f"/cases/{instance_id}").get_data(as_text=True)


def test_every_upload_and_draft_with_a_file_is_in_the_audit_trail(app, db, contact_process):
    sales = login(app.test_client(), "sales")
    instance_id = start(sales, contract_file=_file(b"%PDF contract", "合同.pdf"))
    started = events(db, instance_id, "attachment_added")
    assert [(e.actor, e.data["filename"], e.data["field"]) for e in started] == [("sales", "合同.pdf", "contract_file")]

    task = open_task(db, instance_id, "check")
    quality = login(app.test_client(), "quality")
    saved = quality.post(f"/tasks/{task.id}", data={"action": "save", "note": "待定", "evidence": _file()},
                         content_type="multipart/form-data")
    assert saved.status_code == 302
    drafted = events(db, instance_id, "draft_saved")
    assert len(drafted) == 1 and drafted[0].actor == "quality"
    assert [a["filename"] for a in drafted[0].data["attachments"]] == ["证据.pdf"]
    uploads = events(db, instance_id, "attachment_added")
    assert [e.data["filename"] for e in uploads] == ["合同.pdf", "证据.pdf"] and uploads[1].task_id == task.id

    assert quality.post(f"/tasks/{task.id}", data={"action": "save", "note": "只改文字"}).status_code == 302
    assert len(events(db, instance_id, "draft_saved")) == 1  # a draft without a file is no case event
    case = _visible_text(sales.get(f"/cases/{instance_id}").get_data(as_text=True))
    assert "添加了附件 合同.pdf" in case and "attachment_added" not in case and "draft_saved" not in case
    history = login(app.test_client(), "auditor").get(f"/audit/cases/{instance_id}").get_data(as_text=True)
    assert "添加附件" in history and "保存草稿（含附件）" in history


def test_an_oversized_file_on_save_draft_is_refused_with_a_message(app, db, contact_process):
    app.config["MAX_ATTACHMENT_BYTES"] = 10
    task = open_task(db, start(login(app.test_client(), "sales")), "check")
    quality = login(app.test_client(), "quality")
    response = quality.post(f"/tasks/{task.id}", data={"action": "save", "note": "附件太大",
                                                       "evidence": _file(b"x" * 11, "big.pdf")},
                            content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "草稿未保存" in page and "文件过大" in page and "附件太大" in page  # the text typed is kept
    with db.session() as session:
        assert session.scalars(select(TaskDraft)).all() == [] and session.scalars(select(Attachment)).all() == []
    quality.post("/locale/en")
    english = quality.post(f"/tasks/{task.id}", data={"action": "save", "note": "n",
                                                      "evidence": _file(b"x" * 11, "big.pdf")},
                           content_type="multipart/form-data").get_data(as_text=True)
    assert "The draft was not saved" in english


def test_an_attachment_is_accepted_only_on_its_own_case(app, db, contact_process):
    sales = login(app.test_client(), "sales")
    other = start(sales, "S-A", contract_file=_file(b"%PDF secret", "机密合同.pdf"))
    with db.session() as session:
        foreign = session.scalar(select(Attachment.id).where(Attachment.instance_id == other))
    instance_id = start(sales, "S-B")
    task = open_task(db, instance_id, "check")
    quality = login(app.test_client(), "quality")

    page = quality.post(f"/tasks/{task.id}", data={"action": "complete", "note": "x", "evidence__kept": foreign})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and "该文件不属于本案件" in text and "机密合同.pdf" not in text
    assert quality.post(f"/tasks/{task.id}", data={"action": "save", "note": "x", "evidence__kept": foreign}
                        ).status_code == 302
    assert "机密合同.pdf" not in quality.get(f"/tasks/{task.id}").get_data(as_text=True)

    api = Api(app.test_client(), "quality")
    refused = api.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"note": "x", "evidence": foreign}})
    assert refused.status_code == 422 and "evidence" in refused.get_json()["error"]["field_errors"]
    started = Api(app.test_client(), "sales").post("/api/v1/processes/contact_check/instances", json={
        "data": {"case_no": "S-C", "customer": "c", "contract_file": foreign}})
    assert started.status_code == 422
    with db.session() as session:
        assert session.get(Attachment, foreign).instance_id == other

    own = quality.post(f"/tasks/{task.id}", data={"action": "complete", "note": "ok", "evidence": _file()},
                       content_type="multipart/form-data")
    assert own.status_code == 302  # a file of the case itself is accepted


# --- releasing a task --------------------------------------------------------------------------------------

def test_releasing_another_departments_task_is_refused_before_its_state_is_told(app, db, contact_process):
    task = open_task(db, start(login(app.test_client(), "sales")), "check")
    outsider = Api(app.test_client(), "finance")
    ready = outsider.post(f"/api/v1/tasks/{task.id}/unclaim")
    Api(app.test_client(), "quality").post(f"/api/v1/tasks/{task.id}/claim")
    held = outsider.post(f"/api/v1/tasks/{task.id}/unclaim")
    assert (ready.status_code, held.status_code) == (403, 403)
    assert ready.get_json()["error"]["message"] == held.get_json()["error"]["message"]
    # inside the department the state is no secret
    task2 = open_task(db, start(login(app.test_client(), "sales"), "S-2"), "check")
    assert Api(app.test_client(), "quality").post(f"/api/v1/tasks/{task2.id}/unclaim").status_code == 409


# --- OpenAPI and transport ---------------------------------------------------------------------------------

def test_the_openapi_document_describes_reassign_and_delegate(plain_app):
    spec = plain_app.test_client().get("/api/v1/openapi.json").get_json()
    for action in ("reassign", "delegate"):
        op = spec["paths"][f"/tasks/{{task_id}}/{action}"]["post"]
        body = op["requestBody"]["content"]["application/json"]["schema"]
        assert body["required"] == ["assignee"] and body["properties"]["assignee"]["type"] == "string"
        assert {"403", "404", "409"} <= set(op["responses"])


def _proxied_app(tmp_path, hops):
    from app.migrate import upgrade
    url = f"sqlite:///{tmp_path / f'proxy{hops}.sqlite3'}"
    upgrade(url)
    return create_app(Config(DATABASE_URL=url, TESTING=True, SECRET_KEY="x", TRUSTED_PROXY_HOPS=hops))


def test_strict_transport_security_over_https_behind_a_trusted_proxy(tmp_path):
    behind = _proxied_app(tmp_path, 1).test_client()
    secure = behind.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in behind.get("/login", headers={"X-Forwarded-Proto": "http"}).headers
    assert "Strict-Transport-Security" in behind.get("/api/v1/openapi.json",
                                                     headers={"X-Forwarded-Proto": "https"}).headers

    direct = _proxied_app(tmp_path, 0).test_client()
    spoofed = direct.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers  # nobody vouches for the header
    assert "Strict-Transport-Security" in direct.get("/login", base_url="https://localhost").headers
