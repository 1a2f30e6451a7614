"""Export licence and customs (出口许可证与报关, S1 art. 7) and the reusable export customs steps, worked as
Sales, Production, Quality and the Sales head would, on SQLite and PostgreSQL."""
from datetime import datetime, timedelta

import pytest

from app import clock
from app.services.errors import Forbidden
from tests.process_helpers import PROCESSES, Desk, product_sources, publish, unlabelled_tasks

BPMN = ["export_licence.bpmn", "export_customs.bpmn"]
DMN = ["export_insurance.dmn", "fx_writeoff_switch.dmn"]
T0 = datetime(2026, 4, 1, 2, 0)
EXPORT = {"contract_no": "NC-2026-001", "buyer_name": "Hamburg Tools GmbH", "product_name": "硬质合金刀片",
          "quantity": 5000, "currency": "USD", "total_amount": 120000, "incoterm": "CIF",
          "payment_terms": "OA", "payment_days": 60, "port_of_loading": "上海", "destination_port": "Hamburg",
          "transport_mode": "sea"}


@pytest.fixture
def desk(db):
    clock.set_now(T0)
    publish(db, product_sources(BPMN, DMN, ["export_"]))
    yield Desk(db)
    clock.set_now(None)


def _customs_steps(desk, iid, cargo=True, credit=True, ship_date="2026-04-20"):
    desk.do("quality", iid, "customs_inspection", {"inspection_certificate_no": "CIQ-778",
                                                   "inspection_date": "2026-04-15"})
    desk.do("sales", iid, "customs_declaration", {"customs_declaration_no": "2201-2026-0001",
                                                  "declaration_date": "2026-04-16"})
    _insure(desk, iid, cargo, credit)
    desk.do("sales", iid, "customs_shipment", {"bill_of_lading_no": "COSU-55", "ship_date": ship_date})


def _insure(desk, iid, cargo, credit):
    if cargo:
        desk.do("sales", iid, "customs_cargo_insurance_task", {
            "cargo_policy_no": "PICC-1", "cargo_insurer": "PICC", "cargo_insured_amount": 132000,
            "cargo_insured_currency": "USD"})
    if credit:
        desk.do("sales", iid, "customs_credit_insurance_task", {
            "credit_policy_no": "SINO-9", "credit_insurer": "中国信保", "credit_limit": 0})


def _to_customs(desk, iid, expiry="2026-12-31", etd="2026-04-20"):
    desk.do("sales", iid, "prereview", {"prereview_no": "PR-1", "prereview_result": "passed"})
    desk.do("sales", iid, "chamber_stamp", {"chamber_mailed_date": "2026-04-02", "chamber_returned_date": "2026-04-06"})
    desk.do("sales", iid, "licence_application", {"licence_application_no": "LA-1",
                                                  "licence_application_date": "2026-04-07"})
    desk.do("sales", iid, "licence_collect", {"licence_no": "L-2026-1", "licence_expiry": expiry})
    desk.do("sales", iid, "booking", {"booking_no": "BK-1", "vessel": "COSCO STAR 012E", "etd": etd})
    desk.do("production", iid, "goods_ready", {"goods_ready_date": "2026-04-12", "packages": 40})


