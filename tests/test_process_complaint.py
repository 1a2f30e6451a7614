"""Customer complaint handling (客户投诉处理, S1 art. 10(3); BC-DIR-059 §4) worked as Sales, Quality, the
investigating departments, the GM office, the approvers, the warehouse and Finance would, on SQLite and
PostgreSQL. Deadlines, numbering and linked complaints: test_process_complaint_clocks.py."""
import pytest
from sqlalchemy import select

from app.models import AuditEvent, HumanTask, ProcessInstance
from app.services.cases import tasks
from app.services.errors import Forbidden, ValidationFailed
from tests.complaint_helpers import INVESTIGATION, desk  # noqa: F401 (fixture)

ALLOWANCE = {"certificate_no": "ZR-2025-017", "allowance_amount": 800, "customer_signed": True}
CLOSED = "completed"


def _ever_created(desk, iid) -> set[str]:
    with desk.db.session() as session:
        return set(session.scalars(select(HumanTask.task_name).where(HumanTask.instance_id == iid)))


def _refused(desk, username, iid, element, data):
    """username may neither take nor complete the task; it stays in the department's queue."""
    with pytest.raises(Forbidden, match="Segregation"):
        desk.do(username, iid, element, data)
    task = desk.open_tasks(iid)[element]
    with pytest.raises(Forbidden, match="Segregation"):
        tasks.complete(desk.db, desk.user(username), task.id, data)
    assert desk.open_tasks(iid)[element].state == "ready"


def _finish_our_fault(desk, iid, capa=False):
    desk.do("quality", iid, "quality_capa_decide", {"capa_required": capa, "responsible_department": "production",
                                                    "loss_amount": 300, "penalty": "通报批评"})
    desk.do("general_manager", iid, "gm_approve_penalty", {"penalty_approved": True})
    desk.close(iid)


@pytest.mark.parametrize("amount, approver", [
    (0, "approve_marketing"), (1000, "approve_marketing"), (1000.01, "approve_gm"),
    (5000, "approve_gm"), (5000.01, "approve_chairman")])
def test_complaint_authority_bc_dir_059_4_7_3(desk, amount, approver):
    """BC-DIR-059 4.7.3: up to 1,000 CNY the Marketing head decides, 1,000-5,000 the general manager,
    above 5,000 the chairman (DMN complaint_authority)."""
    iid = desk.open()
    desk.to_approval(iid, amount=amount)
    assert desk.open_names(iid) == {approver}
    assert desk.case(iid).case_data["approver_group"] == {
        "approve_marketing": "marketing", "approve_gm": "general_manager", "approve_chairman": "chairman"}[approver]


def test_marketing_approval_is_for_the_head_only_bc_dir_059_4_7_3(desk):
    """BC-DIR-059 4.7.3 (市场部核决): a Marketing member cannot approve; the Marketing head can."""
    iid = desk.open()
    desk.to_approval(iid, amount=500)
    with pytest.raises(Forbidden):
        desk.do("marketing", iid, "approve_marketing", {"approved": True})
    desk.approve(iid, "approve_marketing", "marketing_head")
    assert desk.open_names(iid) == {"sales_inform"}


@pytest.mark.parametrize("remedy", ["return", "rework"])
def test_return_needs_the_general_manager_seed_000_s3(desk, remedy):
    """seed 000 S3 L101: 售后退货必须经过总经理同意 — a return needs at least the general manager even for
    an amount the Marketing head could approve."""
    iid = desk.open()
    desk.to_approval(iid, amount=300, remedy_type=remedy, return_quantity=40)
    assert desk.open_names(iid) == {"approve_gm"}


def test_registrar_may_not_approve_the_money(desk):
    """PROCESSES.md §5 and BC-DIR-059 4.7.3: whoever registered the complaint (Sales who filed the form, the
    Quality person who accepted and registered it) may not approve or sign its money."""
    desk.add_user("li_na", groups=["sales", "marketing"], head_of=["marketing"])
    desk.add_user("wang_qiang", groups=["quality", "general_manager"])
    iid = desk.open(actor="li_na")
    desk.to_approval(iid, amount=800)
    _refused(desk, "li_na", iid, "approve_marketing", {"approved": True})
    desk.approve(iid, "approve_marketing", "marketing_head")

    iid2 = desk.open()
    desk.accept(iid2, by="wang_qiang")
    desk.investigate(iid2)
    desk.consolidate(iid2, amount=3000)
    _refused(desk, "wang_qiang", iid2, "approve_gm", {"approved": True})
    desk.approve(iid2, "approve_gm", "general_manager")
    desk.inform(iid2)
    desk.do("sales", iid2, "sales_allowance", ALLOWANCE)
    _refused(desk, "wang_qiang", iid2, "gm_sign_allowance", {"signed": True})
    desk.do("general_manager", iid2, "gm_sign_allowance", {"signed": True})
    assert desk.open_names(iid2) == {"finance_book_allowance"}


