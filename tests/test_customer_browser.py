"""The customer-care pages in a real browser (Debian Chromium), at 1366×900 in English and 390×844 in Chinese:
the customer list, a key customer's page with cases and the contact register (Sales registers a call), the
start form filled from the customer file, the after-sales report with its charts, and the key-customer badge
on the inbox. Every page is checked by tests/page_checks.py (width, console errors, engine identifiers, ISO
times, labels, axe-core)."""

from app import clock
from app.services.customers import files
from tests import page_checks as pc
from tests.customer_helpers import CALL, GOOD_SURVEY, CareDesk, china

COMBOS = pc.COMBOS


def _customers(app):
    db = app.extensions["db"]
    desk = CareDesk(db)
    cid = desk.add_customer(name="重点客户甲 Heavy Industries Co., Ltd.", phone="027-88886666", contact_person="王经理",
                            address="湖北省武汉市东西湖区工业大道 8 号", country="中国", prior_year_sales="6200000",
                            main_products="硬质合金刀片 YG8、YG6X 系列")
    with db.session() as session:
        files.set_key_customer(session, files.get(session, cid), True, 2026, "vp")
    desk.closed_complaint(customer="重点客户甲 Heavy Industries Co., Ltd.")
    desk.open(customer="重点客户甲 Heavy Industries Co., Ltd.", received_on=pc.china_today())
    fid = desk.followup(customer="重点客户甲 Heavy Industries Co., Ltd.", service_done_on=pc.china_today())
    desk.fire_at(clock.now() + (china("2026-03-06") - china("2026-03-02")))
    desk.do("sales", fid, "first_call", CALL)
    desk.do("sales", fid, "satisfaction_survey", GOOD_SURVEY | {"score_delivery": 2})
    surveyed_month = pc.china_today()[:7]  # the month of the survey (the clock moved to the call window)
    clock.set_now(None)
    return {"customer_id": cid, "month": surveyed_month}


site, checker = pc.module_fixtures("care", _customers, COMBOS)


def test_customer_pages(site, checker):
    c, page = checker, checker.page
    c.sign_in("sales")
    c.nav("#nav-customers")
    c.check("customer list")
    from playwright.sync_api import expect
    expect(page.locator("#customers .key-customer")).to_have_count(1)  # waits for the list to be drawn
    page.click("#customers tbody td.card-title-cell a >> nth=0")
    page.wait_for_load_state()
    c.check("customer page")
    assert page.locator("#customer-cases tbody tr").count() == 4  # two complaints, two follow-ups
    page.fill("#c-subject", "询问新刀片价格" if c.locale == "zh" else "Price enquiry")
    page.click("#register-contact")
    page.wait_for_load_state()
    c.check("customer page after registering a call")
    assert page.locator("#contact-register tbody tr").count() >= 2
    page.click("#start-for-customer a >> nth=0")
    page.wait_for_load_state()
    c.check("start form filled from the customer file")
    assert "重点客户甲" in page.locator("#f-customer").input_value()
    page.goto(f"/customers/{site['customer_id']}/edit")
    c.check("edit customer file")
    page.goto("/customers/new")
    c.check("new customer")


def test_after_sales_report_and_inbox_badge(site, checker):
    c, page = checker, checker.page
    c.sign_in("gm_office")
    page.goto(f"/customers/reports/after-sales?month={site['month']}")
    page.wait_for_function("document.body.dataset.charts === 'ready'")
    c.check("after-sales report")
    assert page.locator("#satisfaction tbody tr").count() == 4
    c.sign_out()
    c.sign_in("quality")
    c.nav("#nav-queue")
    c.check("queue with a key customer")
    assert page.locator("tr[data-task] .key-customer").count() >= 1
