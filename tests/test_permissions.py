"""Every route (pages and JSON API, read from app.url_map) × every role, against an expectation table written
from the rules below, never from observed behaviour. A route missing from the table fails the test.

Roles: a member of each department (the task below belongs to sales), the head of sales, the head of
another department (quality), the process owner, the auditor, the system administrator, and anonymous.

A route added later is covered as soon as it is registered: the table must name it (else the first test
fails), its URL is built from the values below (an id the world does not hold gets a number or word that
matches nothing, so those allowed see "not found" and everyone else must still be refused first), and an
entry may carry its own URL values as a sixth element.

Rules (README and service docstrings):
- PUBLIC     sign-in, language choice, static files, the API token and OpenAPI document
- SIGNED_IN  any signed-in user: inbox pages, lists, own settings
- MODELLER   process owners and administrators: validating model files (evaluates diagram expressions)
- STAFF      may start the test process: anyone in a group (no `starterGroups` on it)
- WORKERS    may claim / complete the sales task: members of sales (heads are members too); never auditors
- TASK_READ  may see the task: those who may work it, heads of its group, auditors
- HOLDER     the task is held by `sales`: only the holder delegates
- HOLDER_HEAD  the holder or a head of the task's group releases it
- HEAD       heads of the task's group reassign it
- ANY_HEAD   department workload: any department head
- CASE_READ  the case (started by `sales`, waiting in sales): its starter, the departments working on it,
             process owners, auditors and the administrator
- AUDITOR    the audit workspace
- OWNER      the process owner console and model API
- ADMIN      the system administrator's pages and APIs (people, departments, settings, calendar,
             webhooks and service accounts); a user they act on is a throw-away user of the world
- TRAIL      the administrative audit trail: administrators and auditors
- SELF       a user record through the API: the user (here `sales`) and administrators; others are told
             "no such user" (404), so they cannot tell who exists
- KEEPER     Sales keeps the customer files and their contact register (members and heads of sales)
"""
import io
import json

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from app import create_app
from app.config import PROJECT_ROOT, Config
from app.migrate import upgrade
from app.models import HumanTask, ProcessVersion
from app.services.audit import case_search
from app.services.cases import drafts, instances, tasks
from app.services.organisation import org
from app.services.modelling import publishing
from conftest import FIXTURES
from tests.web_helpers import page_session

GROUPS = [g["code"] for g in json.loads((PROJECT_ROOT / "app" / "data" / "groups.json").read_text("utf-8"))]
MEMBERS = {f"member:{code}": code for code in GROUPS}
ROLES = {**MEMBERS, "head:sales": "sales_head", "head:quality": "quality_head",
         "process_owner": "process_owner", "auditor": "auditor", "admin": "admin", "anonymous": None}
EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
STAFF = set(MEMBERS) | {"head:sales", "head:quality"}
WORKERS = {"member:sales", "head:sales"}
RULES = {
    "PUBLIC": EVERYONE, "SIGNED_IN": SIGNED_IN, "STAFF": STAFF, "WORKERS": WORKERS,
    "TASK_READ": WORKERS | {"auditor"}, "HOLDER": {"member:sales"}, "HOLDER_HEAD": WORKERS,
    "HEAD": {"head:sales"}, "ANY_HEAD": {"head:sales", "head:quality"},
    "CASE_READ": WORKERS | {"process_owner", "auditor", "admin"}, "AUDITOR": {"auditor"}, "OWNER": {"process_owner"},
    "ADMIN": {"admin"}, "TRAIL": {"admin", "auditor"}, "SELF": {"member:sales", "admin"}, "MODELLER": {"process_owner", "admin"}, "OPERATOR": {"process_owner", "admin"},
    "KEEPER": {"member:sales", "head:sales"},
}
START = {"case_no": "P-1", "amount": "5", "rounds": "0", "customer": "ACME"}
BPMN = (FIXTURES / "basic" / "loop_review.bpmn").read_text()

