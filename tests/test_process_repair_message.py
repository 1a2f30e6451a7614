"""The customer's repair confirmation as a message (repair_confirmation, correlated by the repair case number):
POST /api/v1/messages/repair_confirmation reaches the case waiting for the customer's signature, is
idempotent, and is refused when no case waits - on SQLite and PostgreSQL."""
import pytest
from sqlalchemy import select

from app import clock
from app.models import AuditEvent
from repair_helpers import T0, publish_repair
from test_messages_in import Bearer, _service

CONFIRMED = {"confirmation_no": "QR-88", "confirmation_date": "2026-03-18", "customer_accepted": True,
             "customer_comment": "设备运行正常"}


@pytest.fixture
def desk(db):
    clock.set_now(T0)
    yield publish_repair(db)
    clock.set_now(None)


@pytest.fixture
def customer_portal(api, client):
    token = _service(api("admin"), "customer-portal", messages=["repair_confirmation"])["token"]
    return Bearer(client, token)


def _send(portal, case_no, key=None, **data):
    body = {"correlation": {"case_no": case_no}, "data": {**CONFIRMED, **data}}
    return portal.post("/api/v1/messages/repair_confirmation", json=body,
                       headers={"Idempotency-Key": key} if key else None)


def _on_site_until_signature(desk) -> tuple[int, str]:
    """A domestic team repairs on site and reports the repair finished: the customer's signature is due."""
    iid = desk.open_repair(region="domestic", distance_km=120)
    desk.steps(iid, "first_reply", "triage", "assess_responsibility", "choose_repair_mode", "request_sample")
    desk.step(iid, "analyse_cause", material_source="buy_on_site")
    desk.steps(iid, "write_repair_plan", "prepare_lists", "ship_materials", "agree_departure", "book_travel",
               "confirm_arrival")
    desk.step(iid, "daily_report", repair_finished=True)
    return iid, desk.case(iid).business_key


def _received(db, iid):
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                             AuditEvent.event_type == "message_received")))


def test_the_customers_confirmation_arrives_as_a_message(desk, db, customer_portal):
    """PROCESSES 4.5 (T15 L281–L282): the signed confirmation is recorded on the case from the customer's
    system; nobody types it in and the case goes on to Quality's close-out."""
    iid, case_no = _on_site_until_signature(desk)
    assert desk.open_names(iid) == {"customer_sign_confirmation"}
    # what the confirmation form would refuse is refused, and changes nothing
    bad = _send(customer_portal, case_no, confirmation_date="next week")
    assert bad.status_code == 422 and "confirmation_date" in bad.get_json()["error"]["field_errors"]
    assert desk.open_names(iid) == {"customer_sign_confirmation"} and _received(db, iid) == []

    answer = _send(customer_portal, case_no, key="qr-88")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["state"] == "delivered" and answer.get_json()["instance_id"] == iid
    assert desk.open_names(iid) == {"corrective_actions"}
    data = desk.data(iid)
    assert (data["confirmation_no"], data["customer_accepted"]) == ("QR-88", True)
    [event] = _received(db, iid)
    assert event.actor == "svc-customer-portal" and event.data["correlation"] == {"case_no": case_no}

    # the portal retries after a lost answer: the same answer, nothing delivered twice
    again = _send(customer_portal, case_no, key="qr-88")
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert len(_received(db, iid)) == 1 and desk.open_names(iid) == {"corrective_actions"}
    # the case no longer waits: a new confirmation for it has no receiver
    late = _send(customer_portal, case_no, key="qr-89", confirmation_no="QR-89")
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "no_receiver"


def test_a_rejection_by_message_sends_the_team_back_and_staff_may_still_record_it(desk, customer_portal):
    """PROCESSES 4.5: the customer who does not accept sends the team back to work; the next signature can
    still be recorded by Sales by hand."""
    iid, case_no = _on_site_until_signature(desk)
    answer = _send(customer_portal, case_no, customer_accepted=False, customer_comment="仍有异响")
    assert answer.status_code == 200, answer.get_json()
    assert desk.open_names(iid) == {"daily_report"}
    desk.step(iid, "daily_report", repair_finished=True)
    desk.step(iid, "customer_sign_confirmation", confirmation_no="QR-2")
    assert desk.open_names(iid) == {"corrective_actions"}
    assert desk.data(iid)["confirmation_no"] == "QR-2"


def test_no_case_waits_for_the_confirmation(desk, customer_portal):
    """A confirmation for an unknown case number, or for a case not yet at the signature, is refused
    (409 no_receiver) and changes nothing."""
    unknown = _send(customer_portal, "WX-2026-03-9999")
    assert unknown.status_code == 409 and unknown.get_json()["error"]["code"] == "no_receiver"
    iid = desk.open_repair()
    desk.steps(iid, "first_reply", "triage", "assess_responsibility")
    early = _send(customer_portal, desk.case(iid).business_key)
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "no_receiver"
    assert desk.open_names(iid) == {"choose_repair_mode"}
    assert "confirmation_no" not in desk.data(iid)
