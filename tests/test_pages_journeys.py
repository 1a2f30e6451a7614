"""The four journeys in a real browser (Debian Chromium), each at 1366×900 in English and 390×844 in
Chinese: a complaint started by Sales and worked through five departments; a head's queue with bulk claim
and reassignment; a process owner's console; an auditor's search, history and export. Every page shown
is checked (tests/page_checks.py): no wider than the viewport, no console error, no engine identifier or
ISO timestamp in a staff page's text, every form control labelled, axe-core without serious/critical
violations. One browser and one server for the module."""
import pytest

from tests import page_checks as pc
from tests.complaint_helpers import ComplaintDesk, complaint_form

COMBOS = pc.COMBOS


def _queue(app):
    desk = ComplaintDesk(app.extensions["db"])
    for n in range(3):  # a queue for Quality's head
        desk.open(customer=f"队列客户{n}", order_no=f"Q-{n}")
    return {"desk": desk, "ids": None}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with pc.browser_site(tmp_path_factory, "journeys", _queue) as site:
        yield site


@pytest.fixture(params=COMBOS, ids=[c[0] for c in COMBOS])
def checker(site, request):
    _name, viewport, locale = request.param
    site["ids"] = pc.engine_identifiers(site["db"])
    checker = pc.PageChecker(site["browser"], site["base"], viewport, locale, site["ids"])
    yield checker
    checker.close()
    assert not checker.problems, pc.dump(checker.problems)


def _work(c, username, expect_text=None, values=None, what="task"):
    """Sign in, claim the first queue task of the case (by its customer), fill and complete it."""
    page = c.page
    c.sign_in(username)
    page.goto("/queue")
    c.check(f"{username} queue")
    row = page.locator("tr[data-task]", has_text=expect_text)
    row.first.locator("button.claim").click()
    page.wait_for_load_state()
    c.check(f"{username} {what} form")
    pc.fill_form(page, values or {})
    page.click("#complete")
    page.wait_for_load_state()
    assert page.locator("#done-case-link").count() == 1, page.locator("main").inner_text()[:500]
    c.check(f"{username} after completing {what}")
    c.sign_out()


def test_complaint_through_five_departments(site, checker):
    c, page = checker, checker.page
    customer = f"旅程客户-{c.locale}"
    c.sign_in("sales")
    c.nav("#nav-start")
    c.check("start list")
    page.click("[data-process=complaint_handling]")
    c.check("start form")
    form = complaint_form(customer=customer, order_no=f"J-{c.locale}", delivery_date=pc.china_today(),
                          received_on=pc.china_today(), channel="email", claimed_amount=12345.6)
    pc.fill_form(page, {k: v for k, v in form.items()})
    page.click("#start")
    page.wait_for_load_state()
    assert page.locator("#case-status").count() == 1
    c.check("case page after start")
    text = page.locator("main").inner_text()
    assert "¥12,345.60" in text  # money as money
    assert ("电子邮件" in text or "邮件" in text) if c.locale == "zh" else "mail" in text.lower()
    c.sign_out()

    _work(c, "quality", customer, {"cause_category": "quality", "special_type": "none",
                                   "quality_can_visit": True}, "acceptance")
    desk = site["desk"]
    _work(c, "production", customer, {"workshop": "二车间", "shift": "夜班", "operator": "张伟",
                                      "production_date": pc.china_today(), "production_cause": "烧结温度偏高",
                                      "countermeasure": "校准烧结炉"}, "investigation")
    _work(c, "tech_rd", customer, {"cause_analysis": "晶粒粗大", "improvement": "调整工艺曲线"}, "analysis")
    _work(c, "quality", customer, {"inspection_result": "抽检属实", "defect_confirmed": True,
                                   "report_to_gm": "已呈报"}, "inspection")
    c.sign_in("gm_office")
    page.goto("/queue")
    c.check("gm office queue")
    page.locator("tr[data-task]", has_text=customer).first.locator("button.claim").click()
    page.wait_for_load_state()
    c.check("gm consolidation form")
    page.click("#case-link")
    page.wait_for_load_state()
    page.wait_for_selector("#diagram.rendered")
    c.check("case page with diagram")
    page.locator(".diagram-tools .zoom-in").click()
    page.locator(".diagram-tools .fit").click()
    page.focus("#diagram")
    page.keyboard.press("+")
    page.keyboard.press("ArrowLeft")
    assert desk is not None


def test_head_queue_bulk_claim_and_reassign(site, checker):
    c, page = checker, checker.page
    c.sign_in("quality_head")
    page.goto("/queue?sort=key&dir=asc&size=2")
    c.check("head queue, page 1 of 2")
    assert page.locator(".pager .total").count() == 1
    boxes = page.locator("input[name=task_id]")
    assert boxes.count() == 2
    boxes.nth(0).check()
    page.click("button[name=action][value=claim]")
    page.wait_for_load_state()
    assert "sort=key" in page.url  # filters and sort kept
    c.check("head queue after bulk claim")
    page.goto("/workload")
    c.check("workload")
    assert page.locator("select[name=assignee] option:checked").first.get_attribute("value") == ""
    held = page.locator("tr", has=page.locator("span.person")).first
    choice = held.locator("select[name=assignee] option").nth(1).get_attribute("value")
    held.locator("select[name=assignee]").select_option(choice)  # someone other than the holder
    held.locator("button[type=submit]").click()
    page.wait_for_load_state()
    c.check("workload after reassignment")
    assert page.locator(".flash.error").count() == 0


def test_process_owner_console(site, checker):
    c, page = checker, checker.page
    if c.viewport["width"] < 1000:
        c.viewport = dict(pc.WIDE)  # the console is a desktop tool (≥1024 px)
        page.set_viewport_size(c.viewport)
    c.sign_in("process_owner")
    page.goto("/console/")
    c.check("console list", staff=False)
    page.goto("/console/complaint_handling/edit")
    page.wait_for_selector("#bpmn-canvas .djs-container")
    page.click("#validate")
    page.wait_for_function("document.getElementById('editor-status').textContent.length > 0")
    c.check("console editor after validation", staff=False)
    page.click("#file-list button:has-text('complaint_intake.schema.json')")
    page.wait_for_selector("#form-preview [data-field=channel] select")  # the task page's own renderer
    assert page.locator("#form-preview [data-field=reported_to_marketing_head] input[type=radio]").count() == 2
    page.locator("#form-text").press("End")
    page.locator("#form-text").type(" ")
    page.locator("#file-list button", has_text="•").first.wait_for()  # the unsaved file is marked
    c.check("console form preview with an unsaved change", staff=False)
    page.goto("/console/complaint_handling/migrate")
    c.check("console migration", staff=False)


def test_auditor_search_history_export(site, checker):
    c, page = checker, checker.page
    if c.viewport["width"] < 1000:
        c.viewport = dict(pc.WIDE)  # audit pages are desktop pages (≥1024 px)
        page.set_viewport_size(c.viewport)
    c.sign_in("auditor")
    page.goto("/audit/")
    c.check("audit search", staff=False)
    page.goto("/audit/?customer=队列客户")
    c.check("audit search filtered", staff=False)
    link = page.locator("table a[href*='/audit/cases/']").first
    link.click()
    page.wait_for_load_state()
    c.check("audit case history", staff=False)
    with page.expect_download() as download:
        page.locator("a[href$='history.csv']").first.click()
    assert download.value.suggested_filename.endswith(".csv")
