"""Follow-up after a service (跟踪服务, seed 000 S5; PROCESSES.md §6) worked as Sales' follow-up clerk, the Sales
head and the departments would: the call clocks, the unresolved request to the Sales head, a new complaint raised
on a call, the satisfaction survey with its low-score corrective action (seed 000 S14, S7), and the contact
register (电话/信函登记表)."""
import pytest
from sqlalchemy import select

from app import clock
from app.models import ProcessInstance
from app.services.errors import Forbidden
from tests.customer_helpers import CALL, GOOD_SURVEY, CareDesk, china, china_date, complaint_form, publish_care


@pytest.fixture
def care(db):
    clock.set_now(china("2026-03-02", 10))
    publish_care(db)
    yield CareDesk(db)
    clock.set_now(None)


def test_closing_a_complaint_starts_a_linked_follow_up_for_sales(care):
    """PROCESSES.md §6 / seed 000 S5: when a complaint closes, a follow-up case starts for Sales, linked to the
    complaint and to the customer."""
    iid = care.closed_complaint()
    assert care.case(iid).status == "completed"
    [child] = care.children(iid)
    assert child.process_id == "customer_followup"
    data = child.case_data
    assert data["service_type"] == "complaint" and data["source_case"] == care.case(iid).business_key
    assert data["customer_id"] == care.customer("武汉重工机械有限公司").id
    assert child.business_key.startswith("HF-")
    assert care.open_tasks(child.id) == {}  # waits for the call window


def test_first_call_three_days_to_a_week_second_call_the_week_after(care):
    """seed 000 S5: first call 3 days to 1 week after the service; second call within 7 days, starting one week
    after the first."""
    fid = care.followup(service_done_on="2026-03-02")
    assert care.fire_at(china("2026-03-04", 11)) == 0  # day 2 after the service: not yet
    assert care.fire_at(china("2026-03-05", 0, 0, 1)) == 1  # day 3
    first = care.open_tasks(fid)["first_call"]
    assert first.group_code == "sales"
    assert china_date(first.due_at) == "2026-03-09"  # one week after the service
    clock.set_now(china("2026-03-05", 10))
    care.do("sales", fid, "first_call", CALL)
    care.do("sales", fid, "satisfaction_survey", GOOD_SURVEY)
    assert "second_call" not in care.open_tasks(fid)
    assert care.fire_at(china("2026-03-11", 23)) == 0  # 6 days after the first call
    assert care.fire_at(china("2026-03-12", 0, 0, 1)) == 1  # one week after the first call
    second = care.open_tasks(fid)["second_call"]
    assert china_date(second.due_at) == "2026-03-19"  # within 7 days
    care.do("sales", fid, "second_call", CALL | {"customer_said": "一切正常"})
    assert care.case(fid).status == "completed"


def test_unresolved_request_goes_to_the_sales_head_and_the_customer_is_told_the_same_day(care):
    """seed 000 S5: a request the clerk cannot resolve is reported to the Sales head within 2 working days; the
    customer is told the same day the solution is found; both calls are in the contact register."""
    cid = care.add_customer(name="武汉重工机械有限公司", phone="027-88886666")
    fid = care.followup()
    care.fire_at(china("2026-03-05", 9))
    care.do("sales", fid, "first_call", CALL | {"requests": "希望提供刃磨参数", "request_open": True})
    report = care.open_tasks(fid)["report_request"]
    assert report.group_code == "sales" and not report.head_only
    assert china_date(report.due_at) == "2026-03-09"  # 2 working days (Thu → Mon)
    care.do("sales", fid, "report_request", {"open_request": "刃磨参数", "tried": "查阅手册未果"})
    with pytest.raises(Forbidden):  # the Sales head decides, not a clerk
        care.do("sales", fid, "head_solution", {"solution": "由技术部提供参数表"})
    clock.set_now(china("2026-03-06", 15))
    care.do("sales_head", fid, "head_solution", {"solution": "由技术部提供参数表"})
    tell = care.open_tasks(fid)["tell_customer"]
    assert china_date(tell.due_at) == "2026-03-06"  # the same day
    care.do("sales", fid, "tell_customer", {"told_channel": "letter", "solution_told": "已寄参数表，客户满意"})
    register = care.contacts(cid)
    assert [(c.channel, c.direction) for c in register] == [("call", "outbound"), ("letter", "outbound")]
    assert register[0].instance_id == fid and register[0].notes == "刀片使用正常"
    assert register[1].recorded_by == "sales"