@pytest.mark.parametrize("cause, opened", [
    ("quality", set(INVESTIGATION)), ("other", set(INVESTIGATION)), ("transport", {"warehouse_investigate"}),
    ("handling", {"warehouse_investigate"}), ("packaging", {"warehouse_investigate"}),
    ("staff_conduct", {"marketing_investigate"})])
def test_routing_by_cause_bc_dir_059_4_3(desk, cause, opened):
    """BC-DIR-059 4.3 and seed 000 S6: quality defects are investigated jointly by Production, R&D and
    Quality; transport, handling and packaging go to the warehouse; staff conduct to Marketing
    (DMN complaint_routing)."""
    iid = desk.open()
    desk.accept(iid, cause=cause)
    assert desk.open_names(iid) == opened
    if opened != set(INVESTIGATION):
        [task] = opened
        group = "warehouse" if task == "warehouse_investigate" else "marketing"
        desk.do(group, iid, task, {"finding": "外包装破损", "proposed_action": "赔偿"})
        assert desk.open_names(iid) == {"gm_consolidate"}


@pytest.mark.parametrize("special", ["crisis", "media", "lawsuit"])
def test_special_cases_reach_the_vp_at_once_seed_000_s6(desk, special):
    """seed 000 S6: crisis, media exposure and lawsuits are special cases reported up at once
    (DMN complaint_special); after the VP's instructions the investigation runs as usual."""
    iid = desk.open()
    desk.accept(iid, special=special)
    assert desk.open_names(iid) == {"vp_special"}
    desk.do("vp", iid, "vp_special", {"vp_instruction": "48 小时内给客户书面答复"})
    assert desk.open_names(iid) == set(INVESTIGATION)


def test_gm_appoints_when_quality_cannot_visit_bc_dir_059_4_6_2(desk):
    """BC-DIR-059 4.6.2: if Quality cannot visit the customer in time the general manager appoints someone;
    Quality confirms after the appointee's report."""
    iid = desk.open()
    desk.accept(iid, can_visit=False)
    assert desk.open_names(iid) == {"prod_investigate", "rd_analyse", "gm_appoint"}
    desk.do("general_manager", iid, "gm_appoint", {"appointee": "赵工", "visit_report": "已到现场"})
    assert "quality_inspect" in desk.open_names(iid)


def test_objection_is_decided_by_the_vp_s1_art_10_3_3(desk):
    """S1 art. 10(3)(3), BC-DIR-059 4.6.10: a department's objection (签呈) goes to the VP in charge, whose
    decision stands — here it raises the amount into the chairman's authority."""
    iid = desk.open()
    desk.to_approval(iid, objection_raised=True, objection_text="生产部不认可责任判定")
    assert desk.open_names(iid) == {"vp_decide"}
    desk.do("vp", iid, "vp_decide", {"vp_decision": "责任成立，加赔", "upheld": True,
                                     "responsibility": "our_quality", "remedy_type": "compensation",
                                     "amount": 6000})
    assert desk.open_names(iid) == {"approve_chairman"}


def test_rejected_approval_returns_to_the_gm_office(desk):
    """BC-DIR-059 4.6.4: the GM office drafts the disposition again when the approver does not approve it."""
    iid = desk.open()
    desk.to_approval(iid, amount=3000)
    desk.approve(iid, "approve_gm", "general_manager", approved=False)
    assert desk.open_names(iid) == {"gm_consolidate"}
    desk.consolidate(iid, amount=900)
    assert desk.open_names(iid) == {"approve_marketing"}


