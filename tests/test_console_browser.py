"""The console in a real browser (headless Debian Chromium driven by Playwright): the process owner opens
the complaint diagram in the modeler, changes a task's label in the properties panel, saves the draft,
publishes and sees the new version; the decision table opens in the DMN editor. Skipped with a message
where Chromium is missing; in CI (env CI set) a missing browser is a failure."""
from tests.test_web_browser import live_server, page, sign_in  # noqa: F401  (fixtures)


def test_edit_label_save_publish_and_see_the_new_version(page):  # noqa: F811
    from playwright.sync_api import expect

    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, "process_owner")
    page.click("#nav-console")
    expect(page.locator("tr[data-process=complaint_handling][data-version='1']")).to_have_count(1)
    page.click("tr[data-process=complaint_handling] a.edit-link")
    page.wait_for_selector("body[data-editor-ready=true]")
    assert not errors, errors
    expect(page.locator("#bpmn-canvas .djs-element[data-element-id=authority]")).to_have_count(1)
    # an element link (as in the problem list) selects the element in the modeler
    page.goto(page.url + "#authority")
    page.reload()
    page.wait_for_selector("body[data-editor-ready=true]")
    # the modeler's own UI speaks Chinese (bpmn-js-i18n-zh)
    expect(page.locator(".djs-context-pad [data-action=append\\.end-event]")).to_have_attribute("title", "添加结束事件")
    name = page.locator("#bpmn-props [data-prop=name]")
    expect(name).to_have_value("核决权限（决策表）")
    name.fill("核决权限（新决策表）")
    name.press("Tab")
    expect(page.locator("#bpmn-canvas [data-element-id=authority] text")).to_contain_text("新决策表")
    page.click("#save-draft")
    expect(page.locator("#editor-status")).to_have_text("草稿已保存。")
    page.click("#publish")
    expect(page.locator("#editor-status")).to_contain_text("complaint_handling v2")
    page.click("#to-versions")
    expect(page.locator("tr[data-process=complaint_handling][data-version='2']")).to_have_count(1)
    # the new version carries the new label
    page.goto(page.url.replace("/console/", "/console/complaint_handling/edit#authority"))
    page.wait_for_selector("body[data-editor-ready=true]")
    expect(page.locator("#bpmn-props [data-prop=name]")).to_have_value("核决权限（新决策表）")
    # the decision table opens in the DMN editor; validation lists problems (none here)
    page.click("#file-list [data-file='complaint_authority.dmn']")
    expect(page.locator("#dmn-canvas .tjs-table")).to_be_visible()
    page.click("#validate")
    expect(page.locator("#editor-status")).to_have_text("未发现问题。")
    assert not errors, errors
