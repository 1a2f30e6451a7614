"""Issue 7: the auditor workspace pages - read-only role, search and filters, saved searches shared with a
group, exports to Excel and CSV (Chinese headers by default), the printable report and the verify page."""
import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from app import clock
from app.services.organisation import org

from audit_helpers import login, open_task, run_basic_case, tamper, user


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.set_now(None)


def _ids(page: str) -> set[int]:
    import re
    return {int(m) for m in re.findall(r'href="/audit/cases/(\d+)"', page)}


def test_auditor_cannot_claim_or_complete(client, db, published, api):
    iid = run_basic_case(db, finish=False)
    task_id = open_task(db, iid).id
    auditor = api("auditor")
    claim = auditor.post(f"/api/v1/tasks/{task_id}/claim")
    assert claim.status_code == 403 and "只读" in claim.get_json()["error"]["message"]
    assert auditor.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"approved": True}}).status_code == 403
    login(client, "auditor")
    assert client.post(f"/tasks/{task_id}/claim").status_code == 403
    assert client.post(f"/tasks/{task_id}", data={"approved": "yes", "action": "complete"}).status_code == 403
    assert open_task(db, iid).state == "ready"  # nothing changed


def test_an_auditor_who_is_also_in_the_group_stays_read_only(db, published, api):
    with db.session() as session:
        org.create_user(session, "qa_auditor", "pw", groups=["quality"], roles=["auditor"])
    iid = run_basic_case(db, finish=False)
    response = api("qa_auditor", "pw").post(f"/api/v1/tasks/{open_task(db, iid).id}/claim")
    assert response.status_code == 403


@pytest.mark.parametrize("username", ["sales", "quality_head", "process_owner", "admin"])
def test_staff_cannot_open_the_audit_pages(client, db, username):
    login(client, username)
    for url in ("/audit/", "/audit/dashboard", "/audit/verify", "/audit/export/cases.xlsx", "/audit/versions"):
        assert client.get(url).status_code == 403, url


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_search_filters(client, db, published):
    clock.set_now(datetime(2026, 3, 2, 1, 0))
    closed = run_basic_case(db, case_no="C-100", customer="华东机械")
    clock.set_now(datetime(2026, 4, 6, 1, 0))
    running = run_basic_case(db, case_no="C-200", customer="Acme GmbH", finish=False)
    clock.set_now(datetime(2026, 4, 20, 1, 0))  # the open review (due in one working day) is overdue now
    login(client, "auditor")

    def found(**params):
        response = client.get("/audit/", query_string=params)
        assert response.status_code == 200
        return _ids(response.get_data(as_text=True))

    assert found() == {closed, running}
    assert found(status="completed") == {closed}
    assert found(business_key="c-2") == {running}
    assert found(customer="华东") == {closed}
    assert found(started_from="2026-04-01") == {running}
    assert found(started_to="2026-03-31") == {closed}
    assert found(ended_from="2026-03-01", ended_to="2026-03-02") == {closed}
    assert found(department="quality") == {closed, running}
    assert found(department="finance") == set()
    assert found(actor="quality") == {closed, running}
    assert found(process="loop_review", version="1") == {closed, running}
    assert found(version="2") == set()
    assert found(sla="breached") == {running}
    assert found(sla="met") == {closed}