# (endpoint, method, rule, fresh task state or None, body[, URL values])  — body: form dict for pages, JSON for
# the API
TABLE = [
    # operators (incidents and case control): fresh cases, so that allowed actions really run
    ("ops.incident_list", "GET", "OPERATOR", None, None),
    ("ops.retry_group", "POST", "OPERATOR", None, {"version_id": "1", "element_id": "x", "message": "m"}),
    ("ops.case", "GET", "OPERATOR", "ready", None),
    ("ops.act", "POST", "OPERATOR", "ready", {"reason": "r"}, {"action": "suspend"}),
    ("ops.move_preview", "POST", "OPERATOR", "ready", {"element_id": "no-such-step"}),
    ("ops.edit_data", "POST", "OPERATOR", "ready", {"changes": '{"amount": 6}', "reason": "r"}),
    ("api.list_incidents", "GET", "OPERATOR", None, None),
    ("api.retry_incidents", "POST", "OPERATOR", None, {"instance_ids": [987654]}),
    ("api.retry", "POST", "OPERATOR", "ready", {}),
    ("api.skip", "POST", "OPERATOR", "ready", {"reason": "r"}),
    ("api.suspend", "POST", "OPERATOR", "ready", {"reason": "r"}),
    ("api.resume", "POST", "OPERATOR", "ready", {}),
    ("api.cancel", "POST", "OPERATOR", "ready", {"reason": "r"}),
    ("api.move_targets", "GET", "OPERATOR", "ready", None),
    ("api.move", "POST", "OPERATOR", "ready", {"element_id": "no-such-step", "dry_run": True}),
    ("api.edit_data", "PATCH", "OPERATOR", "ready", {"data": {"amount": 6}, "reason": "r"}),
    ("auth.login", "GET", "PUBLIC", None, None),
    ("auth.login", "POST", "PUBLIC", None, {"username": "sales", "password": "demo"}),
    ("auth.logout", "POST", "SIGNED_IN", None, {}),
    ("auth.set_locale", "POST", "PUBLIC", None, {}),
    ("static", "GET", "PUBLIC", None, None),
    ("vendor", "GET", "PUBLIC", None, None),
    ("home.index", "GET", "SIGNED_IN", None, None),
    ("home.queue", "GET", "SIGNED_IN", None, None),
    ("home.workload", "GET", "ANY_HEAD", None, None),
    ("home.bulk", "POST", "SIGNED_IN", "ready", {"action": "claim"}),  # each task is checked: see below
    ("home.claim", "POST", "WORKERS", "ready", {}),
    ("home.unclaim", "POST", "HOLDER_HEAD", "held", {}),
    ("home.assign", "POST", "HEAD", "ready", {"kind": "reassigned", "assignee": "sales"}),
    ("home.assign", "POST", "HOLDER", "held", {"kind": "delegated", "assignee": "sales_head"}),
    ("task.show", "GET", "TASK_READ", None, None),
    ("task.submit", "POST", "WORKERS", "ready", {"action": "complete", "text": "ok"}),
    ("task.submit", "POST", "WORKERS", "ready", {"action": "save", "text": "draft"}),
    ("cases.start_list", "GET", "SIGNED_IN", None, None),
    ("cases.start", "GET", "STAFF", None, None),
    ("cases.start", "POST", "STAFF", None, START),
    ("cases.show", "GET", "CASE_READ", None, None),
    ("cases.diagram", "GET", "CASE_READ", None, None),
    ("cases.attachment", "GET", "CASE_READ", None, None),
    ("cases.away", "GET", "SIGNED_IN", None, None),
    ("cases.away", "POST", "SIGNED_IN", None, {"action": "cancel"}),
    ("customers.index", "GET", "SIGNED_IN", None, None),
    ("customers.show", "GET", "SIGNED_IN", None, None),
    ("customers.new", "GET", "KEEPER", None, None),
    ("customers.new", "POST", "KEEPER", None, {"name": ""}),
    ("customers.edit", "GET", "KEEPER", None, None),
    ("customers.edit", "POST", "KEEPER", None, {"name": "x"}),
    ("customers.add_contact", "POST", "KEEPER", None, {"channel": "call", "direction": "inbound", "subject": "x"}),
    ("customers.after_sales", "GET", "SIGNED_IN", None, None),
    ("customers.after_sales_xlsx", "GET", "SIGNED_IN", None, None),
    ("audit.search", "GET", "AUDITOR", None, None),
    ("audit.export_cases", "GET", "AUDITOR", None, None),
    ("audit.save_search", "POST", "AUDITOR", None, {"name": "mine"}),
    ("audit.delete_search", "POST", "AUDITOR", "search", {}),
    ("audit.case", "GET", "AUDITOR", None, None),
    ("audit.case_report", "GET", "AUDITOR", None, None),
    ("audit.export_history", "GET", "AUDITOR", None, None),
    ("audit.dashboard", "GET", "AUDITOR", None, None),
    ("audit.verify", "GET", "AUDITOR", None, None),
    ("audit.versions", "GET", "AUDITOR", None, None),
    ("audit.version", "GET", "AUDITOR", None, None),
    ("audit.version_diagram", "GET", "AUDITOR", None, None),
    ("audit.version_file", "GET", "AUDITOR", None, None),
    ("console.index", "GET", "OWNER", None, None),
    ("console.upload", "POST", "OWNER", None, {"action": "validate"}),
    ("console.edit", "GET", "OWNER", None, None),
    ("console.diff", "GET", "OWNER", None, None),
    ("console.migrate", "GET", "OWNER", None, None),
    ("console.migrate", "POST", "OWNER", None, {}),
    ("console.process", "GET", "OWNER", None, None),
    # JSON API (bearer tokens)
    ("api.token", "POST", "PUBLIC", None, {"username": "sales", "password": "demo"}),
    ("api.openapi", "GET", "PUBLIC", None, None),
    ("api.list_processes", "GET", "SIGNED_IN", None, None),
    ("api.start", "POST", "STAFF", None, {"data": {"case_no": "P-2", "amount": 1}}),
    ("api.list_tasks", "GET", "SIGNED_IN", None, None),
    ("api.get_task", "GET", "TASK_READ", None, None),
    ("api.claim", "POST", "WORKERS", "ready", {}),
    ("api.unclaim", "POST", "HOLDER_HEAD", "held", {}),
    ("api.complete", "POST", "WORKERS", "ready", {"data": {"text": "ok"}}),
    ("api.reassign", "POST", "HEAD", "ready", {"assignee": "sales"}),
    ("api.delegate", "POST", "HOLDER", "held", {"assignee": "sales_head"}),
    ("api.get_instance", "GET", "CASE_READ", None, None),
    ("api.events", "GET", "CASE_READ", None, None),
    ("api.list_escalations", "GET", "SIGNED_IN", None, None),
    ("api.notification_settings", "GET", "SIGNED_IN", None, None),
    ("api.change_notification_settings", "PUT", "SIGNED_IN", None, {"daily_digest": False}),
    ("api.validate_models", "POST", "MODELLER", None, None),
    ("api.publish_models", "POST", "OWNER", None, None),
    ("api.list_models", "GET", "OWNER", None, None),
    ("api.version_file", "GET", "OWNER", None, None),
    ("api.diff", "GET", "OWNER", None, None),
    ("api.drafts", "GET", "OWNER", None, None),
    ("api.save_draft", "PUT", "OWNER", None, {"content": BPMN}),
    ("api.validate_drafts", "POST", "OWNER", None, {}),
    ("api.publish_drafts", "POST", "OWNER", None, {}),
    ("api.migration_dry_run", "POST", "OWNER", None, {}),
    ("api.migrate", "POST", "OWNER", None, {"instance_ids": []}),
    # own account: bodies that change nothing (same password, no token)
    ("account.password", "GET", "SIGNED_IN", None, None),
    ("account.password", "POST", "SIGNED_IN", None, {"current_password": "demo", "new_password": "demo",
                                                      "repeat_password": "demo"}),
    ("account.settings", "GET", "SIGNED_IN", None, None),
    ("account.settings", "POST", "SIGNED_IN", None, {"locale": "zh", "timezone": "Asia/Shanghai"}),
    ("account.tokens", "GET", "SIGNED_IN", None, None),
    ("account.tokens", "POST", "SIGNED_IN", None, {}),
    ("account.reset", "GET", "PUBLIC", None, None),
    ("account.reset", "POST", "PUBLIC", None, {}),
    ("search.results", "GET", "SIGNED_IN", None, None),
    ("api.list_instances", "GET", "SIGNED_IN", None, None),
    ("api.calendar_year", "GET", "SIGNED_IN", None, None, {"year": 2026}),
    ("api.my_tokens", "GET", "SIGNED_IN", None, None),
    ("api.revoke_my_token", "DELETE", "SIGNED_IN", None, None),
    ("api.change_my_password", "POST", "SIGNED_IN", None, {"current_password": "demo", "new_password": "demo"}),
    ("api.get_user", "GET", "SELF", None, None, {"username": "sales"}),
    ("api.admin_audit_events", "GET", "TRAIL", None, None),
    ("admin.trail", "GET", "TRAIL", None, None),
    # administration: invalid or empty input, unknown objects, or the throw-away user
    ("admin.index", "GET", "ADMIN", None, None),
    ("admin.settings_page", "GET", "ADMIN", None, None),
    ("admin.user_list", "GET", "ADMIN", None, None),
    ("admin.user_new", "GET", "ADMIN", None, None),
    ("admin.user_new", "POST", "ADMIN", None, {}),
    ("admin.user_edit", "GET", "ADMIN", None, None),
    ("admin.user_edit", "POST", "ADMIN", None, {"display_name": "Matrix"}),
    ("admin.user_active", "POST", "ADMIN", None, {"active": "1"}),
    ("admin.user_password", "POST", "ADMIN", None, {"method": "link"}),
    ("admin.user_token_revoke", "POST", "ADMIN", None, {}),
    ("admin.user_export", "GET", "ADMIN", None, None, {"kind": "csv"}),
    ("admin.user_import_page", "GET", "ADMIN", None, None),
    ("admin.user_import_page", "POST", "ADMIN", None, {}),
    ("admin.group_list", "GET", "ADMIN", None, None),
    ("admin.group_list", "POST", "ADMIN", None, {}),
    ("admin.group_edit", "GET", "ADMIN", None, None),
    ("admin.group_edit", "POST", "ADMIN", None, {}),
    ("admin.group_delete", "POST", "ADMIN", None, {}),
    ("admin.group_members", "POST", "ADMIN", None, {"username": "matrix_target", "action": "add"}),
    ("admin_calendar.calendar_page", "GET", "ADMIN", None, None),
    ("admin_calendar.add_company_day", "POST", "ADMIN", None, {"date": "", "kind": "", "name": ""}),
    ("admin_calendar.remove_company_day", "POST", "ADMIN", None, {}),
    ("admin_calendar.import_schedule", "POST", "ADMIN", None, {"schedule": ""}),
    ("admin_calendar.working_hours", "POST", "ADMIN", None, {"start": "", "end": ""}),
    ("integration.webhook_list", "GET", "ADMIN", None, None),
    ("integration.webhook_list", "POST", "ADMIN", None, {}),
    ("integration.webhook_active", "POST", "ADMIN", None, {}),
    ("integration.webhook_log", "GET", "ADMIN", None, None),
    ("integration.resend", "POST", "ADMIN", None, {}),
    ("integration.account_list", "GET", "ADMIN", None, None),
    ("integration.account_list", "POST", "ADMIN", None, {}),
    ("integration.revoke", "POST", "ADMIN", None, {}),
    ("api.list_users", "GET", "ADMIN", None, None),
    ("api.create_user", "POST", "ADMIN", None, {}),
    ("api.change_user", "PATCH", "ADMIN", None, {"display_name": "Matrix"}),
    ("api.reset_password", "POST", "ADMIN", None, {}),
    ("api.user_tokens", "GET", "ADMIN", None, None),
    ("api.revoke_user_token", "DELETE", "ADMIN", None, None),
    ("api.export_users", "GET", "ADMIN", None, None),
    ("api.import_users", "POST", "ADMIN", None, {}),
    ("api.list_groups", "GET", "ADMIN", None, None),
    ("api.create_group", "POST", "ADMIN", None, {}),
    ("api.get_group", "GET", "ADMIN", None, None),
    ("api.change_group", "PATCH", "ADMIN", None, {}),
    ("api.delete_group", "DELETE", "ADMIN", None, None),
    ("api.put_calendar_year", "PUT", "ADMIN", None, {}, {"year": 2026}),
    ("api.list_webhooks", "GET", "ADMIN", None, None),
    ("api.create_webhook", "POST", "ADMIN", None, {}),
    ("api.get_webhook", "GET", "ADMIN", None, None),
    ("api.change_webhook", "PATCH", "ADMIN", None, {}),
    ("api.webhook_deliveries", "GET", "ADMIN", None, None),
    ("api.resend_delivery", "POST", "ADMIN", None, {}),
    ("api.list_service_accounts", "GET", "ADMIN", None, None),
    ("api.create_service_account", "POST", "ADMIN", None, {}),
    ("api.revoke_service_account", "POST", "ADMIN", None, {}),
    ("api.post_message", "POST", "ADMIN", None, {}),  # service accounts with a scope, or administrators
    ("audit.case_report_pdf", "GET", "AUDITOR", None, None),
    ("console.form_preview", "POST", "OWNER", None, None),
]
# refusals of these answer "not found", so that an outsider cannot tell whether the object exists
HIDDEN_AS_NOT_FOUND = {"api.get_user"}


