"""A complaint that misses its customer commitment (S1 art. 10(3)(4)) keeps the breach on the case: auditors find
it with the commitment filter, see the time in the case list and its exports, and count it on the SLA dashboard -
also after later edits of the case data."""
import csv
import io
from datetime import datetime, timedelta

from sqlalchemy import select

from app.models import ProcessInstance
from app.services.audit import case_search, exports, reports
from tests.audit_helpers import login
from tests.complaint_helpers import desk  # noqa: F401 (fixture)

DUE = datetime(2025, 10, 8, 15, 59, 59)  # a domestic complaint received on 28 September (China date)


def _breached_and_kept(desk):
    late = desk.open(origin="domestic", received_on="2025-09-28")
    kept = desk.open(origin="overseas", received_on="2025-09-28")  # 15 days: not due yet
    assert desk.fire_at(DUE + timedelta(minutes=1)) == 1
    return late, kept


def test_a_breached_commitment_is_kept_on_the_case_and_found_by_auditors(desk):
    late, kept = _breached_and_kept(desk)
    assert desk.case(late).deadline_breached_at == DUE + timedelta(minutes=1)
    assert desk.case(kept).deadline_breached_at is None
    desk.do("vp", late, "vp_escalation", {"vp_followup": "今日内给客户答复"})
    desk.accept(late)  # later steps do not clear it
    assert desk.case(late).deadline_breached_at == DUE + timedelta(minutes=1)
    with desk.db.session() as session:
        found = case_search.search(session, case_search.parse_filters({"commitment": "breached"}))
        assert [r["id"] for r in found] == [late]
        assert found[0]["commitment_breached_at"] == DUE + timedelta(minutes=1)
        assert {r["id"] for r in case_search.search(session, {"commitment": "kept"})} >= {kept}
        assert late not in {r["id"] for r in case_search.search(session, {"commitment": "kept"})}
        assert late in {r["id"] for r in case_search.search(session, {"sla": "breached"})}
        figures = reports.dashboard(session)["commitment_breaches"]
        assert figures == [{"month": "2025-10", "process_id": "complaint_handling", "breached": 1}]
        # the lasting record, not the audit trail, answers: it survives the case data being rewritten
        session.get(ProcessInstance, late).case_data = {}
        session.commit()
        assert [r["id"] for r in case_search.search(session, {"commitment": "breached"})] == [late]


def test_the_case_list_export_and_pages_show_the_breach(desk, client):
    late, kept = _breached_and_kept(desk)
    login(client, "auditor")
    page = client.get("/audit/", query_string={"commitment": "breached"}).get_data(as_text=True)
    assert f'href="/audit/cases/{late}"' in page and f'href="/audit/cases/{kept}"' not in page
    assert "承诺时限超期时间" in page and "2025/10/09 00:00" in page  # China time of the breach
    response = client.get("/audit/export/cases.csv", query_string={"commitment": "breached"})
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][-1] == "承诺时限超期时间" and len(rows) == 2
    assert rows[1][0] == str(late) and rows[1][-1].startswith("2025-10-09 00:00")
    case_page = client.get(f"/audit/cases/{late}").get_data(as_text=True)
    assert 'id="commitment-breached"' in case_page and "2025/10/09 00:00" in case_page
    assert 'id="commitment-breached"' not in client.get(f"/audit/cases/{kept}").get_data(as_text=True)
    dashboard = client.get("/audit/dashboard").get_data(as_text=True)
    assert 'id="commitment-breaches"' in dashboard and "2025-10" in dashboard
    bad = client.get("/audit/", query_string={"commitment": "late"})
    assert "请选择“未超期”或“已超期”。" in bad.get_data(as_text=True)


def test_export_columns_name_the_commitment(desk):
    late, _kept = _breached_and_kept(desk)
    with desk.db.session() as session:
        rows = exports.case_rows(case_search.search(session, {"commitment": "breached"}))
    assert rows[0]["commitment_breached_at"] == DUE + timedelta(minutes=1)
    assert ("commitment_breached_at", "Commitment breached at") in exports.case_columns()


def test_upgrading_keeps_breaches_recorded_before_the_column_existed(tmp_path):
    """Complaints that breached before this release carry the time only in their case data; the database
    upgrade copies it onto the case so auditors find them too (SQLite: the copy is plain SQL on any backend)."""
    from sqlalchemy import create_engine, text
    from app.migrate import upgrade
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "time_0001_company_calendar")
    engine = create_engine(url)
    with engine.begin() as conn:
        for iid, data in ((1, '{"commitment_breached_at": "2025-10-08T16:00:59+00:00"}'), (2, '{}')):
            conn.execute(text("insert into process_instances (id, process_id, version_id, status, summary, "
                              "started_at, lock_version, state, case_data) values (:id, 'complaint_handling', 1, "
                              "'running', '{}', '2025-09-28 01:00:00', 1, '{}', :data)"), {"id": iid, "data": data})
    upgrade(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("select id, deadline_breached_at from process_instances order by id")).all())
    engine.dispose()
    assert str(rows[1]).startswith("2025-10-08 16:00:59") and rows[2] is None
