"""The search box in the page header finds cases and tasks by business key, a reference number the process
declares searchable, the customer and the case number - also a case that has no number yet; the
administrator's webhook and service-account pages."""
from pathlib import Path

import pytest

from app.services.modelling import publishing
from web_helpers import login

MESSAGES = Path(__file__).parent / "fixtures" / "messages"


@pytest.fixture
def cases(db, published, api):
    with db.session() as session:
        publishing.publish(session, publishing.collect_paths([MESSAGES], None), "tester")
    sales = api("sales")
    made = {}
    for key, order, customer in (("HT-2026-001", "PO-77", "宁波海天机械"), ("HT-2026-002", "PO-78", "Beta GmbH")):
        made[key] = sales.post("/api/v1/processes/licence_wait/instances", json={"data": {
            "contract_no": key, "order_no": order, "customer": customer}}).get_json()["id"]
    # a customer's letter that nobody has numbered yet: a case without business key
    made["new"] = api("admin").post("/api/v1/messages/customer_message", json={"data": {
        "customer": "新客户 宁波", "text": "货损"}}).get_json()["instance_id"]
    return made


def _page(client, q):
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_header_search_finds_cases_by_what_people_know(app, cases):
    sales = login(app.test_client(), "sales")
    home = sales.get("/").get_data(as_text=True)
    assert 'id="header-search"' in home and 'action="/search"' in home

    by_order = _page(sales, "PO-78")
    assert "HT-2026-002" in by_order and "HT-2026-001" not in by_order
    assert "测试等待许可证" in by_order and "licence_wait" not in by_order  # the process name, not its id
    by_customer = _page(sales, "宁波")
    assert "HT-2026-001" in by_customer and f"/cases/{cases['new']}" in by_customer
    assert "HT-2026-002" not in by_customer
    by_number = _page(sales, str(cases["new"]))
    assert f"/cases/{cases['new']}" in by_number
    # the tasks of the found cases that Sales can take
    assert "申请许可证" in by_customer and "/tasks/" in by_customer
    nothing = _page(sales, "no-such-thing")
    assert "no-such-thing" in nothing and "/cases/" not in nothing.split("search-results", 1)[1]


def test_the_search_shows_only_cases_the_user_may_see(app, cases):
    finance = login(app.test_client(), "finance")
    assert "HT-2026-001" not in _page(finance, "HT-2026")
    auditor = login(app.test_client(), "auditor")
    assert "HT-2026-001" in _page(auditor, "HT-2026")


def test_integration_pages_for_the_administrator(app, cases):
    admin = login(app.test_client(), "admin")
    page = admin.get("/admin/integration/webhooks")
    assert page.status_code == 200
    made = admin.post("/admin/integration/webhooks", data={
        "name": "企业微信群", "url": "http://127.0.0.1:9/hook", "event_types": ["task.ready", "escalated"],
        "language": "zh"})
    text = made.get_data(as_text=True)
    assert made.status_code == 200 and "whsec_" in text and "企业微信群" in text
    refused = admin.post("/admin/integration/webhooks", data={"name": "x", "url": "http://example.com/h",
                                                             "event_types": ["task.ready"]})
    assert "localhost" in refused.get_data(as_text=True)
    account = admin.post("/admin/integration/service-accounts", data={
        "name": "erp", "start": "licence_wait", "read": "licence_wait", "messages": ""})
    assert "wfsa_" in account.get_data(as_text=True)
    listed = admin.get("/admin/integration/service-accounts").get_data(as_text=True)
    assert "测试等待许可证" in listed and "wfsa_" not in listed
    assert login(app.test_client(), "sales").get("/admin/integration/webhooks").status_code == 403


def test_the_business_processes_declare_the_reference_numbers_people_quote(app, db):
    """Each business process names its reference numbers as searchable (start property searchFields), each
    a field its forms declare; a new complaint is found by its order number before it has a number."""
    from app.services.cases import listing
    from app.services.labels import Labels
    from complaint_helpers import ComplaintDesk
    from process_helpers import publish
    every = publishing.collect_paths([Path(__file__).parents[1] / "processes"], Path(__file__).parents[1] / "forms")
    publish(db, every)
    with db.session() as session:
        declared = listing.searchable_fields(session)
        names = Labels(session, "zh")
        for process_id in ("complaint_handling", "contract_review", "export_licence", "overseas_repair"):
            assert declared.get(process_id), process_id
            known = names.declared(names.latest_version_id(process_id))
            assert set(declared[process_id]) <= known, (process_id, set(declared[process_id]) - known)
    assert "order_no" in declared["complaint_handling"] and "licence_no" in declared["export_licence"]
    desk = ComplaintDesk(db)
    desk.open(order_no="PO-31415", customer="检索测试客户")
    sales = login(app.test_client(), "sales")
    found = _page(sales, "PO-31415")
    assert "检索测试客户" in found and "/cases/" in found.split("search-results", 1)[1]
