"""A step's documentation (the rule it follows) in the page language: the diagram carries the Chinese text,
the process's language file the English ("<element id>.documentation"). A Chinese page shows no English
sentence, an English page no Chinese outside 「」 quotes of the regulation, and the regulation references
stay in both."""
import re
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from app.models import ProcessVersion
from app.services.errors import PublishRefused
from app.services.labels import Labels
from app.services.modelling import publishing
from tests.process_helpers import FORMS, PROCESSES
from tests.repair_helpers import publish_repair
from tests.web_helpers import page_session

# words of a regulation reference, not of a sentence: article, seed notes, file suffix, hours/days units
REFERENCE_WORDS = {"art", "seed", "notes", "md", "h"}
# an English word: letters with a lower-case one (WI, PROCESSES, BC-DIR-059, FORM-MA-076, L440, T4, S1, DMN,
# CIF, D/A are reference tokens or codes of the trade, not words)
WORD = r"(?<![\w-])(?=[A-Za-z'-]*[a-z])[A-Za-z][A-Za-z'-]*(?![\w-])"
# three such words with only spaces and ASCII punctuation between them: an English sentence (part)
ENGLISH_RUN = re.compile(rf"{WORD}(?:[\s,;:()/.'\"-]+{WORD}){{2,}}")
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CHINESE = re.compile(r"[\u3400-\u9fff]")
QUOTE = re.compile(r"「[^」]*」")


def english_run(text: str) -> str | None:
    """The first run of three or more English words (reference words not counted), or None."""
    for found in ENGLISH_RUN.finditer(text):
        words = [w for w in re.findall(WORD, found.group(0)) if w.lower() not in REFERENCE_WORDS]
        if len(words) >= 3:
            return found.group(0)
    return None


def chinese_outside_quotes(text: str) -> str | None:
    found = CHINESE.search(QUOTE.sub("", text))
    return QUOTE.sub("", text)[max(found.start() - 10, 0):found.end() + 10] if found else None


@pytest.fixture
def every_diagram(db):
    with db.session() as session:
        publishing.publish(session, publishing.collect_paths([PROCESSES], FORMS), "process_owner")
    return db


def test_the_run_detector_tells_a_sentence_from_references():
    assert english_run("PROCESSES 4.1 (T4 L81): a first reply missing after 24 hours escalates")
    assert english_run("升级主管副总（PROCESSES.md §3 Deadlines）") is None  # one word: a heading, not a sentence
    assert english_run("WI 5.4.6 (L440)「属于批量性的维修」；BC-DIR-059 4.6.4；S1 art. 7(7) (L47)；seed 000 S7 L125") is None
    assert english_run("S1 art. 6 (L29-L35) and art. 8 (L57-L59)") is None
    assert chinese_outside_quotes("WI 5.2 (L423) 「由营销中心组建微信群」: Sales records the group") is None
    assert chinese_outside_quotes("the repair work instruction plan (维修作业指导方案)")


def test_every_user_task_reads_its_rule_in_the_page_language(every_diagram):
    checked = 0
    with every_diagram.session() as session:
        versions = list(session.scalars(select(ProcessVersion)))
        assert {v.process_id for v in versions} >= {"overseas_repair", "complaint_handling", "contract_review",
                                                    "export_customs", "customer_followup"}
        zh, en = Labels(session, "zh"), Labels(session, "en")
        for version in versions:
            for element_id, task in version.task_catalog.items():
                if task["kind"] != "user":
                    continue
                chinese, english = zh.documentation(version.id, element_id), en.documentation(version.id, element_id)
                where = f"{version.process_id}/{element_id}"
                assert chinese and english, where
                assert english_run(chinese) is None, (where, english_run(chinese))
                assert chinese_outside_quotes(english) is None, (where, chinese_outside_quotes(english))
                checked += 1
    assert checked > 100


def test_every_diagram_documents_its_elements_in_chinese():
    """What the console shows a process owner too: no element of any diagram is documented in English."""
    documented = 0
    for diagram in sorted(PROCESSES.glob("*.bpmn")):
        for doc in ElementTree.parse(diagram).getroot().iter(f"{{{BPMN}}}documentation"):
            text = doc.text or ""
            assert CHINESE.search(text) and english_run(text) is None, (diagram.name, text)
            documented += 1
    assert documented > 200


