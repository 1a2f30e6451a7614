"""The OpenAPI document is the contract: it describes every route with its success response and schema,
lists every error code the code can answer with, and schemathesis checks that generated requests get
answers that conform to it (status codes and schemas). tests/api_contract.py checks every response of the
rest of the suite the same way."""
import re
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from app.api.contract import ERROR_CODES, install
from app.api.openapi import SPEC
from app.services.cases import instances
from app.services.modelling import publishing
from conftest import FIXTURES

import api_contract

APP_DIR = Path(__file__).resolve().parents[1] / "app"


def _api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len("/api/v1"):])
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield path, method.lower()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_route_is_described_with_its_answer(app):
    undescribed, without_schema = [], []
    for path, method in _api_routes(app):
        op = SPEC["paths"].get(path, {}).get(method)
        if op is None:
            undescribed.append(f"{method.upper()} {path}")
            continue
        ok = [r for code, r in op["responses"].items() if code.startswith("2")]
        if not ok:
            without_schema.append(f"{method.upper()} {path}: no success status")
        elif not any(r.get("content") for r in ok):
            without_schema.append(f"{method.upper()} {path}: no response body described")
    assert undescribed == []
    assert without_schema == []


def test_every_error_code_is_listed():
    install()  # (done when an app is made; again here, harmless)
    used = set()
    for source in APP_DIR.rglob("*.py"):
        text = source.read_text("utf-8")
        used.update(re.findall(r"\bcode=\"([a-z_]+)\"", text))
        used.update(re.findall(r"status, code = \d+, \"([a-z_]+)\"", text))
        used.update(re.findall(r"^\s+(?:\w+\.)?code = \"([a-z_]+)\"$", text, flags=re.M))
    assert used - set(ERROR_CODES) == set()
    listed = SPEC["components"]["schemas"]["ErrorCode"]["oneOf"]
    assert {c["const"] for c in listed} == set(ERROR_CODES) and all(c["description"] for c in listed)


def test_the_response_check_can_fail():
    """The check installed on every test app notices a drifting answer."""
    install()
    good = {"instances": [], "total": 0, "next": None}
    assert api_contract.problems_of("GET", "/api/v1/instances", 200, "application/json", good) == []
    assert api_contract.problems_of("GET", "/api/v1/instances", 200, "application/json", {"instances": []})
    naive_time = {"tasks": [{"id": "t", "instance_id": 1, "process_id": "p", "task_name": "a", "title": "A",
                             "group": None, "state": "ready", "due_at": None,
                             "created_at": "2026-11-28T10:00:00"}], "total": 1, "next": None}
    [problem] = api_contract.problems_of("GET", "/api/v1/tasks", 200, "application/json", naive_time)
    assert "created_at" in problem
    assert api_contract.problems_of("POST", "/api/v1/processes/x/instances", 200, "application/json", {})
    assert api_contract.problems_of("GET", "/api/v1/tasks", 403, "application/json", {"message": "no"})


EXAMPLES = 8
CONFORMANCE = ("/instances", "/tasks", "/instances/{instance_id}", "/instances/{instance_id}/events",
               "/processes", "/webhooks", "/webhooks/{webhook_id}/deliveries", "/service-accounts",
               "/messages/{name}", "/tasks/{task_id}")


def test_generated_requests_get_conforming_answers(app, db, api):
    """schemathesis' response checks on the routes for finding cases and tasks and on the integration
    routes, signed in as an administrator who also works in Sales."""
    with db.session() as session:
        publishing.publish(session, publishing.collect_paths([FIXTURES / "basic"], None), "tester")
        from app.services.organisation import org
        org.create_user(session, "integrator", "demo", groups=["sales"], roles=["admin", "auditor"])
    for n in range(2):
        instances.start_instance(db, "loop_review", {"case_no": f"F-{n}", "amount": 1, "rounds": 0}, "integrator")
    token = api("integrator").headers["Authorization"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, calls = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path not in CONFORMANCE:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                nonlocal calls
                response = case.call(headers={"Authorization": token})
                calls += 1
                try:
                    case.validate_response(response, checks=[response_schema_conformance,
                                                             content_type_conformance])
                except Exception as exc:  # noqa: BLE001 - collected and shown together
                    failures.append(f"{operation.label} {case.query} -> {response.status_code}: {str(exc)[:300]}")
            check()
    print(f"{calls} requests")
    assert calls > 50
    assert failures == []
