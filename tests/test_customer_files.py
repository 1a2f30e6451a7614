"""Customer files (主要客户档案, seed 000 S7 L123): every case links to its customer (picked from the files or
created from the intake), the customer page lists all their cases and the contact register, contact fields are
masked like case contact data, key customers show on inbox rows and get shorter internal targets (DMN
customer_priority)."""
import pytest
from sqlalchemy import select

from app import clock
from app.models import AuditEvent, Customer, CustomerCase
from app.services.customers import files
from app.services.errors import ValidationFailed
from tests.customer_helpers import CareDesk, china, publish_care
from tests.web_helpers import login


@pytest.fixture
def care(db):
    clock.set_now(china("2026-03-02", 10))
    publish_care(db)
    yield CareDesk(db)
    clock.set_now(None)


def _key(care, name, year=2026):
    with care.db.session() as session:
        files.set_key_customer(session, files.find_by_name(session, name), True, year, "vp")


def test_a_new_customer_is_created_from_the_intake_and_found_again_by_name(care):
    """seed 000 S5/S7: the customer file is set up from the first case; the next case of the same customer (name
    written differently in case and spacing) links to the same file."""
    first = care.start("overseas_repair", {
        "customer_name": "Hanse Werkzeuge GmbH", "country": "德国 / Germany", "address": "Hamburg, Hafenstr. 1",
        "contact": "Herr Maier +49 40 1234", "product": "硬质合金刀片", "model_spec": "YG8", "serial_no": "SN-1",
        "purchase_date": "2025-06-01", "fault_description": "崩刃", "quantity": 2, "service_type": "C",
        "region": "overseas"})
    customer = care.customer("Hanse Werkzeuge GmbH")
    assert customer.address == "Hamburg, Hafenstr. 1" and customer.contact_person == "Herr Maier +49 40 1234"
    assert customer.country == "德国 / Germany" and customer.created_by == "sales"
    second = care.closed_complaint(customer="  hanse   werkzeuge gmbh ")
    with care.db.session() as session:
        links = {row.instance_id: row.customer_id for row in session.scalars(select(CustomerCase))}
        assert links[first] == links[second] == customer.id
        assert session.scalar(select(AuditEvent).where(AuditEvent.event_type == "customer_created")) is not None
        assert len(session.scalars(select(Customer)).all()) == 1


def test_customer_files_refuse_bad_input_and_duplicates(care):
    care.add_customer(name="株洲硬质合金集团")
    with pytest.raises(ValidationFailed) as exc:
        care.add_customer(name=" 株洲硬质合金集团 ")
    assert "name" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        care.add_customer(name="", prior_year_sales="很多")
    assert set(exc.value.field_errors) == {"name", "prior_year_sales"}
    with care.db.session() as session:
        assert session.scalar(select(Customer).where(Customer.name == "")) is None


def test_key_customer_gets_a_shorter_complaint_target_and_shows_on_inbox_rows(care, app):
    """[decision] DMN customer_priority: a key customer's complaint must close within 4 days of acceptance (6 for
    others, BC-DIR-059 4.7.1); the inbox row names the customer as a key customer."""
    care.add_customer(name="重点客户甲")
    _key(care, "重点客户甲")
    key_case = care.open(customer="重点客户甲", received_on="2026-03-02")
    other = care.open(customer="普通客户乙", received_on="2026-03-02")
    assert care.case(key_case).case_data["priority"] == "high"
    assert care.case(other).case_data["priority"] == "normal"
    care.accept(key_case)
    care.accept(other)
    assert care.case(key_case).case_data["internal_due_at"].startswith("2026-03-06")
    assert care.case(other).case_data["internal_due_at"].startswith("2026-03-08")
    page = login(app.test_client(), "production").get("/queue").get_data(as_text=True)
    rows = [r for r in page.split("<tr") if "重点客户甲" in r or "普通客户乙" in r]
    assert rows and all(("key-customer" in r) == ("重点客户甲" in r) for r in rows)


