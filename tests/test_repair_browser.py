"""The overseas-repair pages with the coordination group and the batch review meeting in a real browser
(Debian Chromium), at 390×844 in Chinese and 1366×900 in English: Sales's repair-mode form with the group's
table, Production's review-meeting form, and the case page listing both. Every page is checked by
tests/page_checks.py (width, console errors, engine identifiers, ISO times, labels, axe-core)."""
from sqlalchemy import select

from app.models import HumanTask
from tests import page_checks as pc
from tests.repair_helpers import RepairDesk

COMBOS = pc.COMBOS


def _cases(app):
    desk = RepairDesk(app.extensions["db"])
    mode = desk.open_repair()
    desk.steps(mode, "first_reply", "triage", "assess_responsibility")
    grouped = desk.open_repair()
    desk.steps(grouped, "first_reply", "triage", "assess_responsibility", "choose_repair_mode")
    batch = desk.open_repair(quantity=20)
    desk.steps(batch, "first_reply", "triage", "assess_responsibility")
    desk.step(batch, "choose_repair_mode", repair_mode="return_to_factory", repair_quantity=20)
    desk.step(batch, "return_request", return_quantity=20)
    desk.step(batch, "warehouse_receipt", received_quantity=20)
    desk.step(batch, "repair_intake_check")
    with desk.db.session() as session:
        def task(iid, name):
            return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid,
                                                             HumanTask.task_name == name))
        return {"mode_task": task(mode, "choose_repair_mode"), "grouped": grouped,
                "meeting_task": task(batch, "batch_review_meeting")}


site, checker = pc.module_fixtures("repair", _cases, COMBOS)


def test_group_and_meeting_pages(site, checker):
    c, page = checker, checker.page
    c.sign_in("sales")
    page.goto(f"/tasks/{site['mode_task']}")
    c.check("repair mode with the coordination group's table")
    assert page.locator("#f-coordination_group tbody tr").count() == 3  # empty rows to fill in
    page.goto(f"/cases/{site['grouped']}")
    c.check("case page with the coordination group")
    assert page.locator("h3.section").filter(has_text="协调小组" if c.locale == "zh" else "Coordination group").count()
    c.sign_out()
    c.sign_in("production_head")
    page.goto(f"/tasks/{site['meeting_task']}")
    c.check("batch repair review meeting")
    assert page.locator("input[name=review_departments]").count() == 8