def test_not_upheld_is_explained_and_closed_s1_art_10_3_6(desk):
    """S1 art. 10(3)(6), BC-DIR-059 4.6.12: a misunderstanding is explained to the customer and the receivable
    collected on normal terms; no money is approved and no remedy runs."""
    iid = desk.open()
    desk.to_approval(iid, upheld=False, responsibility="customer", remedy_type="none", amount=0)
    assert desk.open_names(iid) == {"sales_explain"}
    desk.explain(iid)
    assert desk.open_names(iid) == {"quality_close"}
    desk.close(iid)
    assert desk.case(iid).status == CLOSED
    assert not _ever_created(desk, iid) & {"approve_marketing", "approve_gm", "approve_chairman"}


def test_allowance_with_corrective_action_bc_dir_059_4_9_2_and_4_6_6(desk):
    """BC-DIR-059 4.9.2 (allowance certificate signed by the GM, booked by Finance), 4.6.6 (our quality fault:
    tracking decided by Quality, penalty approved by the GM) and seed 000 S7 (the responsible department writes
    the CAPA, Sales verifies it); a penalty sent back is decided again."""
    iid = desk.open()
    desk.to_approval(iid)
    desk.approve(iid, "approve_marketing", "marketing_head")
    desk.inform(iid)
    assert desk.open_names(iid) == {"sales_allowance"}
    desk.do("sales", iid, "sales_allowance", ALLOWANCE)
    desk.do("general_manager", iid, "gm_sign_allowance", {"signed": True})
    desk.do("finance", iid, "finance_book_allowance", {"voucher_no": "记-0917", "booked_on": "2025-09-30"})
    desk.do("quality", iid, "quality_capa_decide", {"capa_required": True, "responsible_department": "tech_rd",
                                                    "loss_amount": 800})
    desk.do("general_manager", iid, "gm_approve_penalty", {"penalty_approved": False, "penalty_comment": "偏重"})
    assert desk.open_names(iid) == {"quality_capa_decide"}
    desk.do("quality", iid, "quality_capa_decide", {"capa_required": True, "responsible_department": "tech_rd",
                                                    "loss_amount": 400})
    desk.do("general_manager", iid, "gm_approve_penalty", {"penalty_approved": True})
    assert desk.open_names(iid) == {"capa_responsible"}
    assert desk.open_tasks(iid)["capa_responsible"].group_code == "tech_rd"
    desk.do("tech_rd", iid, "capa_responsible", {"corrective_action": "改刃口", "preventive_action": "加检",
                                                 "capa_due": "2025-10-31"})
    desk.do("sales", iid, "sales_verify_capa", {"capa_verified": True, "verification_note": "已落实"})
    desk.close(iid)
    case = desk.case(iid)
    assert case.status == CLOSED and case.business_key == "2025-09-0001"


@pytest.mark.parametrize("responsibility, remedy, expected", [
    ("supplier", "exchange", {"sales_exchange", "gm_office_supplier"}),
    ("logistics", "none", set()),
    ("our_quality", "none", {"quality_capa_decide", "capa_responsible", "sales_verify_capa"})])
def test_exchange_supplier_and_other_paths_bc_dir_059_4_6_11(desk, responsibility, remedy, expected):
    """S1 art. 10(3)(5) exchange; BC-DIR-059 4.6.11 a supplier's fault is handled by the GM office; without
    our fault no corrective action is tracked."""
    iid = desk.open()
    desk.to_approval(iid, responsibility=responsibility, remedy_type=remedy, amount=200)
    desk.approve(iid, "approve_marketing", "marketing_head")
    desk.inform(iid)
    if remedy == "exchange":
        desk.do("sales", iid, "sales_exchange", {"shipment_no": "FY-88", "ship_date": "2025-10-09",
                                                 "exchange_quantity": 40})
    if responsibility == "supplier":
        desk.do("gm_office", iid, "gm_office_supplier", {"supplier_name": "株洲钨业", "supplier_outcome": "索赔"})
    if responsibility == "our_quality":
        desk.do("quality", iid, "quality_capa_decide", {"capa_required": True,
                                                        "responsible_department": "production", "loss_amount": 0})
        desk.do("general_manager", iid, "gm_approve_penalty", {"penalty_approved": True})
        desk.do("production", iid, "capa_responsible", {"corrective_action": "a", "preventive_action": "b",
                                                        "capa_due": "2025-10-31"})
        desk.do("sales", iid, "sales_verify_capa", {"capa_verified": True, "verification_note": "ok"})
    desk.close(iid)
    assert desk.case(iid).status == CLOSED
    optional = {"sales_exchange", "gm_office_supplier", "quality_capa_decide", "capa_responsible",
                "sales_verify_capa", "sales_allowance", "sales_return_note"}
    assert _ever_created(desk, iid) & optional == expected


