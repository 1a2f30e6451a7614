"""Diagrams from other modelling tools: errors apart from warnings, the console's fixes, plain tasks as manual
inbox tasks, unrunnable elements refused by name, `publish --check` without a database, no raw exception
texts — and the corpus figure (tests/fixtures/foreign/, written as those tools export)."""
import base64
import io
import re

import pytest

from app import create_app
from app.config import Config
from app.engine import foreign as engine_foreign
from bench.foreign_diagrams import FOREIGN, corpus_figures
from conftest import FIXTURES

PYTHON_TEXT = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback|unexpected keyword|object has no attribute")


def _upload(api, url, files: dict, fixes=()):
    data = {"files": [(io.BytesIO(content), name) for name, content in files.items()], "fixes": list(fixes)}
    return api.client.post(url, headers=api.headers, data=data, content_type="multipart/form-data")


def _file(name):
    return {name: (FOREIGN / name).read_bytes()}


def test_corpus_publishes_after_fixes_starts_and_never_answers_500(client):
    figures = corpus_figures(client)
    assert figures["diagrams"] >= 30
    assert figures["server_errors"] == 0
    assert figures["published_after_fixes"] >= 25
    # every diagram that publishes starts and reaches an open task or a normal end
    assert figures["started_and_reached_task_or_end"] == figures["published_after_fixes"]
    for row in figures["rows"]:
        assert row["published"] or row["problems"], row  # refused with reasons, never silently
        for message in row["problems"]:
            assert message and not PYTHON_TEXT.search(message), (row["file"], message)


def test_validation_separates_errors_from_warnings_and_offers_fixes(api):
    owner = api("process_owner")
    body = _upload(owner, "/api/v1/models/validate", _file("signavio_quotation.bpmn")).get_json()
    assert body["valid"] is False
    assert [(p["code"], p["fix"]) for p in body["problems"]] == [("not_executable", "mark_executable")]
    codes = {w["code"] for w in body["warnings"]}
    assert {"plain_task", "vendor_extension"} <= codes
    assert {f["fix"] for f in body["fixes"]} == {"mark_executable", "drop_vendor"}
    assert all(f["label"] for f in body["fixes"])
    refused = _upload(owner, "/api/v1/models", _file("signavio_quotation.bpmn"))
    assert refused.status_code == 422  # nothing is fixed unless the owner asks for it
    fixed = _upload(owner, "/api/v1/models/validate", _file("signavio_quotation.bpmn"), ["mark_executable"])
    assert fixed.get_json()["valid"] is True and fixed.get_json()["warnings"]  # warnings never stop publishing
    published = _upload(owner, "/api/v1/models", _file("signavio_quotation.bpmn"), ["mark_executable", "drop_vendor"])
    assert published.status_code == 201, published.get_json()
    stored = owner.get("/api/v1/models/signavio_quotation/versions/1/files/signavio_quotation.bpmn").get_data(as_text=True)
    assert 'isExecutable="true"' in stored and "signavio:" not in stored.replace('xmlns:signavio', '')


def test_a_plain_task_is_a_manual_inbox_task_in_its_lane(api):
    owner, sales = api("process_owner"), api("sales")
    assert _upload(owner, "/api/v1/models", _file("visio_invoice_check.bpmn"), ["mark_executable"]).status_code == 201
    finance = api("finance")
    case = finance.post("/api/v1/processes/visio_invoice_check/instances", {}).get_json()
    assert [(t["title"], t["group"]) for t in case["open_tasks"]] == [("Record invoice check", "finance")]
    task_id = case["open_tasks"][0]["id"]
    assert task_id in {t["id"] for t in finance.get("/api/v1/tasks").get_json()["tasks"]}
    assert task_id not in {t["id"] for t in sales.get("/api/v1/tasks").get_json()["tasks"]}
    assert finance.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    assert finance.post(f"/api/v1/tasks/{task_id}/complete", {"data": {}}).status_code == 200
    after = finance.get(f"/api/v1/instances/{case['id']}").get_json()
    assert [t["title"] for t in after["open_tasks"]] == ["Review"]


