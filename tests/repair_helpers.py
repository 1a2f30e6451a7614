"""Working overseas-repair cases: what each department enters in each form unless a scenario says otherwise."""
from datetime import datetime, timedelta

from process_helpers import Desk, product_sources, publish

# Monday 2 March 2026, 09:00 China time (stored as naive UTC)
T0 = datetime(2026, 3, 2, 1, 0)

REPAIR_SOURCES = dict(bpmn=["overseas_repair.bpmn", "export_customs.bpmn", "customer_followup.bpmn",
                            "complaint_handling.bpmn"],
                      dmn=["repair_arrival_sla.dmn", "repair_batch_review.dmn", "export_insurance.dmn",
                           "customer_priority.dmn",
                           "satisfaction_action.dmn", "complaint_authority.dmn", "complaint_routing.dmn",
                           "complaint_special.dmn"],
                      form_prefixes=["repair_", "export_", "customer_", "complaint_"])

INTAKE = {
    "customer_name": "Hanse Werkzeuge GmbH", "country": "德国 / Germany",
    "address": "Hafenstraße 1, Hamburg", "contact": "K. Meyer +49 40 123", "product": "硬质合金刀具磨床",
    "model_spec": "GM-300 / 380V", "serial_no": "SN-77801", "purchase_date": "2025-05-10",
    "purchase_place": "Hamburg", "fault_description": "主轴异响 / spindle noise", "quantity": 2,
    "service_type": "A", "region": "overseas",
}

# WI 5.2: the salesperson's group - the travelling staff and the heads of Quality, Production, Admin & HR, R&D
COORDINATION_GROUP = [
    {"person": "sales", "department": "sales", "role": "group_owner"},
    {"person": "李工", "department": "production", "role": "team_leader"},
    {"person": "quality_head", "department": "quality", "role": "centre_head"},
    {"person": "production_head", "department": "production", "role": "centre_head"},
    {"person": "admin_hr_head", "department": "admin_hr", "role": "centre_head"},
    {"person": "tech_rd_head", "department": "tech_rd", "role": "centre_head"},
]

