"""Hostile form submissions: wrong types, missing and extra fields, huge strings, NaN, oversized bodies are
refused with field messages and change nothing; HTML/JS typed into forms is shown escaped on every page
that shows it (inbox, task page, case page, audit history and search)."""
import pytest
from sqlalchemy import func, select

from app.models import AuditEvent, HumanTask, ProcessInstance
from tests.web_helpers import login, open_task

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert("


def _started(api):
    sales = api("sales")
    body = sales.post("/api/v1/processes/loop_review/instances",
                      json={"data": {"case_no": "H-1", "amount": 5, "rounds": 0, "customer": "ACME"}}).get_json()
    return sales, body["id"], body["open_tasks"][0]["id"]


def _snapshot(db, iid):
    with db.session() as session:
        return (session.get(ProcessInstance, iid).lock_version,
                session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.instance_id == iid)),
                session.scalar(select(HumanTask.state).where(HumanTask.instance_id == iid)))


@pytest.mark.parametrize("data, field, message", [
    ({"text": 42}, "text", "值的类型不正确"),                                   # wrong type
    ({}, "text", "此项为必填项"),                                               # missing field
    ({"text": "ok", "approved_by": "sales"}, "approved_by", "不属于该表单"),      # extra field
    ({"text": "x" * 1_000_000}, "text", "文字过长"),                            # huge string
    ({"text": ["a"]}, "text", "值的类型不正确"),
])
def test_bad_submissions_are_refused_per_field_and_change_nothing(api, db, published, data, field, message):
    sales, iid, task_id = _started(api)
    before = _snapshot(db, iid)
    refused = sales.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data})
    assert refused.status_code == 422
    errors = refused.get_json()["error"]["field_errors"]
    assert message in str(errors[field])
    assert _snapshot(db, iid) == before


def test_not_a_number_and_non_objects_are_refused(api, db, published):
    sales, iid, task_id = _started(api)
    before = _snapshot(db, iid)
    for body in (b'{"data": {"text": NaN}}', b'{"data": {"text": Infinity}}', b"[1, 2]", b'"text"', b"{bad json"):
        refused = sales.client.post(f"/api/v1/tasks/{task_id}/complete", headers=sales.headers, data=body,
                                    content_type="application/json")
        assert refused.status_code in (400, 422), body
        assert refused.get_json()["error"]["message"]
    start = sales.client.post("/api/v1/processes/loop_review/instances", headers=sales.headers,
                              data=b'{"data": {"case_no": "N", "amount": NaN}}', content_type="application/json")
    assert start.status_code == 400
    assert _snapshot(db, iid) == before


def test_an_oversized_body_is_refused_with_a_message(app, api, published):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    sales, _iid, task_id = _started(api)
    refused = sales.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"text": "x" * (2 * 1024 * 1024)}})
    assert refused.status_code == 413 and refused.get_json()["error"]["message"]


def test_page_forms_refuse_wrong_types_and_ignore_unknown_fields(app, db, published):
    sales = login(app.test_client(), "sales")
    wrong = sales.post("/start/loop_review", data={"case_no": "W-1", "amount": "many", "rounds": "x"})
    assert wrong.status_code == 422
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    extra = sales.post("/start/loop_review", data={"case_no": "W-2", "amount": "5", "is_admin": "1",
                                                   "started_by": "auditor"})
    assert extra.status_code == 302
    with db.session() as session:
        instance = session.scalar(select(ProcessInstance))
        assert instance.started_by == "sales" and "is_admin" not in instance.case_data


def test_html_and_script_are_shown_escaped_everywhere(app, db, published):
    sales = login(app.test_client(), "sales")
    assert sales.post("/start/loop_review", data={"case_no": PAYLOAD[:40], "amount": "5", "rounds": "0",
                                                  "customer": PAYLOAD}).status_code == 302
    with db.session() as session:
        iid = session.scalar(select(ProcessInstance.id))
    task = open_task(db, iid, "draft")
    assert sales.post(f"/tasks/{task.id}", data={"action": "save", "text": PAYLOAD}).status_code == 302
    pages = {"inbox": sales.get("/queue"), "task page": sales.get(f"/tasks/{task.id}")}
    assert sales.post(f"/tasks/{task.id}", data={"action": "complete", "text": PAYLOAD}).status_code == 302
    pages["case page"] = sales.get(f"/cases/{iid}")
    pages["start page"] = sales.get("/start")
    auditor = login(app.test_client(), "auditor")
    pages["audit history"] = auditor.get(f"/audit/cases/{iid}")
    pages["audit report"] = auditor.get(f"/audit/cases/{iid}/report")
    pages["audit search"] = auditor.get("/audit/")
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert "<script>alert" not in html and "<img src=x" not in html, name
        assert ESCAPED in html, name  # the text is there, as text
