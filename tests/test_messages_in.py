"""Messages from other systems (POST /api/v1/messages/{name}) and service accounts with scoped tokens."""
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import AuditEvent, InboundMessage
from app.services.integration import messages
from app.services.modelling import publishing

MESSAGES = Path(__file__).parent / "fixtures" / "messages"


@pytest.fixture
def message_processes(db, published):
    with db.session() as session:
        publishing.publish(session, publishing.collect_paths([MESSAGES], None), "tester")


def _service(admin, name, **scopes):
    response = admin.post("/api/v1/service-accounts", json={"name": name, "scopes": scopes,
                                                            "description": "licensing gateway"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


class Bearer:
    def __init__(self, client, token):
        self.client, self.headers = client, {"Authorization": "Bearer " + token}

    def get(self, url, **kw):
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url, json=None, headers=None, **kw):
        return self.client.post(url, headers={**self.headers, **(headers or {})}, json=json or {}, **kw)


def _waiting_case(sales, contract_no):
    case = sales.post("/api/v1/processes/licence_wait/instances",
                      json={"data": {"contract_no": contract_no}}).get_json()
    [task] = sales.get("/api/v1/tasks", query_string={"instance_id": case["id"]}).get_json()["tasks"]
    assert sales.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    return case


def _events(db, iid, kind):
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                             AuditEvent.event_type == kind)))


def test_a_licence_message_reaches_the_waiting_case(api, client, message_processes, db):
    admin, sales = api("admin"), api("sales")
    gateway = Bearer(client, _service(admin, "licensing", messages=["licence_issued"])["token"])
    waiting = _waiting_case(sales, "HT-2026-001")
    other = _waiting_case(sales, "HT-2026-002")
    body = {"correlation": {"contract_no": "HT-2026-001"},
            "data": {"licence_no": "LIC-88", "licence_expiry": "2027-06-30"}}
    response = gateway.post("/api/v1/messages/licence_issued", json=body, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["state"] == "delivered" and answer["instance_id"] == waiting["id"] and not answer["replayed"]

    case = sales.get(f"/api/v1/instances/{waiting['id']}").get_json()
    assert case["data"]["licence_no"] == "LIC-88"
    assert [t["element_id"] for t in case["current_tasks"]] == ["ship"]  # the case moved on
    assert sales.get(f"/api/v1/instances/{other['id']}").get_json()["current_tasks"] == []
    [event] = _events(db, waiting["id"], "message_received")
    assert event.actor == "svc-licensing" and event.data["data"]["licence_no"] == "LIC-88"

    # the same call again (a retry after a lost answer): the same answer, nothing delivered twice
    again = gateway.post("/api/v1/messages/licence_issued", json=body, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert again.get_json()["instance_id"] == waiting["id"]
    assert len(_events(db, waiting["id"], "message_received")) == 1
    # the same key for another request is refused
    other_body = {"correlation": {"contract_no": "HT-2026-002"}, "data": {"licence_no": "LIC-89"}}
    clash = gateway.post("/api/v1/messages/licence_issued", json=other_body, headers={"Idempotency-Key": "k-1"})
    assert clash.status_code == 409 and clash.get_json()["error"]["code"] == "idempotency_conflict"


def test_a_message_nobody_waits_for_is_refused_or_held(api, client, message_processes, db, monkeypatch, app):
    admin, sales = api("admin"), api("sales")
    gateway = Bearer(client, _service(admin, "licensing", messages=["licence_issued"])["token"])
    body = {"correlation": {"contract_no": "HT-404"}, "data": {"licence_no": "LIC-1"}}
    refused = gateway.post("/api/v1/messages/licence_issued", json=body)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "no_receiver"
    assert "licence_issued" in refused.get_json()["error"]["message"]
    # a case that has not reached the wait yet does not take it either
    sales.post("/api/v1/processes/licence_wait/instances", json={"data": {"contract_no": "HT-405"}})
    early = gateway.post("/api/v1/messages/licence_issued", json={**body, "correlation": {"contract_no": "HT-405"}})
    assert early.status_code == 409

    # held when the setting allows it, and delivered once the case waits
    monkeypatch.setenv("MESSAGE_HOLD_HOURS", "48")
    held = gateway.post("/api/v1/messages/licence_issued", json={**body, "correlation": {"contract_no": "HT-405"}})
    assert held.status_code == 202 and held.get_json()["state"] == "held"
    assert messages.deliver_held(db) == 0  # the case still waits for Sales's application
    [case] = sales.get("/api/v1/instances", query_string={"business_key": "HT-405"}).get_json()["instances"]
    [task] = case["current_tasks"]
    sales.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}})
    assert messages.deliver_held(db) == 1
    after = sales.get(f"/api/v1/instances/{case['id']}").get_json()
    assert after["data"]["licence_no"] == "LIC-1" and after["current_tasks"][0]["element_id"] == "ship"
    with db.session() as session:
        assert [m.state for m in session.scalars(select(InboundMessage))] == ["delivered"]