def test_new_complaint_on_a_call_starts_a_linked_complaint_case(care):
    """seed 000 S5 / PROCESSES.md §3, §6: a complaint raised on a follow-up call starts a complaint case linked to
    the follow-up, for the same customer; the inbound complaint is in the contact register."""
    fid = care.followup()
    care.fire_at(china("2026-03-05", 9))
    care.do("sales", fid, "first_call", CALL | {"new_complaint": True, "customer_said": "又发现崩刃"})
    assert "register_complaint" in care.open_tasks(fid)
    care.do("sales", fid, "register_complaint", complaint_form(received_on="2026-03-05", channel="phone"))
    [complaint] = care.children(fid)
    assert complaint.process_id == "complaint_handling" and complaint.status == "running"
    assert "quality_accept" in care.open_tasks(complaint.id)
    customer = care.customer("武汉重工机械有限公司")
    assert complaint.case_data["customer_id"] == customer.id
    assert ("call", "inbound") in [(c.channel, c.direction) for c in care.contacts(customer.id)]


@pytest.mark.parametrize("scores, department, element", [
    ({"score_product_quality": 2}, "quality", "capa_quality"),
    ({"score_delivery": 1}, "pmc", "capa_pmc"),
    ({"score_service_attitude": 2}, "marketing", "capa_marketing"),
    ({"score_response_speed": 1}, "sales", "capa_sales"),
])
def test_low_survey_score_opens_a_corrective_action_for_the_responsible_department(care, scores, department,
                                                                                      element):
    """seed 000 S14 (survey after the service), S7 L125 (the responsible department writes the corrective and
    preventive action, Sales checks it); [decision] DMN satisfaction_action: a score of 2 or less."""
    fid = care.followup()
    care.fire_at(china("2026-03-05", 9))
    care.do("sales", fid, "first_call", CALL)
    care.do("sales", fid, "satisfaction_survey", GOOD_SURVEY | scores)
    task = care.open_tasks(fid)[element]
    assert task.group_code == department
    care.do(department, fid, element, {"capa_cause": "交期延误", "capa_corrective": "加急", "capa_preventive": "排产预警",
                                        "capa_done_by": "2026-03-31"})
    verify = care.open_tasks(fid)["verify_capa"]
    assert verify.head_only and verify.group_code == "sales"
    care.do("sales_head", fid, "verify_capa", {"capa_verified": True, "capa_verification": "已落实"})
    assert care.case(fid).case_data["corrective_action"] is True


def test_satisfied_customer_opens_no_corrective_action(care):
    fid = care.followup()
    care.fire_at(china("2026-03-05", 9))
    care.do("sales", fid, "first_call", CALL)
    care.do("sales", fid, "satisfaction_survey", GOOD_SURVEY | {"score_delivery": 3})
    assert not {"capa_sales", "capa_quality", "capa_pmc", "capa_marketing"} & set(care.open_tasks(fid))
    data = care.case(fid).case_data
    assert data["corrective_action"] is False and data["survey_scores"]["delivery"] == 3


def test_delivery_follow_up_is_started_by_sales_and_bad_input_starts_nothing(care):
    """A follow-up after a delivery is accepted is started by Sales; an incomplete form starts nothing."""
    from app.services.errors import ValidationFailed
    with care.db.session() as session:
        before = len(session.scalars(select(ProcessInstance)).all())
    with pytest.raises(ValidationFailed):
        care.start("customer_followup", {"customer": "某客户", "service_type": "delivery"})
    with care.db.session() as session:
        assert len(session.scalars(select(ProcessInstance)).all()) == before
    fid = care.followup(customer="长沙钻探设备厂", service_type="delivery", delivered_as_required=True)
    assert care.customer("长沙钻探设备厂") is not None
    assert care.case(fid).case_data["service_type"] == "delivery"


def test_a_repair_closed_by_remote_guidance_starts_a_follow_up(care):
    """PROCESSES.md §6: a repair closed after remote guidance is followed up too."""
    from tests.repair_helpers import RepairDesk
    desk = RepairDesk(care.db)
    iid = desk.open_repair()
    desk.step(iid, "first_reply")
    desk.step(iid, "triage", remote_fixable=True)
    desk.steps(iid, "remote_guidance", "customer_confirms_remote")
    assert care.case(iid).status == "completed"
    [child] = care.children(iid)
    assert child.process_id == "customer_followup" and child.case_data["service_type"] == "repair"
    assert child.case_data["source_case"] == care.case(iid).business_key
    assert child.case_data["customer_id"] == care.customer("Hanse Werkzeuge GmbH").id
