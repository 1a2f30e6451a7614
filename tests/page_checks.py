"""What every page a person sees must satisfy, checked in a real browser (Debian Chromium via Playwright):
no wider than its viewport, no browser console error, no engine identifier (element id, process id, enum
code, undeclared field name) and no ISO timestamp in the visible text of a staff page, every form
control labelled, axe-core without serious or critical violations. Shared by the journey tests and
`make screenshots`, together with a live server on a fresh database with every process published."""
import json
import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDE, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
# the two ways every page is looked at: a phone in Chinese and a wide screen in English
COMBOS = [("phone-zh", PHONE, "zh"), ("wide-en", WIDE, "en")]
# the journeys look at their pages all four ways, one language per test module (two xdist workers share them)
JOURNEY_COMBOS = {locale: [(f"phone-{locale}", PHONE, locale), (f"wide-{locale}", WIDE, locale)]
                  for locale in ("zh", "en")}
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}|\+00:00")
# identifiers that are also ordinary words of a page, never flagged
ORDINARY = {"start", "end", "none", "other", "yes", "no", "email", "phone", "visit", "ok", "all", "main", "done"}


def browser_problem() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium); browser tests skipped"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed; browser tests skipped"
    if not AXE.exists():
        return "node_modules/axe-core is missing (make setup); browser tests skipped"
    return None


