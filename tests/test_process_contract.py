"""Contract review (合同评审, S1 art. 2-6, 8, 9) worked as Sales, the reviewing departments, the signatories,
the VPs and PMC would, on SQLite and PostgreSQL."""
from datetime import datetime, timedelta

import pytest

from app import clock
from app.services.errors import Forbidden, ValidationFailed
from tests.process_helpers import Desk, product_sources, publish, unlabelled_tasks

T0 = datetime(2026, 4, 1, 2, 0)
START = {"contract_no": "HT-2026-0001", "buyer_name": "株洲工具有限公司", "product_name": "硬质合金棒材",
         "negotiation_channel": "email", "negotiation_summary": "价格、交期与付款条件已基本谈妥"}
DRAFT = {"seller_name": "南昌硬质合金有限责任公司", "seller_address": "江西省南昌市", "buyer_name": "株洲工具有限公司",
         "buyer_address": "湖南省株洲市", "signing_date": "2026-04-03", "product_name": "硬质合金棒材",
         "specification": "YG8 Φ10×330", "spec_standard": True, "unit_price": 100, "list_price": 100,
         "price_below_list": False, "discount_pct": 0, "currency": "CNY", "quantity": 1000,
         "total_amount": 100000, "packing": "木箱", "transport_mode": "road", "shipment_deadline": "2026-05-30",
         "insurance": "买方自理", "payment_terms": "TT", "payment_days": 30, "breach_liability": "按合同约定承担违约金",
         "is_export": False, "order_type": "firm", "written_form": True}
EXPORT_TERMS = {"is_export": True, "currency": "USD", "fx_rate": 7.1, "fx_rate_date": "2026-04-02",
                "total_amount": 120000, "incoterm": "CIF", "payment_terms": "OA", "payment_days": 60,
                "port_of_loading": "上海", "destination_port": "Hamburg", "transport_mode": "sea",
                "buyer_name": "Hamburg Tools GmbH", "buyer_address": "Hamburg, Germany"}
REVIEWERS = {"review_production": "production", "review_finance": "finance", "review_tech_rd": "tech_rd",
             "review_marketing": "marketing"}
OK = {"approved": True, "opinion": "同意"}


@pytest.fixture
def desk(db):
    clock.set_now(T0)
    publish(db, product_sources(["contract_review.bpmn", "contract_review_round.bpmn", "export_licence.bpmn",
                                 "export_customs.bpmn"],
                                ["contract_reviewers.dmn", "signing_authority.dmn", "export_insurance.dmn",
                                 "fx_writeoff_switch.dmn"], ["contract_", "export_"]))
    yield Desk(db)
    clock.set_now(None)


def _drafted(desk, drafter="sales", **terms):
    iid = desk.start("contract_review", START, actor="sales")
    for task, group in (("consult_tech_rd", "tech_rd"), ("consult_production", "production"),
                        ("consult_finance", "finance")):
        desk.do(group, iid, task, {"opinion": f"{group} 意见"})
    desk.do(drafter, iid, "draft", {**DRAFT, **terms})
    return iid


def _reviews(desk, iid, decisions=None):
    """Every open review done by its department: approve unless decisions names it False."""
    decisions = decisions or {}
    for task, group in REVIEWERS.items():
        if task in desk.open_tasks(iid):
            approved = decisions.get(group, True)
            desk.do(group, iid, task, {"approved": approved, "opinion": "同意" if approved else "价格过低"})


SIGN = {"signed_date": "2026-04-08", "seal_applied": True, "authority_reference": "授权书 2026-01"}


def _signed(desk, iid, signer="legal_rep"):
    task = "sign_legal" if "sign_legal" in desk.open_tasks(iid) else "sign_delegate"
    desk.do(signer, iid, task, SIGN)


def _performing(desk, iid, **terms):
    """From the drafted contract to performance tracking (firm order, all approve)."""
    _reviews(desk, iid)
    _signed(desk, iid, "legal_rep_head")
    desk.do("sales", iid, "send", {"sent_date": "2026-04-09", "send_channel": "courier"})
    desk.do("sales", iid, "countersign", {"countersigned_date": "2026-04-15", "countersigned_copy_ref": "A-1"})
    desk.do("pmc", iid, "schedule", {"schedule_order_no": "PC-1", "planned_start_date": "2026-04-20",
                                     "planned_finish_date": "2026-05-20"})