DEFAULTS = {
    "first_reply": {"reply_date": "2026-03-02", "reply_channel": "email", "reply_summary": "已收到，48小时内给出方案"},
    "escalate_first_reply": {"escalation_action": "部长亲自致电客户", "customer_informed": True},
    "escalate_arrival": {"escalation_action": "与客户协商新的到达时间", "customer_informed": True},
    "triage": {"remote_fixable": False, "triage_analysis": "需现场检测主轴"},
    "remote_guidance": {"guidance_date": "2026-03-03", "guidance_record": "视频指导更换皮带"},
    "customer_confirms_remote": {"remote_resolved": True},
    "assess_responsibility": {"responsibility": "company", "warranty_status": "in_warranty",
                              "responsibility_basis": "保修期内正常使用"},
    "agree_fee": {"free_of_charge": False, "fee_standard": "按工时计费", "repair_fee": 8000, "currency": "CNY",
                  "settlement_method": "prepayment", "post_repair_liability": "维修部位保修三个月",
                  "agreement_no": "WXXY-01", "fee_basis": "超出保修期，附维修报价"},
    "finance_review_fee": {"fee_approved": True},
    "gm_confirm_free": {"free_service_confirmed": True},
    "choose_repair_mode": {"repair_mode": "on_site", "repair_quantity": 2, "customer_requirements": "两周内修复",
                           "assessment_participants": "品质 王工, 生产 李工, 研发 赵工", "mode_reason": "数量少、需现场调试",
                           "coordination_channel": "wechat", "coordination_group": COORDINATION_GROUP},
    "engage_local_repairer": {"local_repairer_name": "Nord Service GmbH", "local_repairer_qualification": "ISO 9001",
                              "local_agreement_no": "LR-9", "local_repair_completed_date": "2026-03-20",
                              "local_repair_result": "已修复"},
    "request_sample": {"sample_tracking_no": "DHL-1", "sample_received_date": "2026-03-05", "invitation_needed": True},
    "analyse_cause": {"cause_analysis": "轴承磨损", "materials_needed": "轴承 2 套", "material_source": "company_carries",
                      "analysis_participants": "生产、品质、研发"},
    "write_repair_plan": {"repair_plan": "更换主轴轴承并校准", "team_leader": "李工",
                          "team_members": [{"name": "李工", "department": "production", "passport_valid": True},
                                           {"name": "王工", "department": "quality", "passport_valid": True}],
                          "standby_production": 6, "standby_quality": 3, "standby_rd": 3},
    "replenish_pool": {"pool_action": "安排两名生产人员办理护照"},
    "obtain_invitation": {"invitation_letter_ref": "INV-7", "invitation_received_date": "2026-03-06"},
    "arrange_visas": {"visa_refs": "申根签证 2 人", "visa_valid_until": "2026-09-30"},
    "prepare_lists": {"materials": [{"name": "轴承", "quantity": 2, "supplied_by": "company_carries"}],
                      "tools": [{"name": "动平衡仪", "quantity": 1, "supplied_by": "company"}],
                      "purchase_needed": False, "transport_mode": "ship"},
    "issue_materials": {"issue_note_no": "FL-1", "issued_date": "2026-03-09"},
    "track_customer_materials": {"customer_ready_by": "2026-03-12", "customer_materials_ready": True},
    "pmc_arrival_dates": {"purchase_request_no": "PR-5", "expected_arrival_date": "2026-03-10"},
    "confirm_material_arrival": {"arrived_date": "2026-03-10"},
    "chase_sales": {"chase_note": "已催供应商"},
    "chase_production": {"chase_note": "已催采购", "new_expected_date": "2026-03-13"},
    "check_boarding_customs": {"boarding_customs_ok": True},
    "ship_materials": {"shipping_waybill_no": "SF-1", "tools_included": True, "ship_address_confirmed": True},
    "agree_departure": {"departure_date": "2026-03-14"},
    "book_travel": {"flight_details": "CA931 PEK-HAM", "accommodation": "Hotel Hafen"},
    "confirm_arrival": {"arrival_date": "2026-03-15", "site_contact": "K. Meyer"},
    "daily_report": {"report_date": "2026-03-16", "report_plan": "拆检主轴", "report_progress": "完成拆检",
                     "report_data": "振动 4.2 mm/s", "repair_finished": False},
    "customer_sign_confirmation": {"confirmation_no": "QR-1", "confirmation_date": "2026-03-18",
                                   "customer_accepted": True},
    "return_request": {"defect_description": "主轴异响", "return_quantity": 2, "promised_completion_date": "2026-03-31"},
    "warehouse_receipt": {"receipt_no": "RK-1", "received_quantity": 2, "received_date": "2026-03-09"},
    "repair_intake_check": {"preinspection_needed": False, "line_inspection_needed": False},
    "quality_preinspection": {"preinspection_verdict": "确认轴承不良"},
    "pmc_schedule": {"scheduled_date": "2026-03-11", "production_line": "二号线"},
    "batch_review_meeting": {"review_date": "2026-03-10", "review_departments": ["production", "quality", "tech_rd"],
                             "review_attendees": [
                                 {"person": "production_head", "department": "production", "role": "chair"},
                                 {"person": "quality_head", "department": "quality", "role": "member"},
                                 {"person": "tech_rd_head", "department": "tech_rd", "role": "member"}],
                             "review_minutes": "同批次故障相同，更换轴承后逐台老化", "batch_tests_required": True,
                             "test_department": "quality", "review_conclusion": "老化 24 小时后由品质全功能测试"},
    "repair_units": {"repair_record_no": "MA077-1", "repaired_quantity": 2, "repair_findings": "更换轴承"},
    "renegotiate_date": {"new_promised_date": "2026-04-10", "renegotiation_note": "客户同意延期"},
    "burn_in": {"quality_notified_date": "2026-03-12", "burn_in_hours": 24, "burn_in_result": "正常"},
    "full_function_test": {"inspection_submission_no": "SJ-1", "function_test_passed": True, "failed_quantity": 0,
                           "test_report": "全功能正常"},
    "sales_order_done": {"order_done_date": "2026-03-13", "customer_informed": True},
    "prepare_export": {"contract_no": "EX-2026-15", "incoterm": "FOB", "payment_terms": "LC",
                       "destination_port": "Hamburg"},
    "ship_back_domestic": {"waybill_no": "SF-9", "ship_date": "2026-03-14"},
    "corrective_actions": {"corrective_actions": "改进轴承来料检验", "responsible_department": "质量管理部",
                           "action_due_date": "2026-04-30"},
    "accident_report": {"accident_report_no": "SG-1", "accident_findings": "来料不良，供应商考核"},
    "collect_costs": {"cost_purchases": 1200.5, "cost_travel": 18000, "cost_lost_time": 3000,
                      "cost_meals_lodging": 6000, "cost_tool_depreciation": 500, "cost_service_fee": 0},
    "finance_audit_costs": {"costs_approved": True, "approved_total": 28700.5},
    "recover_costs": {"invoice_no": "FP-1", "recovered_amount": 28700.5, "recovered_date": "2026-04-20"},
    "internal_accountability": {"accountable_department": "生产计划物控部", "accountability_measures": "供应商扣款"},
    "satisfaction_survey": {"satisfaction_score": 5},
    # the export customs steps (reused process)
    "customs_inspection": {"inspection_certificate_no": "CIQ-88", "inspection_date": "2026-03-16"},
    "customs_declaration": {"customs_declaration_no": "BG-4401", "declaration_date": "2026-03-17"},
    "customs_cargo_insurance_task": {"cargo_policy_no": "PICC-1", "cargo_insurer": "PICC",
                                     "cargo_insured_amount": 50000, "cargo_insured_currency": "CNY"},
    "customs_credit_insurance_task": {"credit_policy_no": "SINO-2", "credit_insurer": "中国信保", "credit_limit": 50000},
    "customs_shipment": {"bill_of_lading_no": "COSU-123", "ship_date": "2026-03-20"},
}


class RepairDesk(Desk):
    """The departments working repair cases; each task is done by a member (or head) of its lane's group."""

    def open_repair(self, actor: str = "sales", **intake) -> int:
        return self.start("overseas_repair", {**INTAKE, **intake}, actor=actor)

    def step(self, instance_id: int, element_id: str, username: str | None = None, **data):
        task = self.open_tasks(instance_id).get(element_id)
        assert task is not None, f"{element_id} is not open; open: {sorted(self.open_tasks(instance_id))}"
        username = username or (task.group_code + ("_head" if task.head_only else ""))
        return self.do(username, instance_id, element_id, {**DEFAULTS.get(element_id, {}), **data})

    def steps(self, instance_id: int, *element_ids: str):
        for element_id in element_ids:
            self.step(instance_id, element_id)

    def open_names(self, instance_id: int) -> set[str]:
        return set(self.open_tasks(instance_id))

    def data(self, instance_id: int) -> dict:
        return self.case(instance_id).case_data

    def at(self, delta: timedelta) -> int:
        """Fire the timers due at T0 + delta."""
        return self.fire_at(T0 + delta)


def publish_repair(db) -> RepairDesk:
    publish(db, product_sources(**REPAIR_SOURCES))
    return RepairDesk(db)