@pytest.mark.parametrize("name, fragment", [
    ("signavio_offer_answer.bpmn", "sid-msg-missing"),
    ("camunda7_service_erp.bpmn", "Service Task must have an operator"),
    ("visio_customer_call.bpmn", "'Customer'"),
])
def test_unrunnable_elements_are_refused_naming_the_element(api, name, fragment):
    owner = api("process_owner")
    fixes = [f["fix"] for f in _upload(owner, "/api/v1/models/validate", _file(name)).get_json()["fixes"]]
    response = _upload(owner, "/api/v1/models", _file(name), fixes)
    assert response.status_code == 422
    problems = response.get_json()["error"]["problems"]
    assert any(fragment in p["message"] and p["element_id"] for p in problems), problems
    assert not any(PYTHON_TEXT.search(p["message"]) for p in problems)


def test_undefined_references_no_longer_leak_a_python_error():
    data = (FOREIGN / "yaoqiang_offer_answer.bpmn").read_bytes()
    found = [f for f in engine_foreign.findings("x.bpmn", data) if f.code == "undefined_reference"]
    assert len(found) == 1 and found[0].severity == "error" and found[0].element_id


def test_data_store_fix_removes_the_store_its_associations_and_shapes():
    data = (FOREIGN / "bizagi_crm_lookup.bpmn").read_bytes()
    fixed = engine_foreign.apply_fixes(data, ["drop_data_stores"]).decode()
    assert "dataStore" not in fixed and "dataInputAssociation" not in fixed
    assert not [f for f in engine_foreign.findings("x.bpmn", fixed.encode()) if f.code == "data_store"]
    assert engine_foreign.apply_fixes(data, []) == data  # nothing asked, nothing changed


def test_expressions_of_other_tools_are_rewritten_only_when_valid():
    assert engine_foreign.convert_expression("${amount > 5000 && !rush}") == "amount > 5000 and not rush"
    assert engine_foreign.convert_expression("${a != b || c eq 'x'}") == "a != b or c == 'x'"
    assert engine_foreign.convert_expression("${amount >}") is None
    assert engine_foreign.convert_expression("amount > 1") is None


def _cli_app(tmp_path, url):
    return create_app(Config(DATABASE_URL=url, SECRET_KEY="x", TESTING=True))


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/never-created.sqlite3",
                                 "postgresql+psycopg2://nobody@127.0.0.1:1/none"])
def test_publish_check_needs_no_database(tmp_path, url):
    app = _cli_app(tmp_path, url.format(tmp=tmp_path))
    runner = app.test_cli_runner()
    good = runner.invoke(args=["publish", "--check", str(FIXTURES.parent.parent / "processes"),
                               "--forms", str(FIXTURES.parent.parent / "forms")])
    assert good.exit_code == 0, good.output
    assert "ok      contract_review" in good.output and "Traceback" not in good.output
    refused = runner.invoke(args=["publish", "--check", str(FOREIGN / "signavio_quotation.bpmn")])
    assert refused.exit_code == 1
    assert 'isExecutable="true"' in refused.output and "--fix mark_executable" in refused.output
    fixed = runner.invoke(args=["publish", "--check", "--fix", "mark_executable", str(FOREIGN / "signavio_quotation.bpmn")])
    assert fixed.exit_code == 0 and "ok      signavio_quotation" in fixed.output
    assert "warning signavio_quotation.bpmn" in fixed.output  # plain tasks, ignored extensions: not errors
    assert not (tmp_path / "never-created.sqlite3").exists()


def test_console_offers_the_fixes_and_publishes_with_them_without_a_new_upload(client):
    client.post("/login", data={"username": "process_owner", "password": "demo"})
    data = (FOREIGN / "camunda7_order_approval.bpmn").read_bytes()
    page = client.post("/console/upload", data={"files": [(io.BytesIO(data), "camunda7_order_approval.bpmn")],
                                                "action": "validate"}, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and 'id="fixes"' in html and 'value="manual_without_form"' in html
    assert 'class="badge claimed fixable"' in html
    carried = base64.b64encode(data).decode()
    done = client.post("/console/upload", data={"carried_name": "camunda7_order_approval.bpmn",
                                                "carried_data": carried, "fixes": ["manual_without_form", "drop_vendor"],
                                                "action": "publish"})
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    assert "camunda7_order_approval" in done.get_data(as_text=True)
