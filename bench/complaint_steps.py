"""The data each department submits on an upheld quality complaint settled by an allowance (the path the
complaint scenario tests walk), keyed by element id of processes/complaint_handling.bpmn."""
from tests.complaint_helpers import complaint_form, disposition

START = complaint_form()
STEPS = {
    "quality_accept": {"cause_category": "quality", "special_type": "none", "quality_can_visit": True},
    "prod_investigate": {"workshop": "二车间", "shift": "夜班", "operator": "张伟", "production_date": "2025-08-20",
                         "production_cause": "烧结温度偏高", "countermeasure": "校准烧结炉"},
    "rd_analyse": {"cause_analysis": "晶粒粗大", "improvement": "调整工艺曲线"},
    "quality_inspect": {"inspection_result": "抽检 40 片崩刃属实", "defect_confirmed": True, "report_to_gm": "已呈报"},
    "gm_consolidate": disposition(),
    "approve_marketing": {"approved": True, "approval_comment": "同意"},
    "sales_inform": {"result_text": "按核决结果处理", "informed_via": "letter", "within_authority": True},
    "sales_customer_reply": {"customer_accepts": True, "replied_via": "phone", "customer_feedback": ""},
    "marketing_review": {"review_comment": "已核阅"},
    "sales_allowance": {"certificate_no": "ZR-1", "allowance_amount": 800, "customer_signed": True},
    "gm_sign_allowance": {"signed": True},
    "finance_book_allowance": {"voucher_no": "V1", "booked_on": "2025-09-30"},
    "quality_capa_decide": {"capa_required": True, "responsible_department": "production", "loss_amount": 800},
    "gm_approve_penalty": {"penalty_approved": True},
    "capa_responsible": {"corrective_action": "a", "preventive_action": "b", "capa_due": "2025-10-30"},
    "sales_verify_capa": {"capa_verified": True, "verification_note": "ok"},
    "quality_close": {"original_kept": True,
                      "distributed_to": ["gm_office", "production", "tech_rd", "finance", "marketing"]},
}
