"""Customer care scenarios: the customer-care diagrams published with the complaint and repair processes they
link to, and the departments working follow-up, review and report cases through the service layer."""
from datetime import datetime

from sqlalchemy import select

from app import clock, workcalendar
from app.models import Customer, CustomerContact
from app.services.customers import files
from tests.complaint_helpers import ComplaintDesk, complaint_form
from tests.process_helpers import product_sources, publish

CARE_SOURCES = dict(
    bpmn=["customer_followup.bpmn", "key_customer_review.bpmn", "after_sales_report.bpmn", "complaint_handling.bpmn",
          "overseas_repair.bpmn", "export_customs.bpmn"],
    dmn=["customer_priority.dmn", "satisfaction_action.dmn", "key_customer_threshold.dmn", "complaint_authority.dmn",
         "complaint_routing.dmn", "complaint_special.dmn", "repair_arrival_sla.dmn", "repair_batch_review.dmn",
         "export_insurance.dmn"],
    form_prefixes=["customer_", "key_customer_", "after_sales_", "complaint_", "repair_", "export_"])

CALL = {"call_channel": "call", "customer_said": "刀片使用正常", "requests": "", "request_open": False,
        "new_complaint": False}
GOOD_SURVEY = {"score_product_quality": 5, "score_delivery": 4, "score_service_attitude": 5, "score_response_speed": 4}


def publish_care(db):
    return publish(db, product_sources(**CARE_SOURCES))


def china(day: str, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    """A China wall-clock time as naive UTC."""
    return datetime.fromisoformat(day).replace(hour=hh, minute=mm, second=ss) - workcalendar.CHINA_OFFSET


def china_date(at: datetime) -> str:
    return workcalendar.china_today(at).isoformat()


class CareDesk(ComplaintDesk):
    """The complaint desk plus the customer files and the follow-up clerk's tasks."""

    def customer(self, name: str) -> Customer | None:
        with self.db.session() as session:
            return files.find_by_name(session, name)

    def add_customer(self, actor="sales", **fields) -> int:
        with self.db.session() as session:
            return files.create(session, actor, fields).id

    def contacts(self, customer_id: int) -> list[CustomerContact]:
        with self.db.session() as session:
            return list(session.scalars(select(CustomerContact).where(CustomerContact.customer_id == customer_id)
                                        .order_by(CustomerContact.id)))

    def followup(self, customer="武汉重工机械有限公司", service_done_on="2026-03-02", **changes) -> int:
        return self.start("customer_followup", {"customer": customer, "service_type": "repair",
                                                "source_case": "WX-2026-03-0001",
                                                "service_done_on": service_done_on} | changes)

    def closed_complaint(self, **changes) -> int:
        """A complaint opened, found a misunderstanding, explained and closed (the shortest closing path)."""
        iid = self.open(**({"received_on": china_date(clock.now())} | changes))
        self.to_approval(iid, upheld=False, responsibility="customer", remedy_type="none", amount=0)
        self.explain(iid)
        self.close(iid)
        return iid


def at(when: datetime):
    clock.set_now(when)


__all__ = ["CareDesk", "CALL", "GOOD_SURVEY", "publish_care", "china", "china_date", "complaint_form", "at"]