@pytest.mark.parametrize("spec_standard,below_list,discount,expected", [
    (True, False, 0, {"production", "finance"}),
    (False, False, 0, {"production", "finance", "tech_rd"}),
    (True, True, 0, {"production", "finance", "marketing"}),
    (True, False, 0.5, {"production", "finance", "marketing"}),
    (False, True, 5, {"production", "finance", "tech_rd", "marketing"}),
])
def test_contract_reviewers_rule_selects_departments_by_content(desk, spec_standard, below_list, discount, expected):
    """S1 art. 5 (L23-L25): 根据合同内容由技术研发、生产、财务、市场等部门对合同进行评审 — DMN contract_reviewers:
    Production and Finance always, Technical R&D for a non-standard specification, Marketing below list price
    or with a discount; the reviews run in parallel."""
    iid = _drafted(desk, spec_standard=spec_standard, price_below_list=below_list, discount_pct=discount)
    open_tasks = desk.open_tasks(iid)
    assert {REVIEWERS[t] for t in open_tasks} == expected
    assert all(open_tasks[t].group_code == REVIEWERS[t] and open_tasks[t].due_at for t in open_tasks)
    _reviews(desk, iid)
    assert set(desk.open_tasks(iid)) == {"sign_delegate"}


@pytest.mark.parametrize("terms,signer_task", [
    ({"total_amount": 1_000_000}, "sign_delegate"),
    ({"total_amount": 1_000_000.01}, "sign_legal"),
    ({"currency": "USD", "fx_rate": 7.1, "fx_rate_date": "2026-04-02", "total_amount": 140845.07}, "sign_delegate"),
    ({"currency": "USD", "fx_rate": 7.1, "fx_rate_date": "2026-04-02", "total_amount": 140845.08}, "sign_legal"),
])
def test_signing_authority_rule_delegate_up_to_one_million_cny(desk, terms, signer_task):
    """S1 art. 5 (L25-L27): 由法定代表人或法人代表委托人在授权范围内签约盖章 — DMN signing_authority: ≤ 1,000,000 CNY
    → authorised delegate (any member of legal_rep), above → legal representative (head of legal_rep); foreign
    currency converted with the rate recorded on the case."""
    iid = _drafted(desk, **terms)
    _reviews(desk, iid)
    assert set(desk.open_tasks(iid)) == {signer_task}
    data = desk.case(iid).case_data
    assert data["signer_group"] == "legal_rep"
    assert data["amount_cny"] == round(terms["total_amount"] * terms.get("fx_rate", 1), 2)
    if signer_task == "sign_legal":
        with pytest.raises(Forbidden):  # an authorised delegate may not sign above the authority
            desk.do("legal_rep", iid, "sign_legal", SIGN)
        desk.do("legal_rep_head", iid, "sign_legal", SIGN)
    else:
        desk.do("legal_rep", iid, "sign_delegate", SIGN)
    assert set(desk.open_tasks(iid)) == {"send"}


def test_rejected_review_is_revised_and_reviewed_again_or_withdrawn(desk):
    """PROCESSES 1.3 (S1 art. 5): any rejection returns the contract to Sales to revise or withdraw; the revised
    contract is reviewed again by every department the table selects."""
    iid = _drafted(desk)
    _reviews(desk, iid, {"finance": False})
    assert set(desk.open_tasks(iid)) == {"revise"}
    assert desk.case(iid).case_data["finance_review_opinion"] == "价格过低"
    desk.do("sales", iid, "revise", {"revision": "revise", "revision_note": "调整付款条件"})
    desk.do("sales", iid, "draft", {**DRAFT, "payment_terms": "LC", "discount_pct": 2})
    assert {REVIEWERS[t] for t in desk.open_tasks(iid)} == {"production", "finance", "marketing"}
    _reviews(desk, iid, {"marketing": False})
    desk.do("sales", iid, "revise", {"revision": "withdraw"})
    case = desk.case(iid)
    assert case.status == "completed" and desk.open_tasks(iid) == {}


def test_drafter_may_not_review_or_sign_the_contract(desk):
    """S1 art. 5 (segregation of duties, seed note 000 §1.4): the drafter of a contract may not review it or
    sign it, even when a member of the reviewing department or of the signatories."""
    desk.add_user("wang", groups=["sales", "production", "legal_rep"])
    iid = _drafted(desk, drafter="wang")
    assert desk.case(iid).case_data["drafted_by"] == "wang"
    with pytest.raises(Forbidden):
        desk.do("wang", iid, "review_production", OK)
    _reviews(desk, iid)
    with pytest.raises(Forbidden):
        desk.do("wang", iid, "sign_delegate", SIGN)
    desk.do("legal_rep", iid, "sign_delegate", SIGN)
    assert set(desk.open_tasks(iid)) == {"send"}


