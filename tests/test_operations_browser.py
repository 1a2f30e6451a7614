"""The operators' pages in a real browser (Debian Chromium), at 390×844 in Chinese and 1366×900 in English:
the incidents view with a case in error, its case control page (retry after a data correction, suspend,
move preview, cancel) and the case page's link to it. Every page is checked (tests/page_checks.py): no
wider than the viewport, no console error, no ISO timestamp, every control labelled, axe-core clean."""
import pytest

from app.services.cases import instances, tasks
from app.services.errors import StepFailed
from app.services.modelling import publishing
from app.services.organisation import org
from conftest import FIXTURES
from tests import page_checks as pc

COMBOS = pc.COMBOS


def _publish_ops(app):
    with app.extensions["db"].session() as session:
        publishing.publish(session, publishing.collect_paths([FIXTURES / "ops"], None), "process_owner")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with pc.browser_site(tmp_path_factory, "ops", _publish_ops) as site:
        yield site


def _incident(db) -> int:
    iid = instances.start_instance(db, "ops_case", {"divisor": 0, "factor": 1}, "sales")
    with db.session() as session:
        sales = org.get_user(session, "sales")
    from sqlalchemy import select
    from app.models import HumanTask
    with db.session() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid))
    tasks.claim(db, sales, task_id)
    with pytest.raises(StepFailed):
        tasks.complete(db, sales, task_id, {})
    return iid


@pytest.mark.parametrize("combo", COMBOS, ids=[c[0] for c in COMBOS])
def test_incidents_and_case_control_pages(site, combo):
    _name, viewport, locale = combo
    iid = _incident(site["db"])
    checker = pc.PageChecker(site["browser"], site["base"], viewport, locale, set())
    page = checker.page
    try:
        checker.sign_in("admin")
        checker.nav("#nav-incidents")
        assert page.locator("#incidents tr.incident").count() >= 1
        checker.check("incidents", staff=False)
        page.goto(f"/ops/cases/{iid}")
        checker.check("case control (error)", staff=False)
        page.fill("#data-changes", '{"divisor": 5}')
        page.fill("#data-reason", "correct ratio" if locale == "en" else "更正比例")
        page.click("#ops-data button[type=submit]")
        page.wait_for_load_state()
        page.click("#ops-retry form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#ops-retry").count() == 0  # no longer in error
        checker.check("case control (running)", staff=False)
        page.select_option("#move-target", index=0)
        page.click("#ops-move button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#move-plan").count() == 1
        checker.check("move preview", staff=False)
        page.fill("#suspend-reason", "wait" if locale == "en" else "等待")
        page.click("#ops-suspend button[type=submit]")
        page.wait_for_load_state()
        checker.check("case control (suspended)", staff=False)
        page.fill("#cancel-reason", "withdrawn" if locale == "en" else "撤单")
        page.click("#ops-cancel button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#ops-cancel").count() == 0
        page.goto(f"/cases/{iid}")
        assert page.locator("#case-control").count() == 1
        checker.check("case page (cancelled)", staff=False)
    finally:
        checker.close()
    assert not checker.problems, pc.dump(checker.problems)