def test_a_message_start_event_starts_a_case(api, client, message_processes, db):
    admin = api("admin")
    crm = Bearer(client, _service(admin, "crm", messages=["customer_message"], read=["customer_reply"])["token"])
    response = crm.post("/api/v1/messages/customer_message",
                        json={"correlation": {}, "data": {"ticket_no": "T-7", "text": "货物有破损"}},
                        headers={"Idempotency-Key": "mail-123"})
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["state"] == "started" and answer["process_id"] == "customer_reply"
    assert answer["business_key"] == "T-7"
    case = crm.get(f"/api/v1/instances/{answer['instance_id']}").get_json()
    assert case["data"]["text"] == "货物有破损" and case["current_tasks"][0]["element_id"] == "handle"
    again = crm.post("/api/v1/messages/customer_message",
                     json={"correlation": {}, "data": {"ticket_no": "T-7", "text": "货物有破损"}},
                     headers={"Idempotency-Key": "mail-123"})
    assert again.status_code == 201 and again.get_json()["instance_id"] == answer["instance_id"]
    assert crm.get("/api/v1/instances").get_json()["total"] == 1


def test_ambiguous_and_invalid_messages(api, client, message_processes):
    admin, sales = api("admin"), api("sales")
    gateway = Bearer(client, _service(admin, "gw", messages=["*"])["token"])
    _waiting_case(sales, "HT-SAME")
    _waiting_case(sales, "HT-SAME")
    both = gateway.post("/api/v1/messages/licence_issued", json={"correlation": {"contract_no": "HT-SAME"}})
    assert both.status_code == 409 and both.get_json()["error"]["code"] == "ambiguous_correlation"
    bad = gateway.post("/api/v1/messages/licence_issued", json={"correlation": ["x"], "data": {"_x": 1}})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["field_errors"]) == {"correlation", "data"}


def test_service_account_scopes_and_revocation(api, client, message_processes):
    admin, sales = api("admin"), api("sales")
    assert sales.post("/api/v1/service-accounts", json={"name": "x", "scopes": {"read": ["*"]}}).status_code == 403
    bad = admin.post("/api/v1/service-accounts", json={"name": "Bad Name!", "scopes": {"fly": ["x"]}})
    assert bad.status_code == 422 and {"name", "scopes.fly"} <= set(bad.get_json()["error"]["field_errors"])
    made = _service(admin, "erp", start=["licence_wait"], read=["licence_wait"])
    assert made["token"].startswith("wfsa_") and made["scopes"]["start"] == ["licence_wait"]
    listed = admin.get("/api/v1/service-accounts").get_json()["service_accounts"]
    assert [a["name"] for a in listed] == ["erp"] and "token" not in listed[0]
    erp = Bearer(client, made["token"])

    started = erp.post("/api/v1/processes/licence_wait/instances", json={"data": {"contract_no": "HT-ERP-1"}})
    assert started.status_code == 201
    refused = erp.post("/api/v1/processes/loop_review/instances", json={"data": {"case_no": "X"}})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "scope_missing"
    sales.post("/api/v1/processes/loop_review/instances",
               json={"data": {"case_no": "C-1", "amount": 1, "rounds": 0}})
    # reads the cases of its processes only
    seen = erp.get("/api/v1/instances").get_json()
    assert [i["process_id"] for i in seen["instances"]] == ["licence_wait"]
    # no route outside its scopes: no inbox, no task work, no messages
    assert erp.get("/api/v1/tasks").status_code == 403
    assert erp.post("/api/v1/messages/licence_issued", json={"correlation": {"contract_no": "HT-ERP-1"}}
                    ).get_json()["error"]["code"] == "scope_missing"

    assert admin.post(f"/api/v1/service-accounts/{made['id']}/revoke").get_json()["active"] is False
    assert erp.get("/api/v1/instances").status_code == 401
    # nobody can sign in as the account with a password
    assert client.post("/api/v1/auth/token", json={"username": "svc-erp", "password": ""}).status_code == 401