def _returned(desk, received, passed=True):
    desk.do("sales", desk.iid, "sales_return_note", {"return_note_no": "TH-001", "return_reason": "崩刃退货"})
    desk.do("warehouse", desk.iid, "warehouse_receive", {"received_quantity": received, "receipt_date": "2025-10-09"})
    assert "warehouse_stock_in" not in desk.open_names(desk.iid)  # nothing enters stock before inspection
    desk.do("quality", desk.iid, "quality_inspect_return", {"return_inspection_passed": passed,
                                                             "return_inspection_report": "复检"})


def test_credit_refused_when_returned_quantity_differs_bc_dir_059_4_9_4(desk):
    """BC-DIR-059 4.9.4: Finance books the credit only when the quantity returned matches the approved return
    quantity and refuses otherwise (the step does not complete); S1 art. 10(3)(5): returned goods enter stock
    only after Quality's inspection passes."""
    desk.iid = iid = desk.open()
    desk.to_approval(iid, remedy_type="return", amount=2000, return_quantity=40)
    desk.approve(iid, "approve_gm", "general_manager")
    desk.inform(iid)
    _returned(desk, received=38)
    desk.do("warehouse", iid, "warehouse_stock_in", {"stock_in_date": "2025-10-10", "stock_location": "A-3"})
    with pytest.raises(ValidationFailed, match="4.9.4") as refused:
        desk.do("finance", iid, "finance_credit", {"credit_action": "book", "voucher_no": "记-1"})
    assert "拒绝办理" in refused.value.field_errors["_form"][0]
    assert desk.open_names(iid) == {"finance_credit"} and desk.case(iid).status == "running"
    with desk.db.session() as session:
        assert not session.scalar(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                           AuditEvent.element_id == "finance_credit",
                                                           AuditEvent.event_type == "completed"))
    desk.do("finance", iid, "finance_credit", {"credit_action": "refuse", "credit_note": "少退 2 件"})
    assert desk.open_names(iid) == {"sales_return_note"}
    _returned(desk, received=40)
    desk.do("warehouse", iid, "warehouse_stock_in", {"stock_in_date": "2025-10-11", "stock_location": "A-3"})
    desk.do("finance", iid, "finance_credit", {"credit_action": "book", "voucher_no": "记-2"})
    _finish_our_fault(desk, iid)
    assert desk.case(iid).status == CLOSED


def test_failed_inspection_never_enters_stock_s1_art_10_3_5(desk):
    """S1 art. 10(3)(5): 必须经质量管理部检验认可后方可入库 — rejected returns are disposed of, never stocked."""
    desk.iid = iid = desk.open()
    desk.to_approval(iid, remedy_type="rework", amount=0, return_quantity=5)
    desk.approve(iid, "approve_gm", "general_manager")
    desk.inform(iid)
    _returned(desk, received=5, passed=False)
    assert desk.open_names(iid) == {"quality_dispose"}
    desk.do("quality", iid, "quality_dispose", {"disposal": "scrap"})
    desk.do("finance", iid, "finance_credit", {"credit_action": "book", "voucher_no": "记-3"})
    _finish_our_fault(desk, iid)
    assert "warehouse_stock_in" not in _ever_created(desk, iid)


def test_forms_refuse_bad_input_and_start_nothing(desk):
    """Mandatory fields, amounts ≥ 0, integer quantities, real dates and listed values are enforced; a refused
    intake starts no case."""
    with pytest.raises(ValidationFailed) as bad:
        desk.open(claimed_amount=-1, quantity=1.5, delivery_date="2025-13-40", origin="mars", customer="")
    assert {"claimed_amount", "quantity", "delivery_date", "origin", "customer"} <= set(bad.value.field_errors)
    with desk.db.session() as session:
        assert session.scalar(select(ProcessInstance.id)) is None
    iid = desk.open()
    desk.accept(iid)
    desk.investigate(iid)
    with pytest.raises(ValidationFailed) as no_quantity:
        desk.consolidate(iid, remedy_type="return")
    assert "return_quantity" in no_quantity.value.field_errors
