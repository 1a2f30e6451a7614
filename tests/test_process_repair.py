"""Overseas repair dispatch (海外维修派工) worked end to end by the departments, on SQLite and PostgreSQL:
every gateway branch, every timer on a controlled clock, the repair loop and the export of repaired units."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import ProcessInstance
from app.services.cases import escalations
from app.services.errors import Forbidden, ValidationFailed
from repair_helpers import T0, publish_repair

H = timedelta(hours=1)
D = timedelta(days=1)
S = timedelta(seconds=1)  # a timer fires once its moment has passed


@pytest.fixture
def desk(db):
    clock.set_now(T0)
    yield publish_repair(db)
    clock.set_now(None)


def _escalated_to(desk, username):
    with desk.db.session() as session:
        return [(e["reason"], e["element_id"]) for e in escalations.for_user(session, desk.user(username))]


def _to_mode(desk, iid, **responsibility):
    desk.steps(iid, "first_reply", "triage")
    desk.step(iid, "assess_responsibility", **responsibility)


def _close_out(desk, iid, *recovery):
    desk.steps(iid, "corrective_actions", *(["accident_report"] if desk.data(iid)["responsibility"] == "company"
                                            else []), "collect_costs", "finance_audit_costs", *recovery,
               "satisfaction_survey")
    assert desk.case(iid).status == "completed"


def test_remote_guidance_fixes_it_and_closes_the_case(desk):
    """PROCESSES 4 and 4.2 (T4 L75, T17 L335): numbered repair case (serial per month); remote guidance
    first; the customer confirms, the case closes."""
    iid = desk.open_repair()
    assert desk.case(iid).business_key == "WX-2026-03-0001"
    assert desk.case(desk.open_repair()).business_key == "WX-2026-03-0002"
    desk.step(iid, "first_reply")
    desk.step(iid, "triage", remote_fixable=True)
    desk.steps(iid, "remote_guidance", "customer_confirms_remote")
    case = desk.case(iid)
    assert case.status == "completed" and case.ended_at is not None
    assert desk.open_names(iid) == set()


def test_remote_guidance_that_fails_goes_on_to_responsibility(desk):
    """PROCESSES 4.2–4.3: an unresolved remote fix continues with the responsibility decision (WI 5.3)."""
    iid = desk.open_repair()
    desk.step(iid, "first_reply")
    desk.step(iid, "triage", remote_fixable=True)
    desk.step(iid, "remote_guidance")
    desk.step(iid, "customer_confirms_remote", remote_resolved=False)
    assert desk.open_names(iid) == {"assess_responsibility"}


def test_first_reply_timer_escalates_to_the_sales_head(desk):
    """PROCESSES 4.1 (T4 L81, T5 L102, T13 L243): no first reply within 24 hours → the Sales head follows up."""
    iid = desk.open_repair()
    assert desk.at(24 * H - timedelta(minutes=1)) == 0
    assert desk.at(24 * H + S) == 1
    tasks = desk.open_tasks(iid)
    assert set(tasks) == {"first_reply", "escalate_first_reply"}
    escalation = tasks["escalate_first_reply"]
    assert escalation.group_code == "sales" and escalation.head_only
    assert _escalated_to(desk, "sales_head") == [("timer", "timer_first_reply")]
    assert _escalated_to(desk, "sales") == []
    with pytest.raises(Forbidden):
        desk.step(iid, "escalate_first_reply", username="sales")
    desk.step(iid, "escalate_first_reply", username="sales_head")
    desk.step(iid, "first_reply")
    assert desk.open_names(iid) == {"triage"}


def test_first_reply_in_time_cancels_the_escalation(desk):
    """PROCESSES 4.1 (T4 L81): a reply within 24 hours leaves the Sales head out of it."""
    iid = desk.open_repair()
    clock.set_now(T0 + 23 * H)
    desk.step(iid, "first_reply")
    assert desk.at(30 * D) == 0
    assert desk.open_names(iid) == {"triage"}


def test_team_abroad_customer_pays_with_late_purchases_and_missed_arrival(desk):
    """WI 5.3, 5.5, 5.7, 5.8: overseas team, customer at fault (fee reviewed by Finance, returned once), short
    standby pool, invitation and visas, purchases late (Sales and Production chase), missed arrival escalated
    to the Sales head, daily reports until the end, rework after the customer's check, cost recovery."""
    iid = desk.open_repair(contract_arrival_days=20)
    _to_mode(desk, iid, responsibility="customer", warranty_status="out_of_warranty")
    desk.step(iid, "agree_fee")
    desk.step(iid, "finance_review_fee", fee_approved=False, fee_review_comment="结算方式改为预付")
    desk.step(iid, "agree_fee", settlement_method="prepayment")
    desk.step(iid, "finance_review_fee")
    desk.steps(iid, "choose_repair_mode", "request_sample", "analyse_cause")
    desk.step(iid, "write_repair_plan", standby_production=5, standby_rd=2)
    data = desk.data(iid)
    assert data["standby_pool_short"] is True
    assert data["standby_pool_shortfall"] == {"production": 1, "quality": 0, "tech_rd": 1}
    assert {"replenish_pool", "obtain_invitation", "prepare_lists"} <= desk.open_names(iid)
    assert desk.open_tasks(iid)["replenish_pool"].group_code == "admin_hr"
    desk.steps(iid, "replenish_pool", "obtain_invitation", "arrange_visas")
    desk.step(iid, "prepare_lists", purchase_needed=True, transport_mode="hand_carry")
    desk.steps(iid, "issue_materials", "pmc_arrival_dates")
    # expected 10 March: late at 18:00 China time that day
    assert desk.at(8 * D + 8 * H) == 0
    assert desk.at(8 * D + 9 * H + S) == 1
    chases = desk.open_tasks(iid)
    assert chases["chase_sales"].group_code == "sales" and chases["chase_production"].group_code == "production"
    desk.steps(iid, "chase_sales", "chase_production", "confirm_material_arrival", "check_boarding_customs",
               "agree_departure", "book_travel")
    # 20 days promised in the contract
    # (calendar days: to the end of the 20th day, China time; T0 is 09:00 China time)
    assert desk.at(20 * D + 14 * H) == 0
    assert desk.at(20 * D + 15 * H + S) == 1
    assert desk.open_tasks(iid)["escalate_arrival"].head_only
    assert ("timer", "timer_arrival_due") in _escalated_to(desk, "sales_head")
    desk.step(iid, "escalate_arrival")
    desk.steps(iid, "confirm_arrival", "daily_report")
    assert desk.open_names(iid) == {"daily_report"}
    desk.step(iid, "daily_report", repair_finished=True)
    desk.step(iid, "customer_sign_confirmation", customer_accepted=False)
    assert desk.open_names(iid) == {"daily_report"}
    desk.step(iid, "daily_report", repair_finished=True)
    desk.step(iid, "customer_sign_confirmation")
    desk.step(iid, "corrective_actions")
    with pytest.raises(ValidationFailed) as refused:
        desk.step(iid, "collect_costs", cost_travel=-1)
    assert "cost_travel" in refused.value.field_errors
    desk.step(iid, "collect_costs")
    assert desk.data(iid)["total_cost"] == 28700.5
    desk.steps(iid, "finance_audit_costs", "recover_costs", "satisfaction_survey")
    assert desk.case(iid).status == "completed"


