"""Bulk import and export of users with their departments and roles, from the xlsx or CSV file an HR
department already has.

A dry run (plan) reads every row and says what would be created, changed (field by field), left as it
is, or refused and why; apply does the same in the caller's transaction (one transaction for the whole
file) and skips refused rows. Columns are matched by their English or Chinese header; a column that is
absent changes nothing; departments may be given by code, name or alias. Imported local accounts get no
password: they sign in through the company directory, or the administrator sends them a one-time link."""
import csv
import io
import re
from dataclasses import dataclass, field

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...i18n import _
from ...models import PRODUCT_ROLES, User
from ..audit import exports
from ..errors import ServiceError
from . import users
from .org import group_index

MAX_ROWS = 20_000
COLUMNS = ("username", "display_name", "email", "locale", "timezone", "groups", "head_of", "roles", "active")
HEADERS = {  # header text (lower case) -> column
    "username": "username", "user name": "username", "login": "username", "用户名": "username", "账号": "username",
    "工号": "username",
    "display_name": "display_name", "name": "display_name", "display name": "display_name", "姓名": "display_name",
    "显示名": "display_name",
    "email": "email", "e-mail": "email", "mail": "email", "邮箱": "email", "电子邮件": "email",
    "locale": "locale", "language": "locale", "语言": "locale",
    "timezone": "timezone", "time zone": "timezone", "时区": "timezone",
    "groups": "groups", "departments": "groups", "department": "groups", "部门": "groups", "所属部门": "groups",
    "head_of": "head_of", "head of": "head_of", "负责部门": "head_of", "部门负责人": "head_of",
    "roles": "roles", "role": "roles", "角色": "roles",
    "active": "active", "enabled": "active", "启用": "active", "在职": "active", "状态": "active",
}
ROLE_NAMES = {"流程负责人": "process_owner", "审计员": "auditor", "系统管理员": "admin", "管理员": "admin"}
TRUE = {"1", "true", "yes", "y", "是", "启用", "在职", "active"}
FALSE = {"0", "false", "no", "n", "否", "停用", "离职", "inactive"}
LOCALE_NAMES = {"中文": "zh", "chinese": "zh", "zh-cn": "zh", "英文": "en", "english": "en"}
SPLIT = re.compile(r"[,;，；、\n|]+")


@dataclass
class Row:
    number: int  # the row number in the file (the header is row 1)
    values: dict


@dataclass
class RowResult:
    row: int
    username: str
    status: str  # created | changed | unchanged | refused
    reasons: list[str] = field(default_factory=list)
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"row": self.row, "username": self.username, "status": self.status, "reasons": self.reasons,
                "before": self.before, "after": self.after}


@dataclass
class Report:
    dry_run: bool
    results: list[RowResult] = field(default_factory=list)
    temporary: dict = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.results if r.status == "refused"]

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "applied": not self.dry_run,
                "created": self.count("created"), "changed": self.count("changed"),
                "unchanged": self.count("unchanged"), "refused": self.count("refused"),
                "rows": [r.as_dict() for r in self.results]}


# --- reading --------------------------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 工号 typed as a number in Excel
    return str(value).strip()


def _table(header: list, body) -> list[Row]:
    columns = [HEADERS.get(_text(h).lower()) for h in header]
    if "username" not in columns:
        raise ServiceError(_("The file needs a username column (用户名); found: %(found)s",
                             found=", ".join(_text(h) for h in header if _text(h)) or "-"), code="no_username_column")
    rows = []
    for number, cells in enumerate(body, start=2):
        values = {}
        for column, cell in zip(columns, cells):
            if column and column not in values:
                values[column] = _text(cell)
        if any(values.values()):
            rows.append(Row(number, values))
        if len(rows) > MAX_ROWS:
            raise ServiceError(_("The file has more than %(n)s rows; split it.", n=MAX_ROWS))
    return rows


def read(filename: str, content: bytes) -> list[Row]:
    """The rows of an xlsx (first sheet) or CSV (UTF-8, with or without BOM, or GB18030) file."""
    name = (filename or "").lower()
    if not content:
        raise ServiceError(_("The file is empty."), code="empty_file")
    if name.endswith(".xlsx") or content[:2] == b"PK":
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a file that is not a workbook
            raise ServiceError(_("This is not an Excel (xlsx) file."), code="bad_file")
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = list(next(lines, None) or [])
        rows = _table(header, lines)
        book.close()
        return rows
    if name.endswith(".csv") or not name or "." not in name:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        lines = list(csv.reader(io.StringIO(text)))
        if not lines:
            raise ServiceError(_("The file is empty."), code="empty_file")
        return _table(lines[0], lines[1:])
    raise ServiceError(_("Upload an xlsx or CSV file."), code="bad_file")


# --- checking -------------------------------------------------------------------------------------------

