"""The JSON API fuzzed from its own OpenAPI document (schemathesis, in-process through the WSGI app, signed
in with a bearer token of a user who may do most things), on SQLite and on PostgreSQL: no request, with
valid data or with data the document says is invalid, gets a server error. Examples per operation are
bounded so the run stays short; a fixed seed keeps it the same on every run."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from app import create_app
from app.config import Config
from app.migrate import upgrade
from app.services.cases import instances
from app.services.organisation import org
from app.services.modelling import publishing
from conftest import FIXTURES, _truncate_postgres

EXAMPLES = 15  # per operation and generation mode


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_app(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate_postgres(url)
    app = create_app(Config(DATABASE_URL=url, TESTING=True, SECRET_KEY="fuzz", LOGIN_RATE_LIMIT="100000 per minute",
                            PROCESSES_DIR=FIXTURES / "basic", FORMS_DIR=FIXTURES / "basic"))
    db = app.extensions["db"]
    with db.session() as session:
        org.seed_demo(session)
        org.create_user(session, "fuzzer", "demo", groups=["sales", "quality"], head_of=["sales"],
                        roles=["process_owner"])
        publishing.publish(session, publishing.collect_paths([FIXTURES / "basic"], None), "tester")
    for n in range(3):  # cases and tasks for the generated ids to hit now and then
        instances.start_instance(db, "loop_review", {"case_no": f"F-{n}", "amount": 1, "rounds": 0}, "fuzzer")
    yield app
    db.dispose()


def test_no_server_errors(fuzz_app):
    """Every operation of the document, in schemathesis' positive and negative generation; the failures of
    all operations are collected and shown together."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    token = fuzz_app.test_client().post("/api/v1/auth/token", json={
        "username": "fuzzer", "password": "demo"}).get_json()["token"]
    errors, calls, operations = [], [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case):
                response = case.call(headers={"Authorization": "Bearer " + token})
                calls.append(operation.label)
                if response.status_code >= 500:
                    errors.append(f"{operation.label}: {response.status_code} {case.path_parameters} "
                                  f"{case.query} {str(case.body)[:200]}")
            fuzz()
    print(f"{len(calls)} requests over {len(operations)} operations, {len(errors)} server errors")
    assert errors == []
    assert set(calls) == set(operations) and len(operations) >= 20  # every operation was exercised
