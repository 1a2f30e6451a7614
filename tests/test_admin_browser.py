"""The administrator's pages in a real browser (Debian Chromium), at 1366×900 in English and 390×844 in
Chinese: users (list, filter, create, edit), import with its dry run, departments, settings, the
administrative trail, and the own password page. Every page is checked (tests/page_checks.py): no wider
than the viewport, no console error, no ISO timestamp, every control labelled, axe-core clean."""

import pytest
from openpyxl import Workbook

from tests import page_checks as pc

COMBOS = pc.COMBOS


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with pc.browser_site(tmp_path_factory, "admin", lambda app: {"tmp": tmp_path_factory.mktemp("files")}) as site:
        yield site


@pytest.fixture(params=COMBOS, ids=[c[0] for c in COMBOS])
def checker(site, request):
    _name, viewport, locale = request.param
    checker = pc.PageChecker(site["browser"], site["base"], viewport, locale, set())
    checker.name = request.param[0]
    yield checker
    checker.close()
    assert not checker.problems, pc.dump(checker.problems)


def test_administrator_pages(site, checker):
    page, suffix = checker.page, checker.name.replace("-", "_")
    checker.sign_in("admin")
    checker.nav("#nav-admin")
    assert page.locator("table#users tr[data-username]").count() >= 25
    checker.check("users", staff=False)
    page.select_option("select[name=group]", "quality")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("table#users tr[data-username=quality_head]").count() == 1
    assert page.locator("table#users tr[data-username=sales]").count() == 0
    checker.check("users filtered", staff=False)

    page.click("#new-user")
    page.wait_for_load_state()
    checker.check("new user", staff=False)
    page.fill("#f-username", f"new_{suffix}")
    page.fill("#f-display_name", "新同事")
    page.check("input[name=groups][value=warehouse]")
    page.click("#save-user")
    page.wait_for_load_state()
    assert page.locator("#temporary-password").count() == 1
    checker.check("temporary password", staff=False)
    page.goto(f"/admin/users/new_{suffix}")
    checker.check("edit user", staff=False)

    book = Workbook()
    book.active.append(["用户名", "姓名", "部门"])
    book.active.append([f"imp_{suffix}", "导入者", "品质部"])
    book.active.append(["", "无账号", "品质部"])
    path = site["tmp"] / f"users_{suffix}.xlsx"
    book.save(path)
    page.goto("/admin/users/import")
    page.set_input_files("#f-file", str(path))
    page.click("#dry-run")
    page.wait_for_load_state()
    assert page.locator("#import-rows tr.row-created").count() == 1
    assert page.locator("#import-rows tr.row-refused").count() == 1
    checker.check("import dry run", staff=False)
    page.click("#apply")
    page.wait_for_load_state()
    checker.check("import applied", staff=False)

    page.goto("/admin/groups")
    checker.check("departments", staff=False)
    page.goto("/admin/groups/quality")
    assert page.locator("#used-by li").count() >= 1  # published processes have Quality lanes
    checker.check("department", staff=False)
    page.goto("/admin/settings")
    checker.check("settings", staff=False)
    page.goto("/admin/trail")
    assert page.locator("#trail tbody tr").count() >= 2
    checker.check("administrative trail", staff=False)
    checker.nav("#nav-account")
    checker.check("own password")