class World:
    """A module-wide SQLite product with the test diagram published and one case waiting in sales."""

    def __init__(self, tmp):
        url = f"sqlite:///{tmp / 'matrix.sqlite3'}"
        upgrade(url)
        self.app = create_app(Config(DATABASE_URL=url, TESTING=True, WTF_CSRF_ENABLED=False,
                                     SECRET_KEY="matrix", LOGIN_RATE_LIMIT="10000 per minute",
                                     PROCESSES_DIR=FIXTURES / "basic", FORMS_DIR=FIXTURES / "basic"))
        self.db = self.app.extensions["db"]
        with self.db.session() as session:
            org.seed_demo(session)
            org.create_user(session, "matrix_target", "demo", groups=["finance"])  # administration acts on
            publishing.publish(session, publishing.collect_paths([FIXTURES / "basic"], None), "tester")
            self.version_id = session.scalar(select(ProcessVersion.id))
        self.instance_id, self.task_id = self.new_case()
        sales = self.user("sales")
        self.attachment = drafts.store_attachment(self.db, sales, "file", "a.pdf", "application/pdf", b"%PDF",
                                                  instance_id=self.instance_id)
        self.tokens = {}
        client = self.app.test_client()
        for role, username in ROLES.items():
            if username:
                self.tokens[role] = client.post("/api/v1/auth/token", json={
                    "username": username, "password": "demo"}).get_json()["token"]

    def user(self, username):
        with self.db.session() as session:
            return org.get_user(session, username)

    def new_case(self, state: str = "ready"):
        iid = instances.start_instance(self.db, "loop_review", {"case_no": "M-1", "amount": 5, "rounds": 0},
                                       "sales")
        with self.db.session() as session:
            task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid))
        if state == "held":
            tasks.claim(self.db, self.user("sales"), task_id)
        return iid, task_id

    def new_search(self) -> int:
        with self.db.session() as session:
            return case_search.save_search(session, self.user("auditor"), "s", {}, None).id

    def url(self, endpoint: str, method: str, fresh: str | None, extra: dict | None = None) -> str:
        iid, task_id = (self.new_case(fresh) if fresh in ("ready", "held") else (self.instance_id, self.task_id))
        values = {"task_id": task_id, "instance_id": iid, "process_id": "loop_review",
                  "attachment_id": self.attachment, "version_id": self.version_id, "version": 1,
                  "search_id": self.new_search() if fresh == "search" else 0, "fmt": "csv", "code": "en",
                  "file_name": "loop_review.bpmn", "name": "loop_review.bpmn", "username": "matrix_target",
                  "group_code": "sales"}
        package, filename = {"static": (None, "app.css"),
                             "vendor": ("bpmn-js", "bpmn-viewer.production.min.js")}.get(endpoint, (None, None))
        rule = next(r for r in self.app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods)
        args = {k: values[k] if k in values else _placeholder(rule, k) for k in rule.arguments}
        args.update(extra or {})
        if filename:
            args["filename"] = filename
            if package:
                args["package"] = package
        with self.app.test_request_context():
            query = {"from": 1, "to": 1} if endpoint in ("api.diff", "console.diff") else {}
            return url_for(endpoint, **args, **query)

    def request(self, role: str, endpoint: str, method: str, fresh, body, extra=None):
        url = self.url(endpoint, method, fresh, extra)
        client = self.app.test_client()
        username = ROLES[role]
        if endpoint.startswith("api."):
            headers = {"Authorization": "Bearer " + self.tokens[role]} if username else {}
            if endpoint in ("api.validate_models", "api.publish_models"):
                return client.open(url, method=method, headers=headers,
                                   data={"files": (io.BytesIO(BPMN.encode()), "loop_review.bpmn")},
                                   content_type="multipart/form-data")
            return client.open(url, method=method, headers=headers, json=body)
        if username:
            self.sign_in_page(client, username)
        return client.open(url, method=method, data=body)

    def sign_in_page(self, client, username: str):
        page_session(self.db, client, username)