def test_key_customer_repair_first_reply_is_escalated_sooner(care):
    """[decision] DMN customer_priority: a key customer's missing first reply reaches the Sales head after 8 hours
    (24 for others)."""
    care.add_customer(name="Key Mining AG")
    _key(care, "Key Mining AG")
    intake = {"country": "德国 / Germany", "address": "Essen", "contact": "Frau Roth", "product": "钻头",
              "model_spec": "K20", "serial_no": "SN-9", "purchase_date": "2025-06-01", "fault_description": "断裂",
              "quantity": 1, "service_type": "C", "region": "overseas"}
    key = care.start("overseas_repair", intake | {"customer_name": "Key Mining AG"})
    other = care.start("overseas_repair", intake | {"customer_name": "Other Mining AG"})
    assert care.fire_at(china("2026-03-02", 18, 0, 1)) == 1  # 8 hours: only the key customer's timer
    assert "escalate_first_reply" in care.open_tasks(key)
    assert "escalate_first_reply" not in care.open_tasks(other)


def test_customer_page_lists_all_cases_and_masks_contacts_for_other_departments(care, app):
    """The customer page lists open and closed cases; contact fields are visible to Sales (who keeps the files)
    and to departments working one of the customer's cases, masked for everyone else."""
    cid = care.add_customer(name="武汉重工机械有限公司", phone="027-88886666", contact_person="王经理",
                            address="武汉市东西湖区 8 号")
    closed = care.closed_complaint()
    running = care.open(received_on="2026-03-02")
    sales = login(app.test_client(), "sales")
    page = sales.get(f"/customers/{cid}").get_data(as_text=True)
    assert "027-88886666" in page and "王经理" in page
    for iid in (closed, running):
        assert f"/cases/{iid}" in page
    assert "客户投诉处理" in page and ">complaint_handling<" not in page
    finance = login(app.test_client(), "finance").get(f"/customers/{cid}").get_data(as_text=True)
    assert "027-88886666" not in finance and "王经理" not in finance and "******" in finance
    quality = login(app.test_client(), "quality").get(f"/customers/{cid}").get_data(as_text=True)
    assert "027-88886666" in quality  # Quality works the customer's complaint


def test_sales_keeps_the_files_and_the_contact_register(care, app):
    sales = login(app.test_client(), "sales")
    response = sales.post("/customers/new", data={"name": "", "phone": "1"})
    assert response.status_code == 422 and "请" in response.get_data(as_text=True)
    response = sales.post("/customers/new", data={"name": "南昌客户", "phone": "0791-1234567",
                                                   "prior_year_sales": "6,200,000"})
    assert response.status_code == 302
    cid = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert care.customer("南昌客户").prior_year_sales == 6200000
    response = sales.post(f"/customers/{cid}/contacts", data={"channel": "call", "direction": "inbound",
                                                               "subject": "", "notes": "询价"})
    assert response.status_code == 422 and care.contacts(cid) == []
    response = sales.post(f"/customers/{cid}/contacts", data={"channel": "call", "direction": "inbound",
                                                               "subject": "询问新刀片价格", "notes": "已报价"})
    assert response.status_code == 302
    assert [c.subject for c in care.contacts(cid)] == ["询问新刀片价格"]
    assert "询问新刀片价格" in sales.get(f"/customers/{cid}").get_data(as_text=True)
    other = login(app.test_client(), "production")
    assert other.post("/customers/new", data={"name": "X"}).status_code == 403
    assert other.post(f"/customers/{cid}/contacts", data={"channel": "call", "direction": "inbound",
                                                           "subject": "x"}).status_code == 403
    listing = other.get("/customers?q=南昌").get_data(as_text=True)
    assert "南昌客户" in listing and "0791-1234567" not in listing


def test_starting_a_case_from_the_customer_page_prefills_the_customer(care, app):
    cid = care.add_customer(name="Hanse Werkzeuge GmbH", address="Hamburg", contact_person="Herr Maier",
                            country="德国 / Germany")
    sales = login(app.test_client(), "sales")
    page = sales.get(f"/start/overseas_repair?customer_id={cid}").get_data(as_text=True)
    assert 'value="Hanse Werkzeuge GmbH"' in page and 'value="Herr Maier"' in page
    assert f"/start/complaint_handling?customer_id={cid}" in sales.get(f"/customers/{cid}").get_data(as_text=True)
