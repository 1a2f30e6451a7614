"""Task and start pages: forms from JSON Schema, validation in the user's language with input kept,
drafts, attachments, concurrent completion, start permissions, CSRF."""
import io
import re

import pytest
from sqlalchemy import select

from app import create_app
from app.config import Config
from app.models import Attachment, ProcessInstance
from app.services.organisation import org
from app.services.modelling import publishing
from tests.conftest import FIXTURES
from tests.web_helpers import login, open_task


@pytest.fixture
def web_published(db, published):
    with db.session() as session:
        return publishing.publish(session, publishing.collect_paths([FIXTURES / "web"], None), "tester")


def start_complaint(client, no="TS-1", **extra):
    data = {"complaint_no": no, "customer": "宁波机械", "claimed_amount": "1,234.50", "channel": "email"} | extra
    response = client.post("/start/intake_check", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def field_html(page: str, name: str) -> str:
    match = re.search(rf'<div class="field[^"]*" data-field="{name}">(.*?)</div>', page, re.S)
    assert match, f"field {name} not on the page"
    return match.group(1)


def test_start_form_widgets_and_errors_next_to_fields(client, web_published):
    sales = login(client, "sales")
    page = sales.get("/start/intake_check").get_data(as_text=True)
    assert 'type="date"' in field_html(page, "received_on")
    assert '<option value="visit"' in field_html(page, "channel")
    assert 'type="checkbox"' in field_html(page, "overseas")
    assert "<textarea" in field_html(page, "description") and "(¥)" in field_html(page, "claimed_amount")
    bad = sales.post("/start/intake_check", data={"complaint_no": "", "customer": "宁波机械", "claimed_amount": "abc",
                                                  "description": "裂纹"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "请输入数字。" in field_html(text, "claimed_amount") and 'value="abc"' in field_html(text, "claimed_amount")
    assert "此项为必填项。" in field_html(text, "complaint_no")
    assert 'value="宁波机械"' in text and "裂纹</textarea>" in text
    sales.post("/locale/en")
    english = sales.post("/start/intake_check", data={"complaint_no": "", "customer": "x", "claimed_amount": "1"})
    assert "This field is required." in field_html(english.get_data(as_text=True), "complaint_no")
    assert "Complaint number" in english.get_data(as_text=True)


def test_started_case_page_formats_money_and_shows_the_queue(client, web_published, db):
    sales = login(client, "sales")
    instance_id = start_complaint(sales)
    page = sales.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "¥1,234.50" in page and "TS-1" in page and "进行中" in page
    assert "质量确认" in page and "（待领）" in page
    markers = re.search(r'data-markers="([^"]*)"', page).group(1)
    assert "&#34;current&#34;: [&#34;check&#34;]" in markers
    assert sales.get(f"/cases/{instance_id}/diagram.bpmn").get_data(as_text=True).startswith("<?xml")


def test_only_starter_groups_may_start(app, client, web_published):
    quality = login(client, "quality")
    listing = quality.get("/start").get_data(as_text=True)
    assert "loop_review" in listing and "intake_check" not in listing
    assert quality.get("/start/intake_check").status_code == 403
    token = app.test_client().post("/api/v1/auth/token", json={"username": "quality", "password": "demo"})
    refused = app.test_client().post("/api/v1/processes/intake_check/instances", json={"data": {}},
                                     headers={"Authorization": "Bearer " + token.get_json()["token"]})
    assert refused.status_code == 403


def test_complete_with_errors_keeps_input_and_upload_then_succeeds(app, client, web_published, db):
    instance_id = start_complaint(login(client, "sales"))
    task = open_task(db, instance_id, "check")
    quality = login(app.test_client(), "quality")
    form = quality.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'value="yes"' in field_html(form, "accepted") and 'type="file"' in field_html(form, "inspection_report")
    assert "严重" in field_html(form, "severity") and "¥1,234.50" in form
    bad = quality.post(f"/tasks/{task.id}", data={
        "action": "complete", "sample_count": "0", "remark": "样品有裂纹", "severity": "major",
        "inspection_report": (io.BytesIO(b"%PDF report"), "报告.pdf")}, content_type="multipart/form-data")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "此项为必填项。" in field_html(text, "accepted")
    assert "数值过小（最小 1）。" in field_html(text, "sample_count")
    assert "样品有裂纹</textarea>" in text and 'value="major" selected' in text
    kept = re.search(r'name="inspection_report__kept" value="([^"]+)"', text).group(1)
    assert "报告.pdf" in field_html(text, "inspection_report")

    ok = quality.post(f"/tasks/{task.id}", data={"action": "complete", "accepted": "yes", "sample_count": "2",
                                                 "remark": "样品有裂纹", "inspection_report__kept": kept})
    assert ok.status_code == 302
    with db.session() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.status == "running" and instance.case_data["inspection_report"] == kept
        assert session.get(Attachment, kept).instance_id == instance_id
    case = quality.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "报告.pdf" in case and "完成了 质量确认" in case and "答复客户" in case
    download = quality.get(f"/attachments/{kept}")
    assert download.status_code == 200 and download.data == b"%PDF report"
    assert login(app.test_client(), "finance").get(f"/attachments/{kept}").status_code == 403


def test_upload_size_limit(app, client, web_published, db):
    app.config["MAX_ATTACHMENT_BYTES"] = 10
    task = open_task(db, start_complaint(login(client, "sales")), "check")
    quality = login(app.test_client(), "quality")
    response = quality.post(f"/tasks/{task.id}", data={
        "action": "complete", "accepted": "yes", "sample_count": "1",
        "inspection_report": (io.BytesIO(b"x" * 11), "big.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "文件过大" in field_html(response.get_data(as_text=True), "inspection_report")
    with db.session() as session:
        assert session.scalars(select(Attachment)).all() == []


def test_save_draft_is_personal(app, client, web_published, db):
    task = open_task(db, start_complaint(login(client, "sales")), "check")
    quality = login(app.test_client(), "quality")
    saved = quality.post(f"/tasks/{task.id}", data={"action": "save", "remark": "明天再看", "sample_count": "x"})
    assert saved.status_code == 302
    page = quality.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "明天再看</textarea>" in page and 'value="x"' in page and "草稿已于" in page
    head = login(app.test_client(), "quality_head")
    assert "明天再看" not in head.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_second_person_completing_sees_message_and_keeps_input(app, client, web_published, db):
    task = open_task(db, start_complaint(login(client, "sales")), "check")
    first, second = login(app.test_client(), "quality"), login(app.test_client(), "quality_head")
    second.get(f"/tasks/{task.id}")
    assert first.post(f"/tasks/{task.id}", data={"action": "complete", "accepted": "yes",
                                                 "sample_count": "1"}).status_code == 302
    late = second.post(f"/tasks/{task.id}", data={"action": "complete", "accepted": "no", "sample_count": "3",
                                                  "remark": "我的意见"})
    text = late.get_data(as_text=True)
    assert late.status_code == 409 and "该任务已由 quality 完成。" in text
    assert "我的意见" in text and 'value="3"' in text


def test_csrf_token_required_when_enabled(database_url, tmp_path):
    app = create_app(Config(DATABASE_URL=database_url, TESTING=True, SECRET_KEY="csrf-test",
                            PROCESSES_DIR=FIXTURES / "basic", FORMS_DIR=FIXTURES / "basic"))
    with app.extensions["db"].session() as session:
        org.seed_demo(session)
    client = app.test_client()
    refused = client.post("/login", data={"username": "sales", "password": "demo"})
    assert refused.status_code == 400 and "表单已过期或并非来自本站" in refused.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    signed_in = client.post("/login", data={"username": "sales", "password": "demo", "csrf_token": token})
    assert signed_in.status_code == 302
    assert client.post("/queue/bulk", data={"action": "claim", "task_id": "x"}).status_code == 400
    app.extensions["db"].dispose()
