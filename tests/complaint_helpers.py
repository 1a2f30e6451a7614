"""Working customer complaints (客户投诉处理) through the service layer the way the departments do."""
from datetime import datetime

import pytest

from app import clock
from tests.process_helpers import Desk, product_sources, publish

T0 = datetime(2025, 9, 29, 2, 0)  # Monday 10:00 China time, just before the National Day holiday

COMPLAINT_SOURCES = dict(bpmn=["complaint_handling.bpmn", "customer_followup.bpmn"],
                         dmn=["complaint_authority.dmn", "complaint_routing.dmn", "complaint_special.dmn",
                              "customer_priority.dmn", "satisfaction_action.dmn"],
                         form_prefixes=["complaint_", "customer_"])
INVESTIGATION = ("prod_investigate", "rd_analyse", "quality_inspect")


def publish_complaints(db):
    return publish(db, product_sources(**COMPLAINT_SOURCES))


def complaint_form(**changes) -> dict:
    """客户投诉处理单 as Sales fills it in."""
    return {
        "customer": "武汉重工机械有限公司", "order_no": "HT-2025-0815", "product": "硬质合金刀片",
        "model_spec": "YG8 / 16x16x5", "quantity": 500, "delivery_date": "2025-09-01",
        "received_on": "2025-09-28", "defect_description": "刃口崩裂，约 40 片",
        "customer_demand": "退货并赔偿停机损失", "grounds": "来料检验报告与照片已确认", "channel": "phone",
        "origin": "domestic", "claimed_amount": 800, "reported_to_marketing_head": True,
    } | changes


def disposition(**changes) -> dict:
    return {"upheld": True, "responsibility": "our_quality", "remedy_type": "allowance", "amount": 800,
            "disposition": "给予销货折让", "objection_raised": False} | changes


class ComplaintDesk(Desk):
    """The departments of a complaint, step by step; each method does one department's task."""

    def open(self, actor="sales", **changes) -> int:
        return self.start("complaint_handling", complaint_form(**changes), actor=actor)

    def accept(self, iid, cause="quality", special="none", can_visit=True, by="quality"):
        self.do(by, iid, "quality_accept", {"cause_category": cause, "special_type": special,
                                            "quality_can_visit": can_visit})

    def investigate(self, iid):
        self.do("production", iid, "prod_investigate", {
            "workshop": "二车间", "shift": "夜班", "operator": "张伟", "production_date": "2025-08-20",
            "production_cause": "烧结温度偏高", "countermeasure": "校准烧结炉"})
        self.do("tech_rd", iid, "rd_analyse", {"cause_analysis": "晶粒粗大", "improvement": "调整工艺曲线"})
        self.do("quality", iid, "quality_inspect", {"inspection_result": "抽检 40 片崩刃属实",
                                                    "defect_confirmed": True, "report_to_gm": "已呈报"})

    def consolidate(self, iid, **changes):
        self.do("gm_office", iid, "gm_consolidate", disposition(**changes))

    def to_approval(self, iid, **changes):
        """Intake to the approval step of an upheld quality complaint."""
        self.accept(iid)
        self.investigate(iid)
        self.consolidate(iid, **changes)

    def approve(self, iid, element, by, approved=True):
        self.do(by, iid, element, {"approved": approved, "approval_comment": "同意" if approved else "重拟"})

    def inform(self, iid, accepts=True, feedback=""):
        self.do("sales", iid, "sales_inform", {"result_text": "按核决结果处理", "informed_via": "letter",
                                               "within_authority": True})
        self.reply(iid, accepts, feedback)
        self.do("marketing_head", iid, "marketing_review", {"review_comment": "已核阅"})

    def explain(self, iid, via="visit", accepts=True, feedback=""):
        """A complaint not upheld: Sales explains, the customer answers, the Marketing head reviews."""
        self.do("sales", iid, "sales_explain", {"explanation": "使用参数超出规格", "informed_via": via,
                                                "receivable_on_terms": True})
        self.reply(iid, accepts, feedback)
        self.do("marketing_head", iid, "marketing_review", {"review_comment": "同意"})

    def reply(self, iid, accepts=True, feedback="", via="phone"):
        """Sales records the customer's reply to the result (BC-DIR-059 4.6.5, 4.6.8)."""
        self.do("sales", iid, "sales_customer_reply", {"customer_accepts": accepts, "replied_via": via,
                                                       "customer_feedback": feedback})

    def close(self, iid):
        self.do("quality", iid, "quality_close", {
            "original_kept": True, "distributed_to": ["gm_office", "production", "tech_rd", "finance", "marketing"]})

    def open_names(self, iid) -> set[str]:
        return set(self.open_tasks(iid))


@pytest.fixture
def desk(db):
    """The complaint process published, the clock at T0, the departments ready to work."""
    clock.set_now(T0)
    publish_complaints(db)
    yield ComplaintDesk(db)
    clock.set_now(None)