def test_countersign_reminder_to_sales_after_14_days(desk):
    """PROCESSES 1.5 (S1 art. 5 L27): Sales sends the sealed contract to the buyer; 14 days without the
    countersigned copy remind Sales (timer P14D)."""
    iid = _drafted(desk)
    _reviews(desk, iid)
    _signed(desk, iid)
    sent_at = datetime(2026, 4, 9, 1, 0)
    clock.set_now(sent_at)
    desk.do("sales", iid, "send", {"sent_date": "2026-04-09", "send_channel": "courier"})
    assert desk.fire_at(sent_at + timedelta(days=14) - timedelta(minutes=1)) == 0
    assert desk.fire_at(sent_at + timedelta(days=14, minutes=1)) == 1
    assert set(desk.open_tasks(iid)) == {"countersign", "remind"}
    desk.do("sales", iid, "remind", {"reminder_note": "已电话催促购货方回签"})
    desk.do("sales", iid, "countersign", {"countersigned_date": "2026-04-25", "countersigned_copy_ref": "A-1"})
    assert set(desk.open_tasks(iid)) == {"schedule"}


@pytest.mark.parametrize("order_type,approver,decision,scheduled", [
    ("firm", None, None, True),
    ("forecast", ("vp", "forecast_approval"), {"forecast_approved": True, "forecast_opinion": "同意"}, True),
    ("forecast", ("vp", "forecast_approval"), {"forecast_approved": False, "forecast_opinion": "不排产"}, False),
    ("urgent", ("production_vp", "urgent_meeting"),
     {"meeting_date": "2026-04-16", "meeting_decision": "插单生产", "planned_start_date": "2026-04-18"}, True),
])
def test_production_scheduling_by_order_type(desk, order_type, approver, decision, scheduled):
    """S1 art. 6 (L29-L35): firm orders are scheduled by order; forecast orders need the leader in charge's
    approval; urgent orders need the production-sales meeting's decision by the production VP; then PMC
    issues the 排产单."""
    iid = _drafted(desk, order_type=order_type)
    _reviews(desk, iid)
    _signed(desk, iid)
    desk.do("sales", iid, "send", {"sent_date": "2026-04-09", "send_channel": "email"})
    desk.do("sales", iid, "countersign", {"countersigned_date": "2026-04-15", "countersigned_copy_ref": "A-1"})
    if approver:
        group, task = approver
        assert set(desk.open_tasks(iid)) == {task}
        desk.do(group, iid, task, decision)
    if scheduled:
        desk.do("pmc", iid, "schedule", {"schedule_order_no": "PC-1", "planned_start_date": "2026-04-20",
                                         "planned_finish_date": "2026-05-20"})
        assert set(desk.open_tasks(iid)) == {"perform"}
    else:
        assert desk.case(iid).status == "completed" and desk.open_tasks(iid) == {}


def test_export_contract_starts_a_linked_export_case(desk):
    """S1 art. 7 (L37-L53): an export contract starts the export licence and customs process, linked to the
    contract and carrying its number."""
    iid = _drafted(desk, **EXPORT_TERMS)
    _performing(desk, iid)
    [child] = desk.children(iid)
    assert child.process_id == "export_licence" and child.business_key == "HT-2026-0001"
    assert child.case_data["incoterm"] == "CIF" and child.case_data["payment_days"] == 60
    assert set(desk.open_tasks(child.id)) == {"prereview", "booking"}
    assert set(desk.open_tasks(iid)) == {"perform"}
    domestic = desk.start("contract_review", {**START, "contract_no": "HT-2026-0002"})
    assert desk.children(domestic) == []


def test_contract_change_is_reviewed_and_signed_with_the_original_authority_then_rescheduled(desk):
    """S1 art. 8 (L55-L59): a change is negotiated, reviewed and signed again with the same authority and
    procedure as the original, the amendment is recorded and production is told at once with a new 排产单."""
    iid = _drafted(desk)
    _performing(desk, iid)
    desk.do("sales", iid, "perform", {"perform_event": "change"})
    desk.do("sales", iid, "change_negotiate",
            {"change_description": "数量增至 12000", "quantity": 12000, "total_amount": 1_200_000})
    assert {REVIEWERS[t] for t in desk.open_tasks(iid)} == {"production", "finance"}
    with pytest.raises(Forbidden):  # the one who drafted the change may not review it
        desk.do("sales", iid, "review_production", OK)
    _reviews(desk, iid, {"production": False})
    desk.do("sales", iid, "revise", {"revision": "revise"})
    assert set(desk.open_tasks(iid)) == {"change_negotiate"}
    desk.do("sales", iid, "change_negotiate", {"change_description": "数量增至 11000", "quantity": 11000,
                                                "total_amount": 1_100_000})
    _reviews(desk, iid)
    assert set(desk.open_tasks(iid)) == {"sign_legal"}  # 1,100,000 CNY: above the delegate's authority
    desk.do("legal_rep_head", iid, "sign_legal", SIGN)
    assert set(desk.open_tasks(iid)) == {"amendment"}
    desk.do("sales", iid, "amendment", {"amendment_no": "HT-2026-0001-A1", "amendment_date": "2026-05-02"})
    tasks = desk.open_tasks(iid)
    assert set(tasks) == {"amend_schedule"} and tasks["amend_schedule"].due_at - tasks["amend_schedule"].created_at \
        == timedelta(hours=24)
    desk.do("pmc", iid, "amend_schedule", {"schedule_order_no": "PC-2", "planned_start_date": "2026-05-03",
                                           "planned_finish_date": "2026-06-10"})
    # a second change the buyer drops after a rejection
    desk.do("sales", iid, "perform", {"perform_event": "change"})
    desk.do("sales", iid, "change_negotiate", {"change_description": "提前交货", "shipment_deadline": "2026-05-20"})
    _reviews(desk, iid, {"production": False})
    desk.do("sales", iid, "revise", {"revision": "withdraw"})
    assert set(desk.open_tasks(iid)) == {"perform"}
    desk.do("sales", iid, "perform", {"perform_event": "completed"})
    case = desk.case(iid)
    assert case.status == "completed" and case.case_data["quantity"] == 11000
    assert case.case_data["amendment_no"] == "HT-2026-0001-A1"