@pytest.mark.parametrize("incoterm,payment,cargo,credit", [
    ("CIF", "LC", True, False), ("CIP", "TT", True, False), ("CIF", "OA", True, True),
    ("FOB", "DA", False, True), ("FCA", "DP", False, True), ("FOB", "LC", False, False),
])
def test_export_insurance_rule_cif_cip_cargo_open_account_da_dp_credit(desk, incoterm, payment, cargo, credit):
    """S1 art. 7(7) (L47): cargo insurance and/or export credit insurance before shipment; DMN export_insurance:
    CIF/CIP → cargo insurance, O/A, D/A, D/P → credit insurance (inclusive gateway)."""
    iid = desk.start("export_customs", {"contract_no": "NC-9", "incoterm": incoterm, "payment_terms": payment,
                                        "destination_port": "Rotterdam"})
    assert set(desk.open_tasks(iid)) == {"customs_inspection"}
    with pytest.raises(Forbidden):  # inspection is Quality's work
        desk.do("sales", iid, "customs_inspection", {"inspection_certificate_no": "X", "inspection_date": "2026-04-15"})
    desk.do("quality", iid, "customs_inspection", {"inspection_certificate_no": "CIQ-1", "inspection_date": "2026-04-15"})
    desk.do("sales", iid, "customs_declaration", {"customs_declaration_no": "D-1", "declaration_date": "2026-04-16"})
    expected = {name for name, on in (("customs_cargo_insurance_task", cargo),
                                      ("customs_credit_insurance_task", credit)) if on}
    assert set(desk.open_tasks(iid)) == (expected or {"customs_shipment"})
    _insure(desk, iid, cargo, credit)
    assert set(desk.open_tasks(iid)) == {"customs_shipment"}
    desk.do("sales", iid, "customs_shipment", {"bill_of_lading_no": "BL-1", "ship_date": "2026-04-20"})
    case = desk.case(iid)
    assert case.status == "completed" and case.business_key == "NC-9"
    data = case.case_data
    assert data["insurance_policy_nos"] == [p for p, on in (("PICC-1", cargo), ("SINO-9", credit)) if on]
    assert (data["inspection_certificate_no"], data["customs_declaration_no"], data["bill_of_lading_no"],
            data["ship_date"]) == ("CIQ-1", "D-1", "BL-1", "2026-04-20")


def test_export_case_runs_from_pre_review_to_fx_settlement(desk):
    """S1 art. 7(1)-(8): pre-review (rejected once and resubmitted), chamber stamp, licence, booking in
    parallel, goods ready, inspection and customs, insurance, shipment, collection, FX settlement; the FX
    write-off is off by default (abolished 2012)."""
    iid = desk.start("export_licence", EXPORT)
    case = desk.case(iid)
    assert case.business_key == "NC-2026-001" and case.summary["customer"] == "Hamburg Tools GmbH"
    assert set(desk.open_tasks(iid)) == {"prereview", "booking"}
    desk.do("sales", iid, "prereview", {"prereview_no": "PR-0", "prereview_result": "rejected"})
    assert set(desk.open_tasks(iid)) == {"prereview", "booking"}
    _to_customs(desk, iid)
    assert set(desk.open_tasks(iid)) == {"customs_inspection"}
    _customs_steps(desk, iid, cargo=True, credit=True)
    tasks = desk.open_tasks(iid)
    assert set(tasks) == {"collection"}
    data = desk.case(iid).case_data
    assert data["payment_due_date"] == "2026-06-19"  # ship date 2026-04-20 + 60 days
    assert data["insurance_policy_nos"] == ["PICC-1", "SINO-9"]
    desk.do("sales", iid, "collection", {"received_amount": 120000, "received_date": "2026-06-18"})
    desk.do("sales", iid, "fx_settlement", {"fx_settlement_ref": "FX-1", "fx_settlement_date": "2026-06-19",
                                            "fx_settled_amount": 120000})
    case = desk.case(iid)
    assert case.status == "completed" and case.case_data["fx_writeoff_required"] is False
    assert case.case_data["licence_no"] == "L-2026-1" and case.case_data["booking_no"] == "BK-1"


def test_expired_licence_loops_back_to_renewal_until_valid_on_etd(desk):
    """PROCESSES 2.7 (S1 art. 7 step order): the licence must be valid on the ETD; an expired licence loops
    back to renewal and is checked again."""
    iid = desk.start("export_licence", EXPORT)
    _to_customs(desk, iid, expiry="2026-04-19", etd="2026-04-20")
    assert set(desk.open_tasks(iid)) == {"licence_renewal"}
    desk.do("sales", iid, "licence_renewal", {"licence_no": "L-2026-1", "licence_expiry": "2026-04-30",
                                              "etd": "2026-05-02"})  # vessel delayed: still expired on ETD
    assert set(desk.open_tasks(iid)) == {"licence_renewal"}
    desk.do("sales", iid, "licence_renewal", {"licence_no": "L-2026-2", "licence_expiry": "2026-05-02",
                                              "etd": "2026-05-02"})  # valid on the day itself
    assert set(desk.open_tasks(iid)) == {"customs_inspection"}
    assert desk.case(iid).case_data["licence_no"] == "L-2026-2"