def start_server(app):
    """Serve the app on a free local port in a thread; returns (base url, stop function)."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(timeout=10)
    return f"http://127.0.0.1:{server.server_port}", stop


def demo_app(database_url: str):
    """The product with the demo organisation and every process of processes/ published."""
    from app import create_app
    from app.config import Config
    from app.migrate import upgrade
    from app.services.modelling import publishing
    from app.services.organisation import org
    upgrade(database_url)
    app = create_app(Config(DATABASE_URL=database_url, SECRET_KEY="page-checks", TIMER_POLL_SECONDS=0))
    with app.extensions["db"].session() as session:
        org.seed_demo(session)
        sources = publishing.collect_paths([PROJECT_ROOT / "processes"], PROJECT_ROOT / "forms")
        publishing.publish(session, sources, "process_owner")
    return app


@contextmanager
def browser_site(tmp_path_factory, name: str, prepare=None):
    """A module's site: the demo product on a fresh SQLite file, served on a free port, and one Chromium.
    prepare(app) fills the database before the server starts and may return more entries for the site.
    Skips with a message where the browser is missing, and fails under CI."""
    import pytest
    problem = browser_problem()
    if problem:
        if env_ci():
            pytest.fail("CI must run the browser tests: " + problem)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright
    app = demo_app(f"sqlite:///{tmp_path_factory.mktemp(name) / 'pages.sqlite3'}")
    db = app.extensions["db"]
    extra = (prepare(app) if prepare else None) or {}
    base, stop = start_server(app)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                yield {"app": app, "db": db, "base": base, "browser": browser, **extra}
            finally:
                browser.close()
    finally:
        stop()
        db.dispose()


def engine_identifiers(db, undeclared: bool = True) -> set[str]:
    """Element ids, process ids and enum codes of every published version, and every case-data field no
    form declares: the words a staff page must never show."""
    from sqlalchemy import select
    from app.models import ProcessInstance, ProcessVersion
    from app.services.labels import _element_names
    from app.services.modelling.formfields import form_schemas
    words: set[str] = set()
    declared: set[str] = set()
    with db.session() as session:
        for version in session.scalars(select(ProcessVersion)):
            words.add(version.process_id)
            words.update(version.task_catalog or {})
            words.update(_element_names(version.spec or {}))
            for schema in form_schemas(version.sources):
                for name, prop in schema["properties"].items():
                    declared.add(name)
                    if not isinstance(prop, dict):
                        continue
                    values = list(prop.get("enum") or []) + [c.get("const") for c in prop.get("oneOf") or []
                                                             if isinstance(c, dict)]
                    values += list((prop.get("items") or {}).get("enum") or [])
                    words.update(str(v) for v in values if isinstance(v, str))
        for data in session.scalars(select(ProcessInstance.case_data)) if undeclared else []:
            words.update(k for k in (data or {}) if k not in declared)
    # only identifier-looking words (a code like "quality" is also an English word: checked in zh only)
    return {w for w in words if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+|[a-z]+[A-Z]\w*", w)
            and w.lower() not in ORDINARY}


UNLABELLED_JS = """() => Array.from(document.querySelectorAll('input, select, textarea')).filter(el => {
  if (el.type === 'hidden' || el.closest('[hidden]') || el.offsetParent === null && el.type !== 'file') return false;
  if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title) return false;
  if (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) return false;
  return !el.closest('label');
}).map(el => el.outerHTML.slice(0, 120))"""

VISIBLE_TEXT_JS = """() => { const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT']);
  const out = []; const walk = (n) => { if (n.nodeType === 3) { out.push(n.textContent); return; }
    if (n.nodeType !== 1 || skip.has(n.tagName)) return;
    // diagram and rule text written by the process owner; internal variables shown to auditors and admins
    if (n.matches('[data-authored], [data-internal], .djs-container, .visually-hidden')) return;
    const s = getComputedStyle(n); if (s.display === 'none' || s.visibility === 'hidden') return;
    for (const c of n.childNodes) walk(c); };
  walk(document.body); return out.join(' ').replace(/\\s+/g, ' '); }"""

# boxes that scroll sideways inside the page (a table wider than its wrapper): not a page wider than the
# viewport, but recorded per page for the report
INNER_SCROLL_JS = """() => Array.from(document.querySelectorAll('body *')).filter(el => {
  if (el.closest('.djs-container, [data-authored]')) return false;
  const s = getComputedStyle(el);
  return (s.overflowX === 'auto' || s.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1;
}).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string'
  ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' ' + el.scrollWidth + '>' + el.clientWidth)"""

AXE_JS = """async () => { const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.impact + ' ' + v.id + ' ×' + v.nodes.length + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')); }"""


class PageChecker:
    """One browser context (viewport, language) whose pages are checked; problems collect per page."""

    def __init__(self, browser, base_url: str, viewport: dict, locale: str, identifiers: set[str]):
        self.context = browser.new_context(base_url=base_url, viewport=viewport,
                                           locale="zh-CN" if locale == "zh" else "en-US")
        self.context.add_init_script(path=str(AXE))  # the page's CSP does not apply to init scripts
        self.context.set_default_timeout(20000)
        self.page = self.context.new_page()
        self.viewport, self.locale, self.identifiers = viewport, locale, identifiers
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.problems: list[str] = []
        self.checked: list[str] = []
        self.widths: list[tuple[str, int, int]] = []  # (page, viewport width, document width)
        self.inner_scroll: list[tuple[str, int, str]] = []  # (page, viewport width, box scrolling sideways)
        self.axe_violations = 0
        self.widest = 0

    def sign_in(self, username: str):
        page = self.page
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "demo")
        page.click("form.login button[type=submit]")
        page.wait_for_load_state()
        expected = "en" if self.locale == "en" else "zh-CN"
        if page.locator("html").get_attribute("lang") != expected:  # the user's setting differs: switch
            self.nav("#lang-en" if self.locale == "en" else "#lang-zh", navigates=True)
        assert page.locator("html").get_attribute("lang") == expected, f"the page language is not {expected}"

    def nav(self, selector: str, navigates: bool = False):
        """Click a link or button of the header (opening the collapsed menu on a phone first); navigates:
        wait until the page it leads to has loaded (a form's POST and its redirect), so that the next
        page.goto cannot cut it short."""
        page = self.page
        if not page.locator(selector).is_visible():
            page.click(".navbar-toggler")
            # the menu has finished opening (Bootstrap's "collapsing" is gone): a click during the animation
            # can land beside the moving link
            page.locator("#top-nav.collapse.show").wait_for(state="visible")
            page.locator(selector).wait_for(state="visible")
        if navigates:
            with page.expect_navigation():
                page.click(selector)
        else:
            page.click(selector)
        page.wait_for_load_state()

    def sign_out(self):
        self.context.clear_cookies()

    def check(self, what: str, staff: bool = True, axe: bool = True, width: bool = True):
        """Check the page now shown; `staff` pages also may not show engine identifiers; width=False for
        desktop pages (console, audit) looked at on a phone."""
        page = self.page
        page.wait_for_load_state("networkidle")
        where = f"{what} [{self.viewport['width']}px {self.locale}] {page.url}"
        self.checked.append(where)
        check_width = width
        width = page.evaluate("document.documentElement.scrollWidth")
        self.widest = max(self.widest, width)
        self.widths.append((what, self.viewport["width"], width))
        self.inner_scroll += [(what, self.viewport["width"], box) for box in page.evaluate(INNER_SCROLL_JS)]
        if width > self.viewport["width"] and check_width:
            self.problems.append(f"{where}: page is {width}px wide")
        for message in self.console:
            self.problems.append(f"{where}: console {message}")
        self.console.clear()
        text = page.evaluate(VISIBLE_TEXT_JS)
        if ISO_TIME.search(text):
            self.problems.append(f"{where}: ISO timestamp in the text: {ISO_TIME.search(text).group(0)}")
        if staff:
            shown = sorted({w for w in self.identifiers if re.search(rf"(?<![\w/.-]){re.escape(w)}(?![\w/.-])", text)})
            if shown:
                self.problems.append(f"{where}: engine identifiers in the text: {shown[:8]}")
        unlabelled = page.evaluate(UNLABELLED_JS)
        if unlabelled:
            self.problems.append(f"{where}: unlabelled form controls: {unlabelled[:3]}")
        if axe:
            found = page.evaluate(AXE_JS)
            self.axe_violations += len(found)
            self.problems += [f"{where}: axe {v}" for v in found]

    def close(self):
        self.context.close()