def test_contract_dispute_negotiated_or_reported_to_vp_and_arbitrated_with_evidence(desk):
    """S1 art. 9 (L63-L67): a dispute is negotiated; failing that it is reported to the VP in charge and taken
    to arbitration; Sales collects evidence from the moment the dispute is raised, and the contract case
    closes only once the evidence is filed."""
    iid = _drafted(desk)
    _performing(desk, iid)
    desk.do("sales", iid, "perform", {"perform_event": "dispute"})
    assert set(desk.open_tasks(iid)) == {"evidence", "dispute_negotiate"}
    desk.do("sales", iid, "dispute_negotiate", {"dispute_resolved": True, "negotiation_result": "补发 20 支"})
    assert set(desk.open_tasks(iid)) == {"evidence", "perform"}
    desk.do("sales", iid, "evidence", {"evidence_summary": "来往邮件、检验报告", "evidence_refs": ["E-1"]})
    desk.do("sales", iid, "perform", {"perform_event": "dispute"})
    desk.do("sales", iid, "dispute_negotiate", {"dispute_resolved": False, "negotiation_result": "对方拒绝"})
    assert set(desk.open_tasks(iid)) == {"evidence", "vp_report"}
    with pytest.raises(Forbidden):
        desk.do("sales", iid, "vp_report", {"vp_instruction": "仲裁"})
    desk.do("vp", iid, "vp_report", {"vp_instruction": "按合同约定提交仲裁"})
    desk.do("sales", iid, "arbitration", {"arbitration_body": "南昌仲裁委员会", "arbitration_case_no": "NA-1",
                                          "arbitration_result": "支持我方"})
    desk.do("sales", iid, "perform", {"perform_event": "completed"})
    assert desk.case(iid).status == "running"  # the evidence file is still open
    desk.do("sales", iid, "evidence", {"evidence_summary": "质检报告、仲裁裁决书"})
    assert desk.case(iid).status == "completed"


def test_contract_form_refuses_what_the_regulation_requires(desk):
    """S1 art. 2 and 4 (L11, L19-L21): written form in principle (otherwise a justification), the contract
    terms are mandatory, amounts ≥ 0, quantities whole numbers, a foreign-currency contract records its rate."""
    iid = desk.start("contract_review", START)
    for task, group in (("consult_tech_rd", "tech_rd"), ("consult_production", "production"),
                        ("consult_finance", "finance")):
        desk.do(group, iid, task, {"opinion": "无异议"})
    bad = {"written_form": False, "currency": "USD", "total_amount": -1, "quantity": 1.5, "order_type": "maybe"}
    with pytest.raises(ValidationFailed) as refused:
        desk.do("sales", iid, "draft", {**DRAFT, **bad})
    assert {"non_written_reason", "fx_rate", "fx_rate_date", "total_amount", "quantity",
            "order_type"} <= set(refused.value.field_errors)
    with pytest.raises(ValidationFailed) as refused:
        desk.do("sales", iid, "draft", {**DRAFT, "is_export": True})
    assert {"incoterm", "destination_port", "port_of_loading"} <= set(refused.value.field_errors)
    assert set(desk.open_tasks(iid)) == {"draft"}
    desk.do("sales", iid, "draft", {**DRAFT, "written_form": False, "non_written_reason": "老客户电话订货, 传真确认"})
    assert "review_production" in desk.open_tasks(iid)


def test_every_contract_task_has_an_english_label(desk, db):
    """Every user-facing label exists in Chinese and English (PROCESSES 0), the review round's included."""
    assert unlabelled_tasks(db, "contract_review") == []
