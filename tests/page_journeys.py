"""The four journeys in a real browser (Debian Chromium): a complaint started by Sales and worked through five
departments; a head's queue with bulk claim and reassignment; a process owner's edit, validation, publication
and migration in the console; an auditor's search, history and export. Every page shown is checked
(tests/page_checks.py): no wider than the viewport, no console error, no engine identifier or ISO timestamp
in a staff page's text, every form control labelled, axe-core without serious/critical violations.

Each journey runs at 390×844 and at 1366×900 in one language; test_pages_journeys.py (Chinese) and
test_pages_journeys_en.py (English) import the tests from here and choose the language, so two workers of
`pytest -n --dist loadfile` share them. One server and one browser per module; the journeys of a module run in
this file's order on the same cases."""
import json
import re

import pytest

from tests import page_checks as pc
from tests.complaint_helpers import ComplaintDesk

# what a journeys module imports, in the order the journeys run (the owner's migration moves the cases the
# first two journeys leave)
__all__ = ["site", "combo", "checker", "test_complaint_through_five_departments",
           "test_head_queue_bulk_claim_and_reassign", "test_process_owner_edit_validate_publish_migrate",
           "test_auditor_search_history_export"]

OWNER_TASK = "quality_accept"  # the step the process owner renames; the prepared case has done it
# the new label of OWNER_TASK per combo (each run publishes a version of its own)
NEW_LABELS = {"phone": {"zh": "品质部受理投诉、编号并登记", "en": "Quality accepts the complaint, numbers and registers it"},
              "wide": {"zh": "品质部受理客户投诉、编号并登记",
                       "en": "Quality accepts the customer complaint, numbers and registers it"}}
TIMER = "commitment_timer"  # the element the owner gets wrong once, to see the problem list


def combo_params(locale: str):
    combos = pc.JOURNEY_COMBOS[locale]
    return pytest.mark.parametrize("combo", combos, ids=[c[0] for c in combos], indirect=True)


def _prepare(app):
    """Three complaints in Quality's queue; one accepted by Quality and waiting in Production, whose
    history holds the step the process owner renames."""
    from app.models import ProcessVersion
    from app.services.modelling.publishing import latest_version
    db = app.extensions["db"]
    desk = ComplaintDesk(db)
    for n in range(3):  # a queue for Quality's head
        desk.open(customer=f"队列客户{n}", order_no=f"Q-{n}")
    moved = desk.open(customer="迁移客户", order_no="M-1")
    desk.accept(moved)
    with db.session() as session:
        version: ProcessVersion = latest_version(session, "complaint_handling")
        first = {"zh": version.task_catalog[OWNER_TASK]["title"],
                 "en": version.meta["labels"]["en"][OWNER_TASK]}
    return {"desk": desk, "ids": None, "moved": moved, "first_labels": first, "tally": pc.Tally()}


@pytest.fixture(scope="module")
def site(tmp_path_factory, request):
    name = request.module.__name__.rsplit(".", 1)[-1]
    with pc.browser_site(tmp_path_factory, name, _prepare) as site:
        yield site
        summary = site["tally"].summary(name)
        if getattr(request.config, "cache", None) is not None:  # absent under -p no:cacheprovider
            request.config.cache.set(f"pages/{name}", summary)  # .pytest_cache/v/pages/<module>
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line("\n" + summary)


@pytest.fixture
def combo(request):
    return request.param


@pytest.fixture
def checker(site, combo):
    _name, viewport, locale = combo
    site["ids"] = pc.engine_identifiers(site["db"])
    checker = pc.PageChecker(site["browser"], site["base"], viewport, locale, site["ids"])
    yield checker
    checker.close()
    site["tally"].add(checker)
    assert not checker.problems, pc.dump(checker.problems)


def _resize(c, viewport: dict):
    """The console's editor and version changes are desktop tools (≥1024 px): on a phone combo they are
    looked at wide, and the pages after them at the combo's width again."""
    if c.viewport != viewport:
        c.viewport = dict(viewport)
        c.page.set_viewport_size(c.viewport)


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
    from tests.complaint_helpers import complaint_form
    c, page = checker, checker.page
    customer = f"旅程客户-{c.viewport['width']}"
    c.sign_in("sales")
    c.nav("#nav-start")
    c.check("start list")
    page.click("[data-process=complaint_handling]")
    c.check("start form")
    form = complaint_form(customer=customer, order_no=f"J-{c.viewport['width']}", delivery_date=pc.china_today(),
                          received_on=pc.china_today(), channel="email", claimed_amount=12345.6)
    pc.fill_form(page, form)
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
    c.check("case page after zooming the diagram")


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


def _canvas_text(page, element_id: str, canvas: str = "#bpmn-canvas") -> str:
    """An element's label as drawn (bpmn-js wraps it over lines)."""
    return re.sub(r"\s+", "", page.locator(f"{canvas} [data-element-id={element_id}] text").first.text_content())