class Tally:
    """What the checkers of a test module looked at: pages, axe findings, document widths per viewport width."""

    def __init__(self):
        self.pages, self.axe_violations, self.widths, self.inner_scroll = 0, 0, {}, {}

    def add(self, checker: PageChecker):
        self.pages += len(checker.checked)
        self.axe_violations += checker.axe_violations
        for what, viewport, width in checker.widths:
            self.widths.setdefault(viewport, []).append((width, f"{what} ({checker.locale})"))
        for what, viewport, box in checker.inner_scroll:
            self.inner_scroll.setdefault(viewport, set()).add(f"{what}: {box.split(' ')[0]}")

    def summary(self, name: str) -> str:
        parts = []
        for viewport, found in sorted(self.widths.items()):
            widest = max(w for w, _ in found)
            over = sorted({what for w, what in found if w > viewport})
            parts.append(f"at {viewport}px {len(found)} pages, widest {widest}px" + (f" ({', '.join(over)})" if over else ""))
            if self.inner_scroll.get(viewport):
                parts.append(f"scrolling sideways inside the page at {viewport}px: "
                             + ", ".join(sorted(self.inner_scroll[viewport])))
        return f"{name}: {self.pages} pages checked, {self.axe_violations} serious/critical axe violations; " + "; ".join(parts)


def fill_form(page, values: dict):
    """Fill a task or start form rendered by the field() macro: text, number, date, select, yes/no,
    checkbox, by field name."""
    for name, value in values.items():
        box = page.locator(f"[data-field={name}]")
        if box.locator("input[type=radio]").count():
            box.locator(f"input[value={'yes' if value else 'no'}]").check()
        elif box.locator("input[type=checkbox]").count():
            box.locator("input[type=checkbox]").set_checked(bool(value))
        elif box.locator("select").count():
            box.locator("select").select_option(str(value))
        else:
            page.fill(f"#f-{name}", str(value))


def china_today() -> str:
    from datetime import timedelta
    from app.clock import now
    return (now() + timedelta(hours=8)).date().isoformat()


def env_ci() -> bool:
    return bool(os.environ.get("CI"))


def dump(problems: list[str]) -> str:
    return json.dumps(problems, ensure_ascii=False, indent=1)


@contextmanager
def checking(site: dict, combo):
    """A PageChecker for one (name, viewport, locale) combination of a site; the test fails with every
    problem it noted."""
    _name, viewport, locale = combo
    checker = PageChecker(site["browser"], site["base"], viewport, locale, engine_identifiers(site["db"]))
    try:
        yield checker
    finally:
        checker.close()
    assert not checker.problems, dump(checker.problems)


def module_fixtures(name: str, prepare, combos=COMBOS):
    """The fixtures of a browser test module: `site` (one demo server and browser for the module, prepared
    by prepare(app)) and `checker` (a PageChecker per combination). Use: site, checker = module_fixtures(...)"""
    @pytest.fixture(scope="module")
    def site(tmp_path_factory):
        with browser_site(tmp_path_factory, name, prepare) as made:
            yield made

    @pytest.fixture(params=combos, ids=[c[0] for c in combos])
    def checker(site, request):
        with checking(site, request.param) as made:
            yield made
    return site, checker
