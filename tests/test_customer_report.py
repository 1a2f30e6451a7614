"""The monthly after-sales report (售后服务报告; seed 000 S17, S16, S2 L95; PROCESSES.md §6): cases by process and
problem type, resolution time (median and 90th percentile in working days), SLA met/breached, satisfaction by
aspect, key customers, on-time delivery rate; a chart page and an xlsx download; reviewed and published by the GM
office in a standing monthly process."""
import io

import pytest
from openpyxl import load_workbook

from app import clock
from app.services.cases.standing import start_standing
from app.services.customers import files, report
from tests.customer_helpers import CALL, GOOD_SURVEY, CareDesk, china, publish_care
from tests.web_helpers import login


@pytest.fixture
def care(db):
    clock.set_now(china("2026-03-02", 10))
    publish_care(db)
    yield CareDesk(db)
    clock.set_now(None)


def _close_later(care, day: str) -> int:
    """A complaint received on 2 March and worked (late) on `day`."""
    iid = care.open(customer="普通客户乙", received_on="2026-03-02")
    clock.set_now(china(day, 10))
    care.accept(iid)
    care.investigate(iid)
    care.consolidate(iid, upheld=False, responsibility="customer", remedy_type="none", amount=0)
    care.explain(iid)
    care.close(iid)
    return iid


def _surveyed(care, customer: str, scores: dict) -> int:
    fid = care.followup(customer=customer, service_done_on="2026-03-02")
    care.fire_at(china("2026-03-05", 9))
    care.do("sales", fid, "first_call", CALL)
    care.do("sales", fid, "satisfaction_survey", GOOD_SURVEY | scores)
    return fid


@pytest.fixture
def march(care):
    care.add_customer(name="重点客户甲")
    with care.db.session() as session:
        files.set_key_customer(session, files.find_by_name(session, "重点客户甲"), True, 2026, "vp")
    on_time = care.closed_complaint(customer="重点客户甲")  # same day: 0 working days, every step on time
    clock.set_now(china("2026-03-02", 10))
    late = _close_later(care, "2026-03-12")  # Mon 2 → Thu 12 March: 8 working days, steps overdue
    clock.set_now(china("2026-03-02", 10))
    _surveyed(care, "普通客户乙", {"score_product_quality": 2})
    clock.set_now(china("2026-03-03", 10))
    _surveyed(care, "普通客户丙", {})
    care.followup(customer="普通客户丙", service_type="delivery", delivered_as_required=True)
    care.followup(customer="普通客户丙", service_type="delivery", delivered_as_required=False)
    clock.set_now(china("2026-04-02", 10))
    return on_time, late


def test_monthly_statistics(care, march):
    with care.db.session() as session:
        data = report.monthly(session, "2026-03", "zh")
    by_type = {(r["process"], r["problem_type"]): r["cases"] for r in data["by_type"]}
    assert by_type[("客户投诉处理", "质量异常")] == 2
    assert by_type[("客户跟踪回访", "投诉处理")] == 2 and by_type[("客户跟踪回访", "维修")] == 2
    assert by_type[("客户跟踪回访", "交付验收")] == 2
    [complaints] = [r for r in data["resolution"] if r["process"] == "客户投诉处理"]
    assert complaints["closed"] == 2 and complaints["median"] == 4 and complaints["p90"] == 8
    assert (complaints["met"], complaints["breached"]) == (1, 1)
    aspects = {r["aspect"]: r for r in data["satisfaction"]}
    assert aspects["产品质量"]["average"] == 3.5 and aspects["产品质量"]["low"] == 1
    assert aspects["服务态度"]["responses"] == 2 and data["low_score_cases"] == 1
    [key] = data["key_customers"]
    assert key["customer"] == "重点客户甲" and (key["received"], key["closed"], key["open"]) == (2, 1, 1)
    assert data["delivery"] == {"orders": 2, "on_time": 1, "rate": 50.0}
    assert data["publication"] is None


def test_report_page_with_charts_and_xlsx_download(care, march, app):
    web = login(app.test_client(), "gm_office")
    page = web.get("/customers/reports/after-sales?month=2026-03").get_data(as_text=True)
    for text in ("售后服务月报", "质量异常", "交付准时率", "50.0%", "重点客户甲", 'id="chart-resolution"',
                 "chart.umd.min.js", "customers/report.js"):
        assert text in page
    assert "complaint_handling" not in page
    assert web.get("/customers/reports/after-sales?month=2026-13").status_code == 422
    response = web.get("/customers/reports/after-sales.xlsx?month=2026-03")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["交付准时率", "按要求交付的订单数 ÷ 订单总数", 2, 1, 50] in rows
    assert any(r[0] == "解决时间（工作日）" and r[1] == "客户投诉处理" and r[3] == 4 and r[4] == 8 for r in rows)


def test_gm_office_reviews_and_publishes_the_report_monthly(care, app):
    clock.set_now(china("2026-03-20", 10))
    rid = dict(start_standing(care.db))["after_sales_report"]
    assert care.case(rid).business_key == "2026-03"
    care.fire_at(china("2026-04-01", 0, 0, 1))
    task = care.open_tasks(rid)["gm_review"]
    assert task.group_code == "gm_office"
    clock.set_now(china("2026-04-03", 10))
    care.do("gm_office", rid, "gm_review", {"report_reviewed": True, "review_findings": "交期需改进",
                                            "published_on": "2026-04-03"})
    with care.db.session() as session:
        published = report.publication(session, "2026-03")
    assert published["by"] == "gm_office" and published["findings"] == "交期需改进"
    page = login(app.test_client(), "general_manager").get("/customers/reports/after-sales?month=2026-03")
    assert "总经理室已评审并发布" in page.get_data(as_text=True)
    assert care.case(rid).business_key == "2026-04" and care.case(rid).status == "running"


def test_working_days_and_percentile():
    assert report.working_days(china("2026-03-06", 10), china("2026-03-09", 10)) == 1  # Fri → Mon
    assert report.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert report.percentile([], 90) is None