def test_domestic_team_arriving_in_time_is_not_escalated(desk):
    """PROCESSES 4.7 (DMN repair_arrival_sla, 120 km → 48 h) and WI 5.6: a domestic team, materials bought on
    site and shipped, no visa; the arrival in time cancels the deadline; company at fault → accident report
    and internal accountability (WI 5.7–5.8)."""
    iid = desk.open_repair(region="domestic", distance_km=120)
    _to_mode(desk, iid, responsibility="company")
    desk.steps(iid, "choose_repair_mode", "request_sample")
    desk.step(iid, "analyse_cause", material_source="buy_on_site")
    desk.step(iid, "write_repair_plan")
    assert desk.data(iid)["standby_pool_short"] is False
    assert desk.open_names(iid) == {"prepare_lists"}
    desk.steps(iid, "prepare_lists", "ship_materials", "agree_departure", "book_travel")
    clock.set_now(T0 + 47 * H)
    desk.step(iid, "confirm_arrival")
    assert desk.at(60 * D) == 0
    assert "escalate_arrival" not in desk.open_names(iid)
    desk.step(iid, "daily_report", repair_finished=True)
    desk.step(iid, "customer_sign_confirmation")
    _close_out(desk, iid, "internal_accountability")


def test_customer_supplied_materials_with_purchases_in_time(desk):
    """WI 5.5 (L450, L456–L458): the customer supplies materials (Sales tracks them); purchases that arrive in
    time create no chase tasks."""
    iid = desk.open_repair()
    _to_mode(desk, iid)
    desk.steps(iid, "choose_repair_mode")
    desk.step(iid, "request_sample", invitation_needed=False)
    desk.step(iid, "analyse_cause", material_source="customer_supplies")
    desk.step(iid, "write_repair_plan")
    desk.step(iid, "prepare_lists", purchase_needed=True)
    assert desk.open_tasks(iid)["track_customer_materials"].group_code == "sales"
    desk.steps(iid, "arrange_visas", "track_customer_materials", "pmc_arrival_dates", "confirm_material_arrival")
    assert desk.at(30 * D) == 1  # only the arrival deadline (7 days by default) remains
    assert {"chase_sales", "chase_production"}.isdisjoint(desk.open_names(iid))
    assert "escalate_arrival" in desk.open_names(iid)


