"""The console speaks the page language: every problem a model check finds (rules, parser, scripts, due
times, lanes, forms, XML) reads in Chinese on a Chinese page and in English on an English one, and the
decision-table editor (dmn-js) shows its headers, hit policy and menus in Chinese."""
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from app.services.modelling.publishing import SourceSet, validate
from app.services.modelling.problem_text import localise
from tests.test_web_browser import live_server, page, sign_in  # noqa: F401  (fixtures)

BASIC = Path(__file__).parent / "fixtures" / "basic"
# three English words in a row: a sentence (names such as 'Customer' or P10D are kept as written)
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){2,}\b")

BROKEN = {
    "unknown lane": lambda s: s.replace('name="质量管理部"', 'name="nosuchdept"'),
    "missing form": lambda s: s.replace("test_review.schema.json", "missing.schema.json"),
    "import in a script": lambda s: s.replace("rounds = rounds + 1", "import os\nrounds = rounds + 1"),
    "script syntax": lambda s: s.replace("rounds = rounds + 1", "rounds = = 1"),
    "clock read": lambda s: s.replace("rounds = rounds + 1", "rounds = datetime.now()"),
    "bad due time": lambda s: s.replace('value="P2D"', 'value="P2X"'),
    "no start event": lambda s: re.sub(r"<bpmn:startEvent.*?</bpmn:startEvent>", "", s, flags=re.S),
    "broken XML": lambda s: s.replace("</bpmn:process>", "</bpmn:proc>"),
    "condition syntax": lambda s: s.replace("approved == True", "approved =="),
    "no form": lambda s: s.replace(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="test_review.schema.json" />', ""),
}


def _problems(app, locale: str, mutate) -> list[str]:
    source = (BASIC / "loop_review.bpmn").read_text(encoding="utf-8")
    forms = {p.name: p.read_bytes() for p in BASIC.glob("*.json")}
    with app.test_request_context(), force_locale(locale):
        _p, problems = validate(None, SourceSet({"loop_review.bpmn": mutate(source).encode()}, {}, forms))
    return [p.message for p in problems]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_model_problem_reads_in_chinese_on_a_chinese_page(app):
    for what, mutate in BROKEN.items():
        found = _problems(app, "zh", mutate)
        assert found, what
        for message in found:
            assert not ENGLISH.search(message), (what, message)
            assert re.search(r"[\u4e00-\u9fff]", message), (what, message)
    assert any("第 72 行" in m for m in _problems(app, "zh", BROKEN["broken XML"]))  # places are kept
    assert any("'P2X'" in m for m in _problems(app, "zh", BROKEN["bad due time"]))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_english_page_keeps_the_english_problem_texts(app):
    assert any("is not a known group" in m for m in _problems(app, "en", BROKEN["unknown lane"]))
    assert any("not well-formed XML" in m for m in _problems(app, "en", BROKEN["broken XML"]))


def test_an_unknown_text_is_left_as_it_is_and_a_line_number_is_kept():
    assert localise("something no pattern knows") == "something no pattern knows"
    assert localise("No start event found.  (line 4)").endswith("(line 4)")


WHEN_THEN = ["When", "Then", "Annotations", "Hit policy", "Unique", "First", "Add rule", "Remove rule",
             "Add rule above", "Add rule below", "Copy rule", "Cut rule", "And"]


def _words(page) -> str:
    return page.evaluate("""() => {
        const box = document.querySelector('#dmn-canvas');
        const titles = [...box.querySelectorAll('[title]')].map(e => e.getAttribute('title'));
        return box.innerText + '\\n' + titles.join('\\n');
    }""")


def test_the_decision_table_editor_speaks_chinese_and_english_stays_english(page):  # noqa: F811
    from playwright.sync_api import expect
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, "process_owner")
    page.goto("/console/complaint_handling/edit")
    page.wait_for_selector("body[data-editor-ready=true]")
    page.click("#file-list [data-file='complaint_authority.dmn']")
    table = page.locator("#dmn-canvas .tjs-table")
    expect(table).to_be_visible()
    expect(page.locator("#dmn-canvas .hit-policy .dms-label")).to_have_text("命中策略：")
    expect(page.locator("#dmn-canvas .input-cell .clause").first).to_have_text("当")
    expect(page.locator("#dmn-canvas .output-cell .clause").first).to_have_text("则")
    expect(page.locator("#dmn-canvas .add-rule-add button")).to_have_attribute("title", "添加规则")
    page.locator("#dmn-canvas tbody td.input-cell").first.click(button="right")  # the rule's context menu
    expect(page.locator(".context-menu")).to_contain_text("在上方添加规则")
    page.screenshot(path=str(Path("/tmp") / "dmn-zh-1366.png"))
    shown = _words(page)
    for english in WHEN_THEN:
        assert not re.search(rf"(?<![A-Za-z]){english}(?![A-Za-z])", shown), english
    assert not errors, errors

    page.click("#lang-en")
    page.wait_for_selector("body[data-editor-ready=true]")
    page.click("#file-list [data-file='complaint_authority.dmn']")
    expect(page.locator("#dmn-canvas .input-cell .clause").first).to_have_text("When")
    expect(page.locator("#dmn-canvas .hit-policy .dms-label")).to_have_text("Hit Policy:".replace("P", "p"))
    assert not errors, errors