def _placeholder(rule, name: str):
    """A URL value for an argument the world has no object for: a number for <int:...>, else a word."""
    converter = rule._converters.get(name)
    return 987654 if isinstance(converter, IntegerConverter) else "no-such-thing"


def denied(response) -> bool:
    """Refused for want of rights: 401, 403, or sent to the sign-in page to come back (`next=`) afterwards
    (signing out also ends on the sign-in page, without a way back)."""
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("Location", "")
    return response.status_code == 302 and "/login" in location and "next=" in location


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("matrix"))
    yield world
    world.db.dispose()


def routes(app) -> set[tuple[str, str]]:
    """(endpoint, method) of every route the application serves, read from its url_map."""
    return {(r.endpoint, m) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}


def test_the_table_covers_every_route(world):
    table = {(e, m) for e, m, *_ in TABLE}
    assert all(rule in RULES for _e, _m, rule, *_ in TABLE), "every expectation names a rule of RULES"
    assert routes(world.app) - table == set(), "routes without an expectation: add them to TABLE"
    assert table - routes(world.app) == set(), "expectations for routes that do not exist"


def test_a_route_registered_later_is_found_without_an_expectation(tmp_path):
    from flask import Blueprint
    app = create_app(Config(DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}", TESTING=True))
    before = routes(app)
    extra = Blueprint("later", __name__, url_prefix="/later")
    extra.add_url_rule("/<int:thing_id>", "thing", lambda thing_id: "", methods=["GET", "DELETE"])
    app.register_blueprint(extra)
    assert routes(app) - before - {(e, m) for e, m, *_ in TABLE} == {("later.thing", "GET"),
                                                                      ("later.thing", "DELETE")}


def test_every_route_and_role_is_allowed_or_refused_as_the_rules_say(world):
    unexpected_allows, unexpected_denials, errors = [], [], []
    for endpoint, method, rule, fresh, body, *extra in TABLE:
        for role in ROLES:
            response = world.request(role, endpoint, method, fresh, body, *extra)
            label = f"{method} {endpoint} as {role}: {response.status_code}"
            refused = denied(response) or (endpoint in HIDDEN_AS_NOT_FOUND and response.status_code == 404)
            if response.status_code >= 500:
                errors.append(label)
            elif role in RULES[rule] and refused:
                unexpected_denials.append(label)
            elif role not in RULES[rule] and not refused:
                unexpected_allows.append(label)
    assert unexpected_allows == []
    assert unexpected_denials == []
    assert errors == []


def test_bulk_claim_only_claims_what_the_user_may_work(world):
    for role, expected in (("member:finance", None), ("auditor", None), ("member:sales", "sales")):
        _iid, task_id = world.new_case()
        client = world.app.test_client()
        world.sign_in_page(client, ROLES[role])
        assert client.post("/queue/bulk", data={"action": "claim", "task_id": task_id}).status_code == 302
        with world.db.session() as session:
            assert session.get(HumanTask, task_id).claimed_by == expected, role
    _iid, task_id = world.new_case()
    client = world.app.test_client()
    world.sign_in_page(client, "sales")
    refused = client.post("/queue/bulk", data={"action": "reassign", "task_id": task_id, "assignee": "sales"})
    assert refused.status_code == 403  # members may not reassign, in bulk either