def test_process_owner_edit_validate_publish_migrate(site, checker, combo):
    """The owner renames the acceptance step (in English also its English label), gets a timer wrong once
    and reads the problem in the page's language, fixes it, publishes, and migrates every waiting case of
    the older versions (a label change blocks none); the moved case runs the new version while its history
    keeps the step under the name it had when it was done."""
    from playwright.sync_api import expect
    c, page = checker, checker.page
    new = NEW_LABELS[combo[0].split("-")[0]]
    old = site["first_labels"][c.locale]  # the name in the version the prepared case ran when it was accepted
    c.sign_in("process_owner")
    c.nav("#nav-console")
    c.check("console list", staff=False)
    _resize(c, pc.WIDE)
    page.goto(f"/console/complaint_handling/edit#{OWNER_TASK}")  # an element link selects the element
    page.wait_for_selector("body[data-editor-ready=true]")
    c.check("console editor", staff=False)

    name = page.locator("#bpmn-props [data-prop=name]")
    name.fill(new["zh"])
    name.press("Tab")
    assert _canvas_text(page, OWNER_TASK) == new["zh"]
    if c.locale == "en":  # the English label lives in the process's label file
        page.click("#file-list [data-file='i18n/complaint_handling.en.json']")
        text = page.locator("#form-text")
        expect(text).not_to_have_value("")
        labels = json.loads(text.input_value())
        labels[OWNER_TASK] = new["en"]
        text.fill(json.dumps(labels, ensure_ascii=False, indent=1))
        page.locator("#file-list [data-file='i18n/complaint_handling.en.json']", has_text="•").wait_for()
        c.check("console label file edited", staff=False)
    page.click("#save-draft")
    expect(page.locator("#editor-status")).to_have_text("草稿已保存。" if c.locale == "zh" else "Draft saved.")
    expect(page.locator("#file-list button", has_text="•")).to_have_count(0)

    # the saved draft opens again at the timer (element link); a value without quotes: validation names the
    # problem in the page's language
    page.goto(f"/console/complaint_handling/edit#{TIMER}")
    page.reload()  # the same page with another element link
    page.wait_for_selector("body[data-editor-ready=true]")
    assert _canvas_text(page, OWNER_TASK) == new["zh"]  # the draft, not the published version
    timer = page.locator("#bpmn-props [data-prop=timer]")
    original = timer.input_value()
    timer.fill("P3D")
    timer.press("Tab")
    page.click("#validate")
    problem = page.locator("#problems li.problem", has_text=TIMER)
    expect(problem).to_have_count(1)
    assert ("引号" if c.locale == "zh" else "in quotes") in problem.inner_text()
    expect(page.locator("#editor-status")).to_have_text("发现问题，请查看列表。" if c.locale == "zh"
                                                        else "Problems found; see the list.")
    c.check("console editor with a problem", staff=False)
    problem.locator("a").click()  # selects the element again
    expect(timer).to_have_value("P3D")
    timer.fill(original)
    timer.press("Tab")
    page.click("#validate")
    expect(page.locator("#editor-status")).to_have_text("未发现问题。" if c.locale == "zh" else "No problems found.")
    expect(page.locator("#problems li")).to_have_count(0)

    page.click("#publish")
    expect(page.locator("#editor-status")).to_contain_text("complaint_handling v")
    version = int(re.search(r"complaint_handling v(\d+)", page.locator("#editor-status").inner_text()).group(1))
    assert version >= 2
    c.check("console editor after publishing", staff=False)
    page.goto(f"/console/complaint_handling/diff?from={version - 1}&to={version}")
    assert new["zh"] in page.locator("main").inner_text()
    c.check("console version changes", staff=False)

    _resize(c, combo[1])  # migration, case and history pages fit a phone
    page.goto("/console/complaint_handling/migrate")
    c.check("console migration dry run", staff=False)
    rows = page.locator("#dry-run tr[data-instance]")
    assert rows.count() >= 4  # the queue, the prepared case and the complaints of the first journey
    assert page.locator("#dry-run tr.blocked").count() == 0, page.locator("#dry-run").inner_text()
    expect(page.locator(f"#dry-run tr[data-instance='{site['moved']}'] input[name=instance_id]")).to_be_checked()
    chosen = page.locator("#dry-run input[name=instance_id]:checked").count()
    page.click("#run-migration")
    page.wait_for_load_state()
    moved = page.locator("#migration-results li.ok")
    expect(moved).to_have_count(chosen)
    assert page.locator("#migration-results li.error").count() == 0
    expect(moved.filter(has_text=f"#{site['moved']}")).to_contain_text(str(version))
    expect(page.locator("#dry-run tr[data-instance]")).to_have_count(0)  # nothing older is left
    c.check("console migration done", staff=False)

    # the case now runs the new version (its diagram), its timeline keeps the name the step had when done
    page.goto(f"/cases/{site['moved']}")
    page.wait_for_selector("#diagram.rendered")
    assert _canvas_text(page, OWNER_TASK, "#diagram") == re.sub(r"\s+", "", new[c.locale])  # in the page language
    assert old in page.locator("#timeline").inner_text()
    c.check("case page after migration")
    c.sign_out()

    c.sign_in("auditor")
    page.goto(f"/audit/cases/{site['moved']}")
    c.check("audit case history after migration", staff=False)
    assert f"v{version}" in page.locator(".audit-summary").inner_text()
    done = page.locator("#history tr.ev-completed").first  # the acceptance, done on the first version
    assert old in done.inner_text() and new[c.locale] not in done.inner_text(), done.inner_text()
    expect(page.locator("#history tr.ev-migrated").last).to_contain_text(str(version))


def test_auditor_search_history_export(site, checker):
    c, page = checker, checker.page
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
    page.goto("/audit/dashboard?process=complaint_handling")
    page.wait_for_load_state("networkidle")
    # the deadline dashboard names processes, steps and departments as staff pages do (no codes)
    c.check("audit deadline dashboard")
