"""The console's properties panel in a real browser: the process owner edits the product properties the
complaint diagram carries - the case-deadline breach field on the start event and the department-from-a-case-
field (groupField) of the corrective-action step - under Chinese labels, saves the draft and finds both in the
saved diagram; validation names a groupField that is no form field. Skipped with a message where Chromium is
missing; in CI (env CI set) a missing browser is a failure."""
import re
from xml.etree import ElementTree

from tests.test_web_browser import live_server, page, sign_in  # noqa: F401  (fixtures)

SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _open_element(page, element_id):  # noqa: F811
    page.goto(re.sub(r"#.*$", "", page.url) + "#" + element_id)
    page.reload()
    page.wait_for_selector("body[data-editor-ready=true]")


def _label(page, prop):  # noqa: F811
    return page.locator(f"#bpmn-props label:has([data-prop={prop}])")


def _saved_properties(page, element_id) -> dict:  # noqa: F811
    response = page.request.get("/api/v1/models/complaint_handling/drafts")
    assert response.ok, response.text()
    root = ElementTree.fromstring(response.json()["files"]["complaint_handling.bpmn"].encode("utf-8"))
    element = next(e for e in root.iter() if e.get("id") == element_id and e.tag.startswith(BPMN))
    return {p.get("name"): p.get("value") for p in element.iter(SPIFF + "property")}


def test_breach_field_and_group_field_are_edited_in_the_panel(page):  # noqa: F811
    from playwright.sync_api import expect

    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, "process_owner")
    page.goto("/console/complaint_handling/edit")
    page.wait_for_selector("body[data-editor-ready=true]")

    _open_element(page, "start")
    expect(page.locator("#bpmn-props h3")).to_have_text("开始事件 · start")  # the element's kind in Chinese
    breach = page.locator("#bpmn-props [data-prop=caseBreachField]")
    expect(breach).to_have_value("commitment_breached_at")
    expect(_label(page, "caseBreachField")).to_contain_text("案件超期时间字段")
    expect(_label(page, "caseDeadlineField")).to_contain_text("案件时限字段")
    breach.fill("commitment_late_at")
    breach.press("Tab")
    page.click("#save-draft")
    expect(page.locator("#editor-status")).to_have_text("草稿已保存。")

    _open_element(page, "capa_responsible")
    expect(page.locator("#bpmn-props h3")).to_have_text("用户任务 · capa_responsible")
    group = page.locator("#bpmn-props [data-prop=groupField]")
    expect(group).to_have_value("responsible_department")
    expect(_label(page, "groupField")).to_contain_text("办理部门取自案件字段")
    group.fill("department_in_charge")
    group.press("Tab")
    page.click("#save-draft")
    expect(page.locator("#editor-status")).to_have_text("草稿已保存。")

    start = _saved_properties(page, "start")
    assert start["caseBreachField"] == "commitment_late_at"
    assert start["caseDeadlineField"] == "commitment_due_at"  # the other properties stay as they were
    capa = _saved_properties(page, "capa_responsible")
    assert capa["groupField"] == "department_in_charge"
    assert capa["formJsonSchemaFilename"] == "complaint_capa.schema.json"

    # publishing checks that the department field is a field of the process's forms
    page.click("#validate")
    expect(page.locator("#editor-status")).to_have_text("发现问题，请查看列表。")
    problem = page.locator("#problems li.problem[data-element=capa_responsible]")
    expect(problem).to_contain_text("department_in_charge")

    group = page.locator("#bpmn-props [data-prop=groupField]")
    group.fill("responsible_department")
    group.press("Tab")
    page.click("#validate")
    expect(page.locator("#editor-status")).to_have_text("未发现问题。")
    assert _saved_properties(page, "capa_responsible")["groupField"] == "responsible_department"

    # the events' properties are there too: the reply message's form, the commitment timer's escalation
    _open_element(page, "customer_reply_received")
    expect(page.locator("#bpmn-props [data-prop=messageForm]")).to_have_value("complaint_customer_reply.schema.json")
    expect(_label(page, "messageForm")).to_contain_text("消息表单")
    _open_element(page, "commitment_timer")
    expect(page.locator("#bpmn-props [data-prop=escalateTo]")).to_have_value("vp")
    expect(_label(page, "escalateTo")).to_contain_text("超期任务升级给")
    assert not errors, errors
