"""Webhooks against real HTTP receivers on loopback: registration rules, deliveries written with the event,
Standard Webhooks signatures, labels in the payload, retries with backoff for a day, a receiver that fails
the first tries, one that never answers, the delivery log and "send again"; the embedded worker and a
Celery worker send them."""
import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from app import clock
from app.background import EmbeddedWorker
from app.models import WebhookDelivery
from app.services.integration import webhooks

from celery_helpers import celery_worker_until, require_redis

class Receiver:
    """A real HTTP server on 127.0.0.1 that records what it gets; answers with the given statuses in turn
    (the last one repeats)."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append({"headers": dict(self.headers), "body": body})
                status = outer.statuses.pop(0) if len(outer.statuses) > 1 else outer.statuses[0]
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"try later")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Silent:
    """Accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.connections = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=(200,)):
        made.append(Receiver(statuses))
        return made[-1]
    yield make
    for r in made:
        r.close()


@pytest.fixture(autouse=True)
def real_clock():
    yield
    clock.set_now(None)


def _register(admin, url, types=("task.ready", "case.started", "task.completed", "case.completed"), **extra):
    response = admin.post("/api/v1/webhooks", json={"name": "企业微信机器人", "url": url,
                                                   "event_types": list(types), **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _start(sales, key="C-1"):
    response = sales.post("/api/v1/processes/loop_review/instances",
                          json={"data": {"case_no": key, "amount": 5, "rounds": 0, "customer": "ACME"}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _deliveries(db, **where):
    with db.session() as session:
        query = select(WebhookDelivery).order_by(WebhookDelivery.id)
        for key, value in where.items():
            query = query.where(getattr(WebhookDelivery, key) == value)
        return list(session.scalars(query))


def test_registration_rules(api):
    admin, sales = api("admin"), api("sales")
    refused = admin.post("/api/v1/webhooks", json={"name": "x", "url": "http://example.com/hook",
                                                   "event_types": ["task.ready"]})
    assert refused.status_code == 422 and "url" in refused.get_json()["error"]["field_errors"]
    refused = admin.post("/api/v1/webhooks", json={"name": "x", "url": "https://example.com/hook",
                                                   "event_types": ["task.exploded"]})
    assert refused.status_code == 422 and "event_types" in refused.get_json()["error"]["field_errors"]
    assert sales.post("/api/v1/webhooks", json={"name": "x", "url": "https://example.com/h",
                                                "event_types": ["task.ready"]}).status_code == 403
    made = _register(admin, "https://example.com/hook")
    assert made["secret"].startswith("whsec_")
    assert _register(admin, "http://localhost:9/hook")["url"] == "http://localhost:9/hook"
    listed = admin.get("/api/v1/webhooks").get_json()
    assert [w["name"] for w in listed["webhooks"]] == ["企业微信机器人", "企业微信机器人"]
    assert "secret" not in listed["webhooks"][0]
    assert {t["code"] for t in listed["event_types"]} >= {"task.ready", "case.cancelled", "escalated", "incident"}


def test_deliveries_are_written_with_the_event_and_signed(api, published, db, receiver):
    admin, sales = api("admin"), api("sales")
    bot = receiver()
    hook = _register(admin, bot.url)
    bad = sales.post("/api/v1/processes/loop_review/instances", json={"data": {"amount": "many"}})
    assert bad.status_code == 422
    assert _deliveries(db) == []  # no case, no event, no delivery
    case = _start(sales)
    written = _deliveries(db)
    assert sorted(d.event_type for d in written) == ["case.started", "task.ready"]
    assert all(d.state == "pending" and d.instance_id == case["id"] for d in written)

    assert webhooks.deliver_due(db) == 2
    assert len(bot.received) == 2
    for got in bot.received:
        payload = Webhook(hook["secret"]).verify(got["body"], got["headers"])
        assert got["headers"]["webhook-id"] == payload["id"]
    tampered = bot.received[0]["body"].replace(b"ACME", b"EVIL")
    with pytest.raises(Exception):
        Webhook(hook["secret"]).verify(tampered, bot.received[0]["headers"])
    ready = next(json.loads(g["body"]) for g in bot.received if json.loads(g["body"])["type"] == "task.ready")
    assert ready["type_label"] == "任务待办"
    assert ready["case"]["process_name"] == "测试评审循环" and ready["case"]["business_key"] == "C-1"
    assert ready["case"]["status"] == "running" and ready["case"]["status_label"] == "进行中"
    assert ready["task"]["element_id"] == "draft" and ready["task"]["title"] == "起草"
    assert ready["task"]["group"] == "sales" and ready["task"]["group_name"] not in (None, "sales")
    assert "起草" in ready["text"] and "C-1" in ready["text"]
    assert ready["occurred_at"].endswith("+00:00")
    assert all(d.state == "delivered" for d in _deliveries(db))
    assert webhooks.deliver_due(db) == 0  # nothing twice


def test_english_labels_for_an_english_subscription(api, published, db, receiver):
    admin, sales = api("admin"), api("sales")
    bot = receiver()
    _register(admin, bot.url, types=("case.started",), language="en")
    _start(sales)
    webhooks.deliver_due(db)
    [got] = bot.received
    payload = json.loads(got["body"])
    assert payload["type_label"] == "Case started" and payload["case"]["status_label"] == "In progress"
    assert payload["text"].endswith("was started by " + payload["actor_name"] + ".")


def test_a_receiver_that_fails_the_first_tries(api, published, db, receiver):
    admin, sales = api("admin"), api("sales")
    flaky = receiver(statuses=(500, 503, 200))
    hook = _register(admin, flaky.url, types=("case.started",))
    _start(sales)
    t0 = clock.now()
    clock.set_now(t0)
    assert webhooks.deliver_due(db) == 0
    [d] = _deliveries(db)
    assert d.state == "pending" and d.attempts == 1 and d.last_status == 500
    first_wait = (d.next_attempt_at - d.last_attempt_at).total_seconds()
    assert webhooks.deliver_due(db) == 0  # not due yet: nothing sent
    assert len(flaky.received) == 1
    clock.set_now(d.next_attempt_at)
    assert webhooks.deliver_due(db) == 0
    [d] = _deliveries(db)
    assert d.attempts == 2 and (d.next_attempt_at - d.last_attempt_at).total_seconds() == 2 * first_wait
    clock.set_now(d.next_attempt_at)
    assert webhooks.deliver_due(db) == 1
    [d] = _deliveries(db)
    assert d.state == "delivered" and d.attempts == 3
    assert len({g["headers"]["webhook-id"] for g in flaky.received}) == 1  # the same message each time

    log = admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()
    assert log["total"] == 1
    [entry] = log["deliveries"]
    assert [a["status"] for a in entry["log"]] == [500, 503, 200] and entry["state"] == "delivered"


def test_a_receiver_that_never_answers(api, published, db, monkeypatch):
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "1")
    silent = Silent()
    try:
        admin, sales = api("admin"), api("sales")
        hook = _register(admin, silent.url, types=("case.started",))
        _start(sales)
        began = time.monotonic()
        assert webhooks.deliver_due(db) == 0
        assert time.monotonic() - began < 5  # the worker is not held up
        [d] = _deliveries(db)
        assert d.state == "pending" and d.last_status is None and "1" in d.last_error
        # retried with backoff until a day after the event, then given up
        for _ in range(40):
            if d.state != "pending":
                break
            clock.set_now(d.next_attempt_at)
            webhooks.deliver_due(db)
            [d] = _deliveries(db)
        assert d.state == "failed" and 5 < d.attempts < 30
        assert d.last_attempt_at - d.created_at <= timedelta(hours=24)

        # an administrator sends it again
        clock.set_now(None)
        again = admin.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{d.id}/resend")
        assert again.status_code == 200 and again.get_json()["state"] == "pending"
        failed = admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries", query_string={"state": "failed"})
        assert failed.get_json()["total"] == 0
    finally:
        silent.close()


def test_a_disabled_subscription_gets_nothing(api, published, db, receiver):
    admin, sales = api("admin"), api("sales")
    bot = receiver()
    hook = _register(admin, bot.url)
    assert admin.client.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": False},
                              headers=admin.headers).status_code == 200
    _start(sales)
    assert _deliveries(db) == []


def test_the_embedded_worker_sends_them(api, published, db, app, receiver):
    admin, sales = api("admin"), api("sales")
    bot = receiver()
    _register(admin, bot.url, types=("case.started",))
    _start(sales)
    worker = EmbeddedWorker(app, poll=0.2, deadline_check=60).start()
    try:
        deadline = time.monotonic() + 15
        while not bot.received and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.stop()
    assert len(bot.received) == 1 and json.loads(bot.received[0]["body"])["type"] == "case.started"


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_celery_worker_sends_them(api, published, db, database_url, receiver, tmp_path):
    require_redis("the Celery webhook test")
    admin, sales = api("admin"), api("sales")
    bot = receiver()
    _register(admin, bot.url, types=("case.started",))
    _start(sales)
    reached, log = celery_worker_until(lambda: bot.received, database_url, tmp_path, DEADLINE_CHECK_SECONDS="60")
    assert reached, log
    assert [d.state for d in _deliveries(db)] == ["delivered"]


def test_a_cancelled_case_is_told_with_its_reason(api, published, db, receiver):
    admin, sales = api("admin"), api("sales")
    bot = receiver()
    _register(admin, bot.url, types=("case.cancelled",))
    case = _start(sales)
    cancelled = admin.post(f"/api/v1/instances/{case['id']}/cancel", json={"reason": "客户撤销订单"})
    assert cancelled.status_code == 200, cancelled.get_json()
    [delivery] = _deliveries(db)
    assert delivery.event_type == "case.cancelled"
    webhooks.deliver_due(db)
    payload = json.loads(bot.received[0]["body"])
    assert payload["case"]["status"] == "cancelled" and payload["case"]["status_label"] != "cancelled"
    assert "C-1" in payload["text"] and payload["actor"] == "admin"


STEP_TITLE = "核对比例"  # the failing script task `check` of tests/fixtures/ops/ops_case.bpmn


def test_an_incident_is_told_with_the_failed_step(api, db, receiver):
    """A step that fails (a script dividing by zero) makes the case an incident: subscribers of `incident`
    hear of it with the step's title, in the same transaction as the audit event."""
    from app.services.modelling import publishing
    from conftest import FIXTURES
    from process_helpers import Desk
    from app.services.errors import StepFailed
    with db.session() as session:
        publishing.publish(session, publishing.collect_paths([FIXTURES / "ops"], None), "process_owner")
    admin, desk = api("admin"), Desk(db)
    bot = receiver()
    _register(admin, bot.url, types=("incident",))
    iid = desk.start("ops_case", {"divisor": 0, "factor": 1})
    with pytest.raises(StepFailed):
        desk.do("sales", iid, "prepare", {"note": "资料齐全"})
    [delivery] = _deliveries(db)
    assert delivery.event_type == "incident"
    webhooks.deliver_due(db)
    payload = json.loads(bot.received[0]["body"])
    assert payload["type"] == "incident" and payload["type_label"]
    assert payload["case"]["id"] == iid and payload["case"]["status"] == "error"
    assert payload["case"]["status_label"] not in ("error", "")
    assert payload["step"] == STEP_TITLE and STEP_TITLE in payload["text"]  # the step by its title, not its id
