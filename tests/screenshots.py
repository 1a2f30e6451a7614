"""`make screenshots`: a PNG of every page for every role at 1366×900 and 390×844 (Chinese) into one folder
for review, on a fresh demo database with a few complaints at different steps. Prints each file with the
page's width and any problem the page checks find (tests/page_checks.py)."""
import argparse
import logging
import sys
import tempfile
from pathlib import Path

from tests import page_checks as pc
from tests.complaint_helpers import ComplaintDesk

ROLES = {
    "sales": ["/", "/queue", "/start", "/start/complaint_handling", "/cases/{case}", "/away"],
    "quality": ["/", "/queue", "/task", "/cases/{case}"],
    "quality_head": ["/queue", "/workload", "/cases/{case}"],
    "process_owner": ["/console/", "/console/complaint_handling/edit", "/console/complaint_handling/migrate"],
    "auditor": ["/audit/", "/audit/cases/{case}", "/audit/cases/{case}/report", "/audit/dashboard", "/audit/versions"],
    "admin": ["/", "/cases/{case}"],
}

# the process owner's editor is a desktop tool (≥1024 px); every other page fits a phone
DESKTOP = {"/console/complaint_handling/edit"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default="screenshots")
    args = parser.parse_args()
    problem = pc.browser_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        app = pc.demo_app(f"sqlite:///{tmp}/screens.sqlite3")
        db = app.extensions["db"]
        desk = ComplaintDesk(db)
        today = pc.china_today()  # complaints received today: deadlines ahead, as on a working day
        desk.open(customer="宁波机械有限公司", order_no="PO-1001", received_on=today, delivery_date=today)
        case = desk.open(customer="武汉重工机械有限公司", order_no="PO-1002", channel="email", claimed_amount=12345.6,
                         received_on=today, delivery_date=today)
        desk.accept(case)
        ids = pc.engine_identifiers(db)
        base, stop = pc.start_server(app)
        written, problems = 0, []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=pc.CHROMIUM, args=pc.ARGS, headless=True)
                for label, viewport in (("1366", pc.WIDE), ("390", pc.PHONE)):
                    for role, paths in ROLES.items():
                        checker = pc.PageChecker(browser, base, viewport, "zh", ids)
                        checker.sign_in(role)
                        for path in paths:
                            if path == "/task":  # the first task of the role's queue
                                checker.page.goto("/queue")
                                link = checker.page.locator("a.task-link").first
                                if not link.count():
                                    continue
                                path = link.get_attribute("href")
                            path = path.format(case=case)
                            checker.page.goto(path)
                            staff = not path.startswith(("/console", "/audit"))
                            checker.check(f"{role} {path}", staff=staff, axe=False,
                                          width=path not in DESKTOP or label == "1366")
                            name = f"{role}_{path.strip('/').replace('/', '_') or 'inbox'}_{label}.png"
                            checker.page.screenshot(path=str(out / name), full_page=True)
                            written += 1
                            print(f"{out / name}  width {checker.page.evaluate('document.documentElement.scrollWidth')}")
                        problems += checker.problems
                        checker.close()
                browser.close()
        finally:
            stop()
            db.dispose()
    print(f"{written} screenshots in {out}/")
    for line in problems:
        print("problem:", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