def test_back_to_factory_overseas_test_fails_then_ships_through_export_customs(desk):
    """WI 5.4 (L432–L443), BC 2.5–2.7: FORM-MA-076, warehouse receipt, Quality pre-inspection, PMC scheduling,
    FORM-MA-077, burn-in, Quality's full-function test fails and the units go back to repair; the promised date
    passes (Sales renegotiates); the repaired units ship back through the export customs steps."""
    iid = desk.open_repair()
    _to_mode(desk, iid, responsibility="company")
    desk.step(iid, "choose_repair_mode", repair_mode="return_to_factory")
    desk.steps(iid, "return_request", "warehouse_receipt")
    desk.step(iid, "repair_intake_check", preinspection_needed=True, line_inspection_needed=True)
    assert desk.open_tasks(iid)["quality_preinspection"].group_code == "quality"
    desk.steps(iid, "quality_preinspection", "pmc_schedule", "repair_units", "burn_in")
    desk.step(iid, "full_function_test", function_test_passed=False, failed_quantity=1, test_report="一台噪音超标")
    assert desk.open_names(iid) == {"repair_units"}
    # promised 31 March
    assert desk.at(29 * D + 8 * H) == 0
    assert desk.at(29 * D + 9 * H + S) == 1
    assert desk.open_names(iid) == {"repair_units", "renegotiate_date"}
    desk.steps(iid, "renegotiate_date", "repair_units", "burn_in", "full_function_test", "sales_order_done")
    desk.step(iid, "prepare_export", incoterm="CIF", payment_terms="OA")
    customs = desk.open_tasks(iid)["customs_inspection"]
    assert customs.process_id == "overseas_repair" and customs.group_code == "quality"
    desk.steps(iid, "customs_inspection", "customs_declaration")
    assert {"customs_cargo_insurance_task", "customs_credit_insurance_task"} <= desk.open_names(iid)
    desk.steps(iid, "customs_cargo_insurance_task", "customs_credit_insurance_task", "customs_shipment")
    data = desk.data(iid)
    assert data["customs_declaration_no"] == "BG-4401" and data["bill_of_lading_no"] == "COSU-123"
    assert data["ship_date"] == "2026-03-20" and data["insurance_policy_nos"] == ["PICC-1", "SINO-2"]
    assert data["inspection_certificate_no"] == "CIQ-88"
    assert desk.open_names(iid) == {"corrective_actions"}
    desk.step(iid, "corrective_actions")
    desk.step(iid, "accident_report")
    desk.step(iid, "collect_costs")
    desk.step(iid, "finance_audit_costs", costs_approved=False, approved_total=0, audit_comment="差旅票据不全")
    assert desk.open_names(iid) == {"collect_costs"}
    desk.steps(iid, "collect_costs", "finance_audit_costs", "internal_accountability", "satisfaction_survey")
    assert desk.case(iid).status == "completed"


