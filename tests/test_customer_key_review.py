"""The yearly key-customer review (seed 000 S7 L125): customers with prior-year sales above 5 million CNY
([decision] DMN key_customer_threshold) are proposed by Sales at the start of each year and approved by the
leader in charge — a standing process, one case looping year after year."""
import pytest
from sqlalchemy import select

from app import clock
from app.models import AuditEvent, ProcessInstance
from app.services.cases.standing import start_standing
from app.services.errors import Forbidden
from tests.customer_helpers import CareDesk, china, publish_care


@pytest.fixture
def care(db):
    clock.set_now(china("2026-11-20", 10))
    publish_care(db)
    yield CareDesk(db)
    clock.set_now(None)


def _review_case(care) -> int:
    started = dict(start_standing(care.db))
    assert "key_customer_review" in started and "after_sales_report" in started
    assert start_standing(care.db) == []  # one standing case each
    return started["key_customer_review"]


def test_review_at_the_start_of_the_year_sales_proposes_leader_approves(care):
    care.add_customer(name="甲公司", prior_year_sales="5200000")
    care.add_customer(name="乙公司", prior_year_sales="5000000")  # not above 5 million
    care.add_customer(name="丙公司", prior_year_sales="800000")
    care.add_customer(name="丁公司", prior_year_sales="9000000")
    rid = _review_case(care)
    assert care.open_tasks(rid) == {}
    care.fire_at(china("2026-12-31", 23, 59))  # (the monthly report's timers fire meanwhile)
    assert care.open_tasks(rid) == {}
    care.fire_at(china("2027-01-01", 0, 0, 1))
    case = care.case(rid)
    assert case.business_key == "2027"
    assert case.case_data["threshold"] == 5000000
    assert case.case_data["proposed_names"] == ["丁公司", "甲公司"]
    propose = care.open_tasks(rid)["sales_propose"]
    assert propose.group_code == "sales" and propose.head_only
    with pytest.raises(Forbidden):
        care.do("sales", rid, "sales_propose", {"proposed_names": ["甲公司"], "proposal_reason": "x"})
    care.do("sales_head", rid, "sales_propose", {"proposed_names": ["丁公司", "甲公司", "丙公司"],
                                                 "proposal_reason": "丙公司为战略客户"})
    assert care.open_tasks(rid)["vp_approve"].group_code == "vp"
    # returned: Sales proposes again; nothing changes in the files
    care.do("vp", rid, "vp_approve", {"approved": False, "approved_names": [], "approval_comments": "丙公司不符合"})
    assert care.customer("丁公司").key_customer is False
    care.do("sales_head", rid, "sales_propose", {"proposed_names": ["丁公司", "甲公司"], "proposal_reason": "按门槛"})
    care.do("vp", rid, "vp_approve", {"approved": True, "approved_names": ["丁公司", "甲公司"]})
    assert care.customer("丁公司").key_customer and care.customer("甲公司").key_customer_year == 2027
    assert not care.customer("丙公司").key_customer
    with care.db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "key_customer_set")).all()
        assert {e.data["name"] for e in events} == {"丁公司", "甲公司"} and all(e.actor == "vp" for e in events)
    # the case loops to the next year; last year's key customer not approved again loses the tier
    assert care.case(rid).status == "running" and care.case(rid).business_key == "2028"
    care.fire_at(china("2028-01-01", 0, 0, 1))
    care.do("sales_head", rid, "sales_propose", {"proposed_names": ["丁公司"], "proposal_reason": "按门槛"})
    care.do("vp", rid, "vp_approve", {"approved": True, "approved_names": ["丁公司"]})
    assert care.customer("丁公司").key_customer_year == 2028 and not care.customer("甲公司").key_customer


def test_start_standing_cli_starts_the_customer_care_processes(care, app):
    result = app.test_cli_runner().invoke(args=["start-standing"])
    assert result.exit_code == 0
    assert "key_customer_review" in result.output and "after_sales_report" in result.output
    with care.db.session() as session:
        assert {i.process_id for i in session.scalars(select(ProcessInstance))} >= {"key_customer_review",
                                                                                     "after_sales_report"}
