"""Issue 7 in a real browser (headless Debian Chromium via Playwright, the live server of the page tests):
an auditor finds a case, reads its history with the diagram and the time spent per step, and opens the
SLA dashboard whose charts and waiting-time heatmap are drawn from the app's own copies of Chart.js and
bpmn-js. Skipped with a message where Chromium is missing; a failure in CI."""
from pathlib import Path

from test_web_browser import live_server, page, sign_in  # noqa: F401  (the shared browser fixtures)

FIXTURES = Path(__file__).parent / "fixtures"
FILES = [FIXTURES / "audit" / "audit_review.bpmn", FIXTURES / "audit" / "audit_start.schema.json",
         FIXTURES / "basic" / "test_draft.schema.json", FIXTURES / "basic" / "test_review.schema.json"]


class Api:
    """The JSON API of the live server, through the browser context's request client."""

    def __init__(self, page, username):
        self.request = page.request
        token = self._ok(self.request.post("/api/v1/auth/token", data={"username": username, "password": "demo"}))
        self.headers = {"Authorization": "Bearer " + token["token"]}

    @staticmethod
    def _ok(response):
        assert response.ok, (response.status, response.text())
        return response.json()

    def get(self, path):
        return self._ok(self.request.get("/api/v1" + path, headers=self.headers))

    def post(self, path, body=None, **kw):
        return self._ok(self.request.post("/api/v1" + path, headers=self.headers, data=body, **kw))


def _worked_case(page) -> int:
    """Publish the audit fixture, start a case as sales and let quality review it twice (one rejection)."""
    owner = Api(page, "process_owner")
    owner.post("/models", multipart={f"f{i}": {"name": f.name, "mimeType": "application/octet-stream",
                                               "buffer": f.read_bytes()} for i, f in enumerate(FILES)})
    sales, quality = Api(page, "sales"), Api(page, "quality")
    case = sales.post("/processes/audit_review/instances",
                      {"data": {"case_no": "AU-1", "customer": "宁波机械", "contact_phone": "13800001111"}})
    for who, data in ((sales, {"text": "初稿"}), (quality, {"approved": False}), (sales, {"text": "修改稿"})):
        [task] = who.get("/tasks")["tasks"]
        who.post(f"/tasks/{task['id']}/complete", {"data": data})
    return case["id"]


def test_auditor_reads_a_case_history_and_the_dashboard(page):  # noqa: F811
    from playwright.sync_api import expect

    case_id = _worked_case(page)
    sign_in(page, "auditor")
    page.click("#nav-audit")
    page.fill("input[name=business_key]", "AU-1")
    page.click("#case-filters button[type=submit]")
    expect(page.locator("#cases tbody tr")).to_have_count(1)
    page.click(f"#cases a[href='/audit/cases/{case_id}']")

    history = page.locator("#history")
    expect(history).to_contain_text("发起案件")
    expect(history.locator("tr.ev-completed")).to_have_count(3)
    expect(history.locator("tr.ev-completed").nth(1)).to_contain_text("质量管理部员工")  # the display name of user quality
    expect(history.locator("tr.ev-completed").nth(2).locator(".changes")).to_contain_text("初稿")
    expect(page.locator(".case-data")).not_to_contain_text("13800001111")  # auditors see contacts masked
    expect(page.locator("#diagram.rendered.overlaid")).to_have_count(1)
    expect(page.locator('#diagram g.djs-element.done[data-element-id="draft"]')).to_have_count(1)
    expect(page.locator('#diagram g.djs-element.current[data-element-id="review"]')).to_have_count(1)
    expect(page.locator("#diagram .audit-hours")).to_have_count(2)  # hours spent in draft and review

    page.click(".audit-nav >> text=时限看板")
    page.select_option("select[name=process]", "audit_review")
    expect(page.locator("body[data-charts=ready]")).to_have_count(1)
    for chart in ("chart-complaints", "chart-overdue", "chart-cycle"):
        assert page.evaluate(f"!!Chart.getChart(document.getElementById('{chart}'))"), chart
    expect(page.locator("#diagram.rendered.overlaid")).to_have_count(1)
    expect(page.locator("#diagram .audit-heat")).to_have_count(2)
