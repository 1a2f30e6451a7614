"""The licensing system tells a waiting export case that its licence was issued (message licence_issued,
correlated by contract number): the licence number and expiry are recorded on the case, the collection task
is no longer needed, and the case goes on to the licence gate and customs - on SQLite and PostgreSQL."""
from datetime import datetime

import pytest

from app import clock
from app.services.errors import ValidationFailed
from app.services.integration import messages
from app.services.integration.messages import NoReceiver
from tests.process_helpers import Desk, product_sources, publish

BPMN = ["export_licence.bpmn", "export_customs.bpmn"]
DMN = ["export_insurance.dmn", "fx_writeoff_switch.dmn"]
T0 = datetime(2026, 4, 1, 2, 0)
EXPORT = {"contract_no": "NC-2026-009", "buyer_name": "Hamburg Tools GmbH", "product_name": "硬质合金刀片",
          "quantity": 5000, "currency": "USD", "total_amount": 120000, "incoterm": "FOB",
          "payment_terms": "LC", "payment_days": 60, "port_of_loading": "上海", "destination_port": "Hamburg",
          "transport_mode": "sea"}


@pytest.fixture
def desk(db):
    clock.set_now(T0)
    publish(db, product_sources(BPMN, DMN, ["export_"]))
    yield Desk(db)
    clock.set_now(None)


def _licence(db, contract_no, **data):
    return messages.post(db, "svc-licensing", "licence_issued", {"contract_no": contract_no},
                         {"licence_no": "L-2026-77", "licence_expiry": "2026-12-31", **data})


def test_the_licence_arrives_from_the_licensing_system(desk, db):
    iid = desk.start("export_licence", EXPORT)
    # before the application is registered the case does not wait for the licence yet
    with pytest.raises(NoReceiver):
        _licence(db, EXPORT["contract_no"])
    desk.do("sales", iid, "prereview", {"prereview_no": "PR-1", "prereview_result": "passed"})
    desk.do("sales", iid, "chamber_stamp", {"chamber_mailed_date": "2026-04-02",
                                            "chamber_returned_date": "2026-04-06"})
    desk.do("sales", iid, "licence_application", {"licence_application_no": "LA-1",
                                                  "licence_application_date": "2026-04-07"})
    assert "licence_collect" in desk.open_tasks(iid)
    # data that the collection form would refuse is refused, and changes nothing
    with pytest.raises(ValidationFailed) as refused:
        _licence(db, EXPORT["contract_no"], licence_expiry="soon")
    assert "licence_expiry" in refused.value.field_errors
    assert "licence_collect" in desk.open_tasks(iid)

    status, answer = _licence(db, EXPORT["contract_no"])
    assert status == 200 and answer["instance_id"] == iid and answer["state"] == "delivered"
    assert "licence_collect" not in desk.open_tasks(iid)  # nobody has to type it in
    case = desk.case(iid)
    assert case.case_data["licence_no"] == "L-2026-77" and case.case_data["licence_expiry"] == "2026-12-31"

    desk.do("sales", iid, "booking", {"booking_no": "BK-1", "vessel": "COSCO STAR 012E", "etd": "2026-04-20"})
    desk.do("production", iid, "goods_ready", {"goods_ready_date": "2026-04-12", "packages": 40})
    # the licence gate passed on the licence the message brought: the customs steps follow
    assert "customs_inspection" in desk.open_tasks(iid)