def test_back_to_factory_domestic_free_service_needs_the_general_manager(desk):
    """WI 5.4.1 (L433): free service although the customer is at fault needs the general manager; a refusal
    goes back to the fee negotiation; nothing is recovered from the customer afterwards (WI 5.8)."""
    iid = desk.open_repair(region="domestic", distance_km=800)
    _to_mode(desk, iid, responsibility="customer", warranty_status="out_of_warranty")
    desk.step(iid, "agree_fee", free_of_charge=True, repair_fee=0)
    assert desk.open_names(iid) == {"gm_confirm_free"}
    desk.step(iid, "gm_confirm_free", free_service_confirmed=False, gm_comment="先争取收费")
    desk.step(iid, "agree_fee", free_of_charge=True, repair_fee=0)
    desk.step(iid, "gm_confirm_free", username="general_manager")
    desk.step(iid, "choose_repair_mode", repair_mode="return_to_factory")
    desk.steps(iid, "return_request", "warehouse_receipt", "repair_intake_check", "repair_units", "burn_in",
               "full_function_test", "sales_order_done")
    assert desk.open_names(iid) == {"ship_back_domestic"}
    desk.step(iid, "ship_back_domestic")
    desk.steps(iid, "corrective_actions", "collect_costs", "finance_audit_costs")
    assert desk.open_names(iid) == {"satisfaction_survey"}
    desk.step(iid, "satisfaction_survey")
    assert desk.case(iid).status == "completed"


def test_local_repairer_then_customer_pays(desk):
    """WI 5.3 (L426): a qualified local repairer; customer at fault → Sales recovers the audited total (WI 5.8)."""
    iid = desk.open_repair()
    _to_mode(desk, iid, responsibility="customer")
    desk.steps(iid, "agree_fee", "finance_review_fee")
    desk.step(iid, "choose_repair_mode", repair_mode="local_repairer")
    desk.step(iid, "engage_local_repairer")
    _close_out(desk, iid, "recover_costs")


def _refused(desk, iid, element_id, username):
    """The step is refused for username; the task stays in the queue untouched."""
    with pytest.raises(Forbidden):
        desk.step(iid, element_id, username=username)
    assert desk.open_tasks(iid)[element_id].state == "ready"


def test_segregation_of_duties_on_fees_and_costs(desk):
    """WI 5.3 (L429), WI 5.4.1 (L433), WI 5.8 (L467); PROCESSES 5: whoever agreed the fee or collected the costs
    may not approve them, even when also a member of Finance or the general manager's group."""
    desk.add_user("li_sales_fin", groups=["sales", "finance", "general_manager"])
    iid = desk.open_repair()
    _to_mode(desk, iid, responsibility="customer")
    desk.step(iid, "agree_fee", username="li_sales_fin")
    assert desk.data(iid)["fee_agreed_by"] == "li_sales_fin"
    _refused(desk, iid, "finance_review_fee", "li_sales_fin")
    desk.step(iid, "finance_review_fee", fee_approved=False)
    desk.step(iid, "agree_fee", username="li_sales_fin", free_of_charge=True)
    _refused(desk, iid, "gm_confirm_free", "li_sales_fin")
    desk.step(iid, "gm_confirm_free")
    desk.step(iid, "choose_repair_mode", repair_mode="local_repairer")
    desk.steps(iid, "engage_local_repairer", "corrective_actions")
    desk.step(iid, "collect_costs", username="li_sales_fin")
    _refused(desk, iid, "finance_audit_costs", "li_sales_fin")
    desk.step(iid, "finance_audit_costs", username="finance")
    assert desk.open_names(iid) == {"satisfaction_survey"}


def test_intake_refuses_incomplete_or_malformed_data(desk, db):
    """BC 2.1–2.2: mandatory intake fields, quantity as a whole number, service type A–D, dates as dates, a
    distance for domestic cases; a refused intake starts nothing."""
    with pytest.raises(ValidationFailed) as refused:
        desk.open_repair(quantity=1.5, service_type="E", purchase_date="2025-13-01", customer_name="")
    assert {"quantity", "service_type", "purchase_date", "customer_name"} <= set(refused.value.field_errors)
    with pytest.raises(ValidationFailed) as refused:
        desk.open_repair(region="domestic")
    assert "distance_km" in refused.value.field_errors
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
