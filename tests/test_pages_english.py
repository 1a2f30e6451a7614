"""The English side of the pages in a real browser (Debian Chromium), at 390×844 and 1366×900: the names of
steps and processes an auditor and a process owner read come from the diagrams' English labels
(processes/i18n/*.en.json), never the Chinese names or process ids. Every page is also checked by
tests/page_checks.py (width, console errors, ISO times, labels, axe-core)."""
import re
from datetime import timedelta

from sqlalchemy import select, update

from app import clock
from app.models import HumanTask, ProcessInstance
from tests import page_checks as pc
from tests.complaint_helpers import ComplaintDesk

HAN = re.compile(r"[\u4e00-\u9fff]")
COMBOS = [c for c in pc.JOURNEY_COMBOS["en"]]


def _cases(app):
    db = app.extensions["db"]
    desk = ComplaintDesk(db)
    today = pc.china_today()
    waiting = desk.open(customer="宁波机械有限公司", order_no="PO-2001", received_on=today, delivery_date=today)
    accepted = desk.open(customer="武汉重工机械有限公司", order_no="PO-2002", received_on=today, delivery_date=today)
    desk.accept(accepted)
    with db.session() as session, session.begin():
        # one step past its due date (the dashboard's overdue steps), one case closed (its cycle time)
        task = session.scalar(select(HumanTask).where(HumanTask.instance_id == waiting))
        task.due_at = clock.now() - timedelta(days=2)
        session.execute(update(ProcessInstance).where(ProcessInstance.id == accepted)
                        .values(ended_at=clock.now()))
    from app.models import User
    from app.services.cases import tasks
    with db.session() as session:  # Quality holds the intake of the waiting complaint
        quality = session.scalar(select(User).where(User.username == "quality"))
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == waiting))
        session.expunge(quality)
    tasks.claim(db, quality, task_id)
    return {"cases": [waiting, accepted]}


site, checker = pc.module_fixtures("english", _cases, COMBOS)


def _no_chinese(texts: list[str], where: str):
    texts = [t.strip() for t in texts]
    assert texts and all(texts), (where, texts)
    assert not [t for t in texts if HAN.search(t) or "_" in t], (where, texts)


def test_auditor_reads_steps_and_processes_in_english(site, checker):
    c, page = checker, checker.page
    c.sign_in("auditor")
    page.goto("/audit/")
    c.check("case search", staff=False)
    _no_chinese(page.locator("#cases tbody tr td:nth-child(9)").all_inner_texts(), "current step")
    # the list turns into cards on a phone instead of a table scrolling sideways
    assert page.evaluate("(() => { const box = document.querySelector('#cases').parentElement;"
                         " return box.scrollWidth <= box.clientWidth + 1; })()"), "the case list scrolls sideways"
    assert "set the filters above, then save them" in page.locator("#saved-searches").inner_text()  # what to do
    page.goto("/audit/dashboard?process=complaint_handling")
    page.locator("body[data-charts=ready]").wait_for(state="attached")
    c.check("SLA dashboard", staff=False)
    overdue = page.locator("#overdue-steps tbody tr")
    _no_chinese(overdue.locator("td:nth-child(2)").all_inner_texts(), "overdue step's process")
    _no_chinese(overdue.locator("td:nth-child(3)").all_inner_texts(), "overdue step")
    _no_chinese(page.locator("#waiting tbody tr td:first-child").all_inner_texts(), "waiting time per step")
    cycle = page.evaluate("Chart.getChart(document.getElementById('chart-cycle')).data.labels")
    assert cycle == ["Customer complaint handling"], cycle


def test_process_owner_reads_process_names_in_english(site, checker):
    c, page = checker, checker.page
    c.sign_in("process_owner")
    page.goto("/console/")
    c.check("console", staff=False)
    _no_chinese(page.locator("table.versions td.card-title-cell strong").all_inner_texts(), "process names")
    for path in ("/console/complaint_handling/edit", "/console/complaint_handling/migrate"):
        page.goto(path)
        if "edit" in path:  # the diagram opens, also on a phone (where the editor is not meant to be used)
            page.wait_for_selector("body[data-editor-ready=true]")
            assert "cannot be opened" not in page.locator("#editor-status").inner_text()
            assert page.locator("#bpmn-canvas g.djs-element").count() > 10
        c.check(path, staff=False, width=c.viewport["width"] > 1000 or "edit" not in path)
        assert "Customer complaint handling" in page.title() and not HAN.search(page.title()), (path, page.title())


def test_task_page_says_what_its_date_is(site, checker):
    c, page = checker, checker.page
    c.sign_in("quality")
    page.goto("/queue")
    page.locator("a.task-link").first.click()
    page.wait_for_load_state()
    c.check("task page")
    meta = page.locator("p.meta").inner_text()
    assert re.match(r"Due \d{1,2} \w{3} \d{4} \d{2}:\d{2}", meta), meta


def test_case_diagram_reads_in_english(site, checker):
    c, page = checker, checker.page
    c.sign_in("auditor")
    for path in (f"/cases/{site['cases'][1]}", f"/audit/cases/{site['cases'][1]}"):
        page.goto(path)
        page.wait_for_selector("#diagram.rendered")
        c.check(path, staff=path.startswith("/cases"))
        words = page.locator("#diagram svg text").all_text_contents()
        assert "".join(words).strip(), path
        chinese = [w for w in words if HAN.search(w)]
        assert not chinese, (path, chinese[:8])


def test_out_of_office_names_the_held_tasks_in_english(site, checker):
    c, page = checker, checker.page
    c.sign_in("quality")
    page.goto("/away?substitute=quality_head")
    c.check("out of office with a substitute chosen")
    held = page.locator("#handover li").all_inner_texts()
    assert len(held) == 1 and "Quality accepts, numbers and registers the complaint" in held[0], held
    assert "品质部" not in held[0], held


def test_start_form_offers_named_choices(site, checker):
    c, page = checker, checker.page
    c.sign_in("sales")
    page.goto("/start/contract_review")
    c.check("contract review start form")
    options = page.locator("#f-negotiation_channel option").all_inner_texts()
    assert "Telephone" in options and "Telex" in options and "phone" not in options, options


def test_a_stored_choice_reads_as_its_name(site):
    """A case page, history or export shows the chosen value of an enum field by its name, in either language."""
    from app.services.labels import Labels
    from app.models import ProcessVersion
    with site["db"].session() as session:
        version = session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == "contract_review"))
        assert Labels(session, "en").value(version, "negotiation_channel", "phone") == "Telephone"
        assert Labels(session, "zh").value(version, "negotiation_channel", "phone") == "电话"
        assert Labels(session, "en").value(version, "payment_terms", "LC") == "Letter of credit (L/C)"
        complaint = session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == "complaint_handling"))
        shown = Labels(session, "en").value(complaint, "distributed_to", ["gm_office", "tech_rd"])
        assert "General manager's office" in shown and "Technical R&D" in shown and "_" not in shown, shown
        assert Labels(session, "zh").value(complaint, "distributed_to", ["gm_office", "tech_rd"]) == "总经理室、技术研发部"
    import json
    from app.config import PROJECT_ROOT
    from app.services.modelling.formfields import fields
    close = json.loads((PROJECT_ROOT / "forms" / "complaint_close.schema.json").read_text(encoding="utf-8"))
    [boxes] = [f for f in fields(close, "en") if f["name"] == "distributed_to"]
    assert [t for _v, t in boxes["options"]][:2] == ["General manager's office", "Production"], boxes["options"]