def test_every_start_event_has_its_english_documentation(every_diagram):
    with every_diagram.session() as session:
        en = Labels(session, "en")
        starts = 0
        for version in session.scalars(select(ProcessVersion)):
            spec = version.spec["spec"]["task_specs"]
            for element_id, task in spec.items():
                if isinstance(task, dict) and task.get("typename") == "StartEvent" and task.get("documentation"):
                    english = en.documentation(version.id, element_id)
                    assert english and chinese_outside_quotes(english) is None, (version.process_id, element_id)
                    starts += 1
    assert starts >= 10


REFERENCES = {("overseas_repair", "first_reply"): ["PROCESSES 4.1", "T4 L81", "T13 L243"],
              ("overseas_repair", "batch_review_meeting"): ["WI 5.4.6 (L440)", "「属于批量性的维修"],
              ("complaint_handling", "quality_accept"): ["BC-DIR-059 4.6.4", "4.7.1", "4.7.2"],
              ("export_customs", "customs_cargo_insurance_task"): ["S1 art. 7(7) (L47)", "CIF/CIP"]}


def test_the_regulation_references_stay_in_both_languages(every_diagram):
    with every_diagram.session() as session:
        zh, en = Labels(session, "zh"), Labels(session, "en")
        for (process_id, element_id), tokens in REFERENCES.items():
            version_id = zh.latest_version_id(process_id)
            chinese, english = zh.documentation(version_id, element_id), en.documentation(version_id, element_id)
            assert chinese != english and CHINESE.search(chinese), element_id
            for token in tokens:
                assert token in chinese and token in english, (element_id, token, chinese, english)


def _shown(html: str) -> str:
    found = re.search(r'<p class="doc[^"]*"[^>]*>(.*?)</p>', html, re.S)
    assert found, "the task page shows the step's documentation"
    return found.group(1)


def test_the_repair_task_page_shows_the_rule_in_the_page_language(app, db):
    desk = publish_repair(db)
    case = desk.open_repair()
    task = desk.open_tasks(case)["first_reply"]
    client = page_session(db, app.test_client(), "sales")
    chinese = _shown(client.get(f"/tasks/{task.id}").get_data(as_text=True))
    assert "24 小时内答复客户" in chinese and "PROCESSES 4.1" in chinese
    assert english_run(chinese) is None
    with client.session_transaction() as http:
        http["locale"] = "en"
    english = _shown(client.get(f"/tasks/{task.id}").get_data(as_text=True))
    assert "reply to the customer within 24 hours" in english and "PROCESSES 4.1" in english
    assert chinese_outside_quotes(english) is None


def test_publishing_refuses_documentation_for_an_element_the_diagram_lacks(db):
    sources = publishing.collect_paths([PROCESSES], FORMS)
    sources.labels_en["overseas_repair"] = {**sources.labels_en["overseas_repair"],
                                            "first_replyy.documentation": "Reply within 24 hours."}
    with db.session() as session, pytest.raises(PublishRefused) as refused:
        publishing.publish(session, sources, "process_owner")
    problems = refused.value.problems
    assert [p["element_id"] for p in problems] == ["first_replyy"], problems
    with db.session() as session:
        assert session.scalar(select(ProcessVersion).limit(1)) is None  # nothing published


def test_the_api_gives_the_rule_in_the_callers_language(api, db):
    desk = publish_repair(db)
    case = desk.open_repair()
    task = desk.open_tasks(case)["first_reply"]
    sales = api("sales")
    chinese = sales.get(f"/api/v1/tasks/{task.id}").get_json()["documentation"]
    english = sales.client.get(f"/api/v1/tasks/{task.id}",
                               headers={**sales.headers, "Accept-Language": "en"}).get_json()["documentation"]
    assert "24 小时内答复客户" in chinese and english_run(chinese) is None
    assert "reply to the customer within 24 hours" in english and chinese_outside_quotes(english) is None
    assert "PROCESSES 4.1" in chinese and "PROCESSES 4.1" in english
