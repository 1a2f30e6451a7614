"""The whole JSON API fuzzed (schemathesis, in-process through the WSGI app, signed in with a bearer token of
a user who may do most things), on SQLite and on PostgreSQL: no request, with valid data or with data the
document says is invalid, gets a server error, and every refusal is a JSON error. The operations come from the
API's own OpenAPI document; every /api/v1 route of the application that the document does not describe yet
is added from app.url_map (its path parameters typed from the URL converters, any JSON as its body), so a
route added later is fuzzed from the day it exists. Examples per operation are bounded so the run stays
short; a fixed seed keeps it the same on every run."""
import copy
import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from werkzeug.routing import IntegerConverter

from app import create_app
from app.config import Config
from app.migrate import upgrade
from app.services.cases import instances
from app.services.organisation import org
from app.services.modelling import publishing
from conftest import FIXTURES, _truncate_postgres

# per operation and generation mode: about 1,100 requests over the whole API per database
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 8))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_app(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate_postgres(url)
    app = create_app(Config(DATABASE_URL=url, TESTING=True, SECRET_KEY="fuzz", LOGIN_RATE_LIMIT="100000 per minute",
                            LOGIN_USER_RATE_LIMIT="100000 per minute",
                            PROCESSES_DIR=FIXTURES / "basic", FORMS_DIR=FIXTURES / "basic"))
    db = app.extensions["db"]
    with db.session() as session:
        org.seed_demo(session)
        org.create_user(session, "fuzzer", "demo", groups=["sales", "quality"], head_of=["sales"],
                        roles=["process_owner", "admin"])
        publishing.publish(session, publishing.collect_paths([FIXTURES / "basic"], None), "tester")
    for n in range(3):  # cases and tasks for the generated ids to hit now and then
        instances.start_instance(db, "loop_review", {"case_no": f"F-{n}", "amount": 1, "rounds": 0}, "fuzzer")
    yield app
    db.dispose()


API = "/api/v1"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def whole_api(app) -> dict:
    """The API's OpenAPI document plus an operation for every /api/v1 route it does not describe."""
    spec = copy.deepcopy(app.test_client().get(API + "/openapi.json").get_json())
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(API):])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operations = spec["paths"].setdefault(path, {})
            if method.lower() in operations:
                continue
            params = [{"name": name, "in": "path", "required": True, "schema": {
                "type": "integer" if isinstance(converter, IntegerConverter) else "string"}}
                for name, converter in rule._converters.items()]
            operations[method.lower()] = {"summary": rule.endpoint, "parameters": params,
                                          "responses": {"200": {"description": "OK"}}}
            if method in WRITES:
                operations[method.lower()]["requestBody"] = {"required": False, "content": {
                    "application/json": {"schema": {}}}}
    return spec


def _content_type(response) -> str:
    value = {k.lower(): v for k, v in response.headers.items()}.get("content-type") or ""
    return value[0] if isinstance(value, list) and value else str(value)


def test_the_whole_api_is_fuzzed(fuzz_app):
    """Every /api/v1 route of the application is an operation of the fuzzed document."""
    spec = whole_api(fuzz_app)
    routes = {(re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", r.rule[len(API):]), m.lower())
              for r in fuzz_app.url_map.iter_rules() if r.rule.startswith(API + "/")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes <= {(p, m) for p, ops in spec["paths"].items() for m in ops}


def test_no_server_errors(fuzz_app):
    """Every operation, in schemathesis' positive and negative generation; each answer is checked: no server
    error, and a refusal is a JSON error (a success may be a file: CSV, xlsx). The failures of all operations are collected and shown together. The token is taken
    again when a generated request ended it (signing out, revoking tokens)."""
    schema = schemathesis.openapi.from_dict(whole_api(fuzz_app))
    schema.app = fuzz_app

    def sign_in():
        return fuzz_app.test_client().post(API + "/auth/token", json={
            "username": "fuzzer", "password": "demo"}).get_json()["token"]

    token = [sign_in()]
    errors, calls, operations = [], [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case):
                response = case.call(headers={"Authorization": "Bearer " + token[0]})
                calls.append(operation.label)
                problem = ("server error" if response.status_code >= 500 else  # a refusal is a JSON error
                           "error not JSON" if response.status_code >= 400 and "json" not in _content_type(response)
                           else None)
                if problem:
                    errors.append(f"{operation.label}: {problem} {response.status_code} {case.path_parameters} "
                                  f"{case.query} {str(case.body)[:200]}")
                if response.status_code == 401 and operation.label != "POST /auth/token":
                    token[0] = sign_in()
            try:
                fuzz()
            except Unsatisfiable:  # nothing of the operation can be made invalid (no parameters, no body)
                assert mode == GenerationMode.NEGATIVE, operation.label
    print(f"{len(calls)} requests over {len(operations)} operations, {len(errors)} failed checks")
    assert not errors, "\n".join(errors)
    assert set(calls) == set(operations) and len(operations) >= 20  # every operation was exercised
