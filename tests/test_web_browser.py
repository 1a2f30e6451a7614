"""The pages in a real browser (headless Debian Chromium driven by Playwright): sales starts a complaint
(the real complaint process of processes/), quality finds it in the department queue, claims it,
completes it after a validation error, switches to English and looks at the case diagram. Skipped with a
message where Chromium is not installed; in CI (env CI set) a missing browser is a failure."""
import json
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.clock import now
from app.config import PROJECT_ROOT, Config
from app.migrate import upgrade
from app.services.organisation import org
from app.services.modelling import publishing

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PROCESSES = PROJECT_ROOT / "processes"
COMPLAINT = [PROCESSES / "complaint_handling.bpmn", *sorted(PROCESSES.glob("complaint_*.dmn")),
             PROCESSES / "customer_followup.bpmn", PROCESSES / "customer_priority.dmn",
             PROCESSES / "satisfaction_action.dmn",
             PROCESSES / "i18n" / "complaint_handling.en.json"]


def _browser_or_skip():
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium); browser tests skipped"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed; browser tests skipped"
    if problem:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: " + problem)
        pytest.skip(problem)


@pytest.fixture
def live_server(tmp_path):
    _browser_or_skip()
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    upgrade(url)
    app = create_app(Config(DATABASE_URL=url, SECRET_KEY="browser-test"))
    with app.extensions["db"].session() as session:
        org.seed_demo(session)
        publishing.publish(session, publishing.collect_paths(COMPLAINT, PROJECT_ROOT / "forms"), "tester")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    app.extensions["db"].dispose()


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(base_url=live_server, locale="zh-CN")
        context.set_default_timeout(15000)
        yield context.new_page()
        context.close()
        browser.close()


def sign_in(page, username):
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("form.login button[type=submit]")
    page.wait_for_url("**/")


def sign_out(page):
    page.click("text=退出登录")
    page.wait_for_url("**/login")


def test_a_complaint_through_the_browser(page):
    from playwright.sync_api import expect

    sign_in(page, "sales")
    page.click("text=发起案件")
    page.click("[data-process=complaint_handling]")
    today = (now() + timedelta(hours=8)).date().isoformat()
    for name, value in {"customer": "浏览器测试客户", "order_no": "PO-77", "product": "硬质合金刀片",
                        "model_spec": "YG8", "quantity": "10", "delivery_date": today, "received_on": today,
                        "defect_description": "刀片崩刃", "customer_demand": "换货", "grounds": "已核实",
                        "claimed_amount": "800"}.items():
        page.fill(f"#f-{name}", value)
    page.select_option("#f-channel", "email")
    page.select_option("#f-origin", "domestic")
    page.check("[data-field=reported_to_marketing_head] input[value=yes]")
    page.click("#start")
    expect(page.locator("#case-status")).to_have_text("进行中")
    sign_out(page)

    sign_in(page, "quality")
    page.click("#nav-queue")
    row = page.locator("tr", has_text="浏览器测试客户")
    expect(row).to_have_count(1)
    row.locator("button.claim").click()
    expect(page.locator(".holder")).to_contain_text("质量管理部员工")
    case_url = page.get_attribute("#case-link", "href")

    page.fill("#f-accept_note", "样品已收到")
    page.click("#complete")
    expect(page.locator("[data-field=cause_category] .field-error")).to_have_text("此项为必填项。")
    expect(page.locator("#form-message")).to_be_visible()
    expect(page.locator("#f-accept_note")).to_have_value("样品已收到")

    page.select_option("#f-cause_category", "quality")
    page.select_option("#f-special_type", "none")
    page.check("[data-field=quality_can_visit] input[value=yes]")
    page.click("#complete")
    expect(page.locator(".flash")).to_contain_text("任务已完成。")

    page.click("#lang-en")
    expect(page.locator("#nav-mine")).to_contain_text("My tasks")
    page.goto(case_url)
    expect(page.locator("#case-status")).to_have_text("In progress")
    expect(page.locator("#diagram.rendered")).to_have_count(1)
    expect(page.locator("#diagram .djs-container svg").first).to_be_visible()
    markers = json.loads(page.get_attribute("#diagram", "data-markers"))
    assert markers["current"] and "quality_accept" in markers["done"]
    expect(page.locator('#diagram g.djs-element.done[data-element-id="quality_accept"]')).to_have_count(1)
    for element_id in markers["current"]:
        expect(page.locator(f'#diagram g.djs-element.current[data-element-id="{element_id}"]')).to_have_count(1)