def test_bad_filters_are_refused_with_a_message(client, db, published):
    run_basic_case(db)
    login(client, "auditor")
    response = client.get("/audit/", query_string={"version": "x", "started_from": "31.12.2026", "sla": "late"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'role="alert"' in page and not _ids(page)
    assert client.get("/audit/export/cases.xlsx?started_to=nope").status_code == 422


def test_saved_searches_are_shared_with_a_group(client, app, db, published):
    with db.session() as session:
        org.create_user(session, "qa_auditor", "pw", groups=["quality"], roles=["auditor"])
        org.create_user(session, "fin_auditor", "pw", groups=["finance"], roles=["auditor"])
    login(client, "auditor")
    response = client.post("/audit/searches", data={"name": "超期投诉", "sla": "breached", "shared_group": "quality"})
    assert response.status_code == 302 and "sla=breached" in response.headers["Location"]
    client.post("/audit/searches", data={"name": "私人", "status": "running"})
    assert "超期投诉" in client.get("/audit/").get_data(as_text=True)
    bad = client.post("/audit/searches", data={"name": " ", "status": "running"}, follow_redirects=True)
    assert "error" in bad.get_data(as_text=True)

    other = app.test_client()
    login(other, "qa_auditor", "pw")
    page = other.get("/audit/").get_data(as_text=True)
    assert "超期投诉" in page and "私人" not in page and "sla=breached" in page
    third = app.test_client()
    login(third, "fin_auditor", "pw")
    assert "超期投诉" not in third.get("/audit/").get_data(as_text=True)


def test_case_list_export_to_excel_with_chinese_headers(client, db, published):
    closed = run_basic_case(db, case_no="C-1", customer="=HYPERLINK(\"x\")")
    running = run_basic_case(db, case_no="C-2", customer="华东机械", finish=False)
    login(client, "auditor")
    response = client.get("/audit/export/cases.xlsx", query_string={"status": "completed"})
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("案件编号", "流程", "版本", "业务编号", "客户")
    assert len(rows) == 2 and rows[1][0] == closed and rows[1][3] == "C-1"
    assert rows[1][4] == "'=HYPERLINK(\"x\")"  # never run as a formula
    assert isinstance(rows[1][7], datetime)
    everything = load_workbook(io.BytesIO(client.get("/audit/export/cases.xlsx").data)).active
    assert {r[0] for r in list(everything.iter_rows(values_only=True))[1:]} == {closed, running}


def test_case_list_export_to_csv_opens_in_excel(client, db, published):
    run_basic_case(db, customer="华东机械")
    login(client, "auditor")
    data = client.get("/audit/export/cases.csv").data
    assert data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "案件编号" and rows[1][4] == "华东机械"


def test_exports_have_english_headers_in_the_english_ui(client, db, published):
    run_basic_case(db)
    login(client, "auditor")
    client.post("/locale/en")
    sheet = load_workbook(io.BytesIO(client.get("/audit/export/cases.xlsx").data)).active
    assert next(sheet.iter_rows(values_only=True))[:3] == ("Case ID", "Process", "Version")


def test_case_history_export_has_every_event(client, db, published):
    iid = run_basic_case(db)
    login(client, "auditor")
    sheet = load_workbook(io.BytesIO(client.get(f"/audit/cases/{iid}/history.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("序号", "时间", "事件", "步骤", "操作人")
    completed = [r for r in rows[1:] if r[2] == "完成"]
    assert [(r[3], r[4]) for r in completed] == [("起草", "业务部员工"), ("评审", "质量管理部员工"),
                                                  ("起草", "业务部员工"), ("评审", "质量管理部员工")]  # people by name
    assert "第一稿" in completed[0][header.index("提交的数据")]
    assert "第一稿 → 第二稿" in completed[2][header.index("变更（前 → 后）")]
    csv_rows = list(csv.reader(io.StringIO(client.get(f"/audit/cases/{iid}/history.csv").data.decode("utf-8-sig"))))
    assert len(csv_rows) == len(rows)


def test_printable_report(client, db, published):
    iid = run_basic_case(db)
    login(client, "auditor")
    page = client.get(f"/audit/cases/{iid}/report").get_data(as_text=True)
    assert "data-print" in page and "@media print" not in page  # print button (page_actions.js); styles in the stylesheet
    assert "第二稿" in page and "C-1" in page and "审计员" in page  # printed by (name)


def test_verify_page_names_the_first_broken_event(client, db, published):
    iid = run_basic_case(db)
    login(client, "auditor")
    assert 'class="verify-ok"' in client.get("/audit/verify").get_data(as_text=True)
    with db.session() as session:
        from sqlalchemy import select
        from app.models import AuditEvent
        victim = session.scalars(select(AuditEvent.id).where(AuditEvent.instance_id == iid)).all()[2]
    tamper(db, "UPDATE audit_events SET actor = 'nobody' WHERE id = :id", id=victim)
    page = client.get("/audit/verify").get_data(as_text=True)
    assert "verify-broken" in page and f"#{victim}" in page


def test_versions_are_readable(client, db, published):
    login(client, "auditor")
    page = client.get("/audit/versions").get_data(as_text=True)
    assert "loop_review" in page
    source = client.get("/audit/versions/1/files/loop_review.bpmn")
    assert source.status_code == 200 and b"loop_review" in source.data
    assert client.get("/audit/versions/1/files/nope.bpmn").status_code == 404
    assert client.get("/audit/versions/999").status_code == 404