def test_overdue_receivable_reported_to_sales_head_weekly_until_paid(desk):
    """S1 art. 7(6) (L49): 逾期未收款项应立即向部门领导汇报 — a timer at the due date creates a head-only task
    for the Sales head and repeats weekly while unpaid."""
    iid = desk.start("export_licence", EXPORT)
    _to_customs(desk, iid)
    _customs_steps(desk, iid, cargo=True, credit=True, ship_date="2026-04-20")
    due = datetime(2026, 6, 19, 15, 59, 59)  # 60 calendar days after shipping: the end of 19 June, China time
    assert desk.fire_at(due - timedelta(minutes=1)) == 0
    assert set(desk.open_tasks(iid)) == {"collection"}
    assert desk.fire_at(due + timedelta(minutes=1)) == 1
    reports = [t for t in desk.open_rows(iid) if t.task_name == "overdue_report"]
    assert len(reports) == 1 and reports[0].head_only and reports[0].group_code == "sales"
    with pytest.raises(Forbidden):  # a member of Sales is not its head
        desk.do("sales", iid, "overdue_report", {"overdue_action": "催款"})
    desk.do("sales_head", iid, "overdue_report", {"overdue_action": "电话催款并暂停赊销", "credit_hold": True})
    assert desk.fire_at(due + timedelta(days=3)) == 0
    assert desk.fire_at(due + timedelta(days=7, minutes=2)) == 1  # one week later, still unpaid
    assert [t.task_name for t in desk.open_rows(iid)].count("overdue_report") == 1
    desk.do("sales", iid, "collection", {"received_amount": 120000, "received_date": "2026-06-27"})
    assert desk.fire_at(due + timedelta(days=15)) == 0  # paid: no more reports
    assert "collection" not in desk.open_tasks(iid) and "fx_settlement" in desk.open_tasks(iid)


def test_fx_writeoff_step_is_switched_by_the_dmn_setting(desk, db):
    """S1 art. 7(8) (L51): 结汇后应尽快进行外汇核销 — abolished in 2012, so a process owner switches the step
    on or off in DMN fx_writeoff_switch; switching it on publishes a new version that asks for the write-off."""
    sources = product_sources(BPMN, DMN, ["export_"])
    name = "fx_writeoff_switch.dmn"
    sources.dmn[name] = (PROCESSES / name).read_bytes().replace(b"<text>False</text>", b"<text>True</text>")
    [licence] = [r for r in publish(db, sources) if r["process_id"] == "export_licence"]
    assert licence["version"] == 2 and licence["created"]
    iid = desk.start("export_licence", EXPORT)
    _to_customs(desk, iid)
    _customs_steps(desk, iid, cargo=True, credit=True)
    desk.do("sales", iid, "collection", {"received_amount": 120000, "received_date": "2026-06-18"})
    desk.do("sales", iid, "fx_settlement", {"fx_settlement_ref": "FX-1", "fx_settlement_date": "2026-06-19",
                                            "fx_settled_amount": 120000})
    assert set(desk.open_tasks(iid)) == {"fx_writeoff"}
    desk.do("sales", iid, "fx_writeoff", {"fx_writeoff_ref": "HX-1", "fx_writeoff_date": "2026-06-25"})
    assert desk.case(iid).status == "completed"


def test_every_export_task_has_an_english_label(desk, db):
    """Every user-facing label exists in Chinese and English (PROCESSES 0): the export case's own tasks and
    those of the export customs steps it calls."""
    assert unlabelled_tasks(db, "export_licence") == [] and unlabelled_tasks(db, "export_customs") == []