def _fields(values: dict, index: dict[str, str], reasons: list[str], creating: bool) -> dict:
    """A row's cells as user fields (departments and roles resolved); problems go to reasons."""
    out: dict = {}
    for column in ("display_name", "email", "timezone"):
        if values.get(column):
            out[column] = values[column]
    if values.get("locale"):
        out["locale"] = LOCALE_NAMES.get(values["locale"].lower(), values["locale"].lower())
    for column in ("groups", "head_of"):
        if column in values:
            codes, unknown = [], []
            for name in SPLIT.split(values[column]):
                if name.strip():
                    code = index.get(name.strip().lower())
                    (codes if code else unknown).append(code or name.strip())
            if unknown:
                reasons.append(_("Unknown department: %(code)s", code=", ".join(unknown)))
            out[column] = codes
    if "roles" in values:
        roles = [ROLE_NAMES.get(r.strip(), r.strip().lower()) for r in SPLIT.split(values["roles"]) if r.strip()]
        bad = [r for r in roles if r not in PRODUCT_ROLES]
        if bad:
            reasons.append(_("Unknown role: %(role)s", role=", ".join(bad)))
        out["roles"] = [r for r in roles if r in PRODUCT_ROLES]
    if values.get("active"):
        flag = values["active"].lower()
        if flag in TRUE or flag in FALSE:
            out["active"] = flag in TRUE
        else:
            reasons.append(_("Active is yes or no, not %(value)s.", value=values["active"]))
    if creating and not out.get("display_name"):
        out["display_name"] = values.get("username", "")
    return out


def _check(session: Session, row: Row, index: dict, seen: set[str], known: set[str]
           ) -> tuple[RowResult, dict, User | None]:
    username = row.values.get("username", "")
    result = RowResult(row.number, username, "refused")
    if not username:
        result.reasons.append(_("The user name is missing."))
        return result, {}, None
    if username.lower() in seen:
        result.reasons.append(_("The user %(name)s appears twice in the file.", name=username))
        return result, {}, None
    seen.add(username.lower())
    user = session.scalar(select(User).where(User.username == username))
    fields = _fields(row.values, index, result.reasons, creating=user is None)
    if result.reasons:
        return result, {}, user
    try:
        if user is None:
            users.clean(session, {"username": username, **fields}, creating=True, known_groups=known)
        else:
            checked = users.clean(session, fields, creating=False, known_groups=known)
            users.guard_last_admin(session, user, checked)
    except ServiceError as exc:
        errors = getattr(exc, "field_errors", None) or {"_": [exc.message]}
        result.reasons.extend(message for messages in errors.values() for message in messages)
        return result, {}, user
    if user is None:
        result.status, result.after = "created", {"username": username, **fields}
    else:
        before = users.snapshot(user)
        wanted = dict(before)
        wanted.update({k: v for k, v in fields.items()})
        if "groups" in fields and "head_of" not in fields:
            wanted["head_of"] = [g for g in before["head_of"] if g in fields["groups"]]
        if "head_of" in fields:
            wanted["groups"] = sorted(set(wanted["groups"]) | set(fields["head_of"]))
        for key in ("groups", "head_of", "roles"):
            wanted[key] = sorted(wanted[key])
        changed = [k for k in wanted if wanted[k] != before[k]]
        result.status = "changed" if changed else "unchanged"
        result.before = {k: before[k] for k in changed}
        result.after = {k: wanted[k] for k in changed}
    return result, fields, user


def plan(session: Session, rows: list[Row]) -> Report:
    """The dry run: what importing these rows would do, row by row; nothing is changed."""
    report, index, seen = Report(dry_run=True), group_index(session), set()
    known = set(index.values())
    for row in rows:
        report.results.append(_check(session, row, index, seen, known)[0])
    return report


def apply(session: Session, actor: str, rows: list[Row]) -> tuple[Report, list[User]]:
    """Import the rows in the caller's transaction, skipping refused ones. Returns the report and the
    users that were changed."""
    report, index, seen, changed = Report(dry_run=False), group_index(session), set(), []
    known = set(index.values())
    with session.no_autoflush:  # the new rows are inserted together when the transaction commits
        for row in rows:
            result, fields, user = _check(session, row, index, seen, known)
            if result.status == "created":
                users.create(session, actor, {"username": result.username, **fields}, initial_password=False,
                             reason=_("import row %(n)s", n=row.number), known_groups=known)
            elif result.status == "changed":
                try:
                    changed.append(users.update(session, actor, user.username, fields, known_groups=known,
                                                reason=_("import row %(n)s", n=row.number)))
                except ServiceError as exc:  # e.g. the last administrator, after earlier rows of the file
                    result.status, result.before, result.after = "refused", {}, {}
                    result.reasons.append(exc.message)
            report.results.append(result)
    return report, changed


# --- export ---------------------------------------------------------------------------------------------

def export(session: Session, kind: str) -> bytes:
    """Every user with departments, heads-of and roles, in the columns import reads back."""
    rows = []
    for user in session.scalars(select(User).order_by(User.username)):
        data = users.snapshot(user)
        rows.append({**data, "email": data["email"] or "", "timezone": data["timezone"] or "",
                     "groups": ", ".join(data["groups"]), "head_of": ", ".join(data["head_of"]),
                     "roles": ", ".join(data["roles"]), "active": "yes" if data["active"] else "no"})
    columns = [(column, column) for column in COLUMNS]
    return exports.to_csv(columns, rows) if kind == "csv" else exports.to_xlsx("users", columns, rows)
