"""What people read instead of engine codes: process display names, element (step) titles in the
version a case ran, form-field titles and enum/oneOf option titles, departments, people and statuses,
all in the page language. Pages (through the Jinja filters of app/web/labels.py), exports, e-mails and the
printable report use one Labels object per request or job:

    names = Labels(session, "zh")
    names.process("complaint_handling")            -> "客户投诉处理"
    names.element(version_id, "prod_investigate")  -> "生产部调查原因"   (title in that version)
    names.field(version_id, "channel")             -> "投诉渠道"
    names.value(version_id, "channel", "phone")    -> "电话"   (money: "¥12,345.60", booleans: 是/否)
    names.group("quality")                         -> "质量管理部"
    names.person("qa_li")                          -> "李质检"
    names.status("running")                        -> "进行中"

Versions are immutable, so what is read from one is cached per database (session.info["db"].caches)."""
import json
import re
from datetime import date, datetime

from babel.numbers import format_currency, format_decimal
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import _
from ..models import Group, ProcessVersion, User
from .modelling import DOC_SUFFIX
from .modelling.formfields import form_schemas, split_label
from .zones import display_zone

CACHE_KEY = "labels"
ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def status_labels() -> dict[str, str]:
    """Case and task states (stored codes) as people say them."""
    return {"running": _("In progress"), "completed": _("Closed"), "error": _("Stopped by an error"),
            "cancelled": _("Cancelled"), "ready": _("Waiting in queue"), "claimed": _("Claimed"),
            "suspended": _("Suspended"), "terminated": _("Terminated")}


def _element_docs(version: ProcessVersion) -> dict[str, str]:
    """Element id -> the documentation the diagram carries (Chinese): user tasks from the task catalogue,
    the other elements (events, gateways, called steps) from the parsed spec."""
    spec = version.spec or {}
    docs: dict[str, str] = {}
    for part in [spec.get("spec") or {}, *((spec.get("subprocess_specs") or {}).values())]:
        for element_id, task in ((part or {}).get("task_specs") or {}).items():
            if isinstance(task, dict) and task.get("documentation"):
                docs.setdefault(element_id, str(task["documentation"]))
    for element_id, task in (version.task_catalog or {}).items():
        if task.get("documentation"):
            docs[element_id] = str(task["documentation"])
    return docs


def _element_names(spec: dict) -> dict[str, str]:
    names: dict[str, str] = {}
    parts = [(spec or {}).get("spec") or {}, *(((spec or {}).get("subprocess_specs") or {}).values())]
    for part in parts:
        for element_id, task in ((part or {}).get("task_specs") or {}).items():
            if isinstance(task, dict) and task.get("bpmn_name"):
                names.setdefault(element_id, str(task["bpmn_name"]))
        if part.get("name") and part.get("description"):
            names.setdefault(part["name"], str(part["description"]))
    return names


def _version_info(version: ProcessVersion) -> dict:
    """Everything label-related one version declares (built once per version)."""
    en = ((version.meta or {}).get("labels") or {}).get("en") or {}
    zh = _element_names(version.spec or {})
    for element_id, task in (version.task_catalog or {}).items():
        if task.get("title"):
            zh[element_id] = task["title"]
    zh.setdefault(version.process_id, version.name or "")
    fields: dict[str, dict] = {}
    for schema in form_schemas(version.sources):
        for name, prop in schema["properties"].items():
            if not isinstance(prop, dict) or name in fields:
                continue
            enum = prop if "enum" in prop else prop.get("items") or {}  # a choice, or a list of choices
            names = enum.get("x-enumNames")  # titles of the enum's values, "中文 / English" each
            options = {str(v): str(n) for v, n in zip(enum.get("enum") or [], names)} \
                if isinstance(names, list) and len(names) == len(enum.get("enum") or []) else {}
            for choice in prop.get("oneOf") or prop.get("anyOf") or (prop.get("items") or {}).get("oneOf") or []:
                if isinstance(choice, dict) and "const" in choice:
                    options[str(choice["const"])] = str(choice.get("title") or choice["const"])
            fields[name] = {"title": str(prop.get("title") or ""), "options": options,
                            "format": prop.get("format"), "type": prop.get("type"),
                            "currency": prop.get("x-currency") or ("CNY" if prop.get("format") == "money" else None),
                            "parts": _row_parts(prop)}
    start = (version.meta or {}).get("start") or {}
    return {"zh": zh, "en": en, "fields": fields, "process_id": version.process_id, "name": version.name,
            "start_properties": start.get("properties") or {}, "docs": _element_docs(version)}


def _row_parts(prop: dict) -> dict:
    """For a list of records (array of objects): each part's title, option titles and whether it names a
    person (x-person: a user name shown by display name, any other text as entered)."""
    items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
    parts = {}
    for key, part in (items.get("properties") or {}).items():
        if not isinstance(part, dict):
            continue
        choices = part.get("oneOf") or part.get("anyOf") or []
        options = {str(c["const"]): str(c.get("title") or c["const"]) for c in choices
                   if isinstance(c, dict) and "const" in c}
        parts[key] = {"title": str(part.get("title") or key), "options": options, "person": bool(part.get("x-person"))}
    return parts


class Labels:
    """Names for one page language, cached for the life of the object (a request or an export)."""

    def __init__(self, session: Session, locale: str = "zh"):
        self.session = session
        self.locale = "en" if str(locale).startswith("en") else "zh"
        db = session.info.get("db")
        self._versions: dict = db.caches.setdefault(CACHE_KEY, {}) if db is not None else {}
        self._latest: dict[str, int | None] = {}
        self._groups: dict[str, Group | None] | None = None
        self._people: dict[str, str] = {}

    # versions -------------------------------------------------------------------------------------
    def version(self, version_id: int | None) -> dict:
        if version_id is None:
            return {"zh": {}, "en": {}, "fields": {}, "process_id": "", "name": "", "start_properties": {},
                    "docs": {}}
        info = self._versions.get(version_id)
        if info is None:
            version = self.session.get(ProcessVersion, version_id)
            info = _version_info(version) if version is not None else self.version(None)
            self._versions[version_id] = info
        return info

    def latest_version_id(self, process_id: str) -> int | None:
        if process_id not in self._latest:
            self._latest[process_id] = self.session.scalar(
                select(ProcessVersion.id).where(ProcessVersion.process_id == process_id)
                .order_by(ProcessVersion.version.desc()).limit(1))
        return self._latest[process_id]

    def process(self, process_id: str | None, version_id: int | None = None) -> str:
        """A process's display name (of the given version, else the latest)."""
        if not process_id:
            return ""
        info = self.version(version_id or self.latest_version_id(process_id))
        if self.locale == "en" and info["en"].get(process_id):
            return info["en"][process_id]
        return split_label(info["zh"].get(process_id) or info["name"] or _("Process"), self.locale) \
            if (info["zh"].get(process_id) or info["name"]) else _("Unnamed process")

    def element(self, version_id: int | None, element_id: str | None, default: str = "") -> str:
        """An element's title in the version given (the version the case ran at that moment)."""
        if not element_id:
            return ""
        info = self.version(version_id)
        if self.locale == "en" and info["en"].get(element_id):
            return info["en"][element_id]
        title = info["zh"].get(element_id) or default
        return split_label(title, self.locale) if title else _("Unnamed step")

    # fields and values ----------------------------------------------------------------------------
    def declared(self, version_id: int | None) -> set[str]:
        """Field names some form of the version declares (everything else is an internal variable)."""
        return set(self.version(version_id)["fields"])

    def field(self, version_id: int | None, name: str) -> str:
        spec = self.version(version_id)["fields"].get(name)
        return split_label(spec["title"], self.locale) if spec and spec["title"] else name

    def option(self, version_id: int | None, name: str, value) -> str:
        spec = self.version(version_id)["fields"].get(name) or {}
        title = spec.get("options", {}).get(str(value))
        return split_label(title, self.locale) if title else str(value)

    def value(self, version_id: int | None, name: str, value) -> str:
        """A case-data value as text: option titles, 是/否, money with its currency, China dates."""
        spec = self.version(version_id)["fields"].get(name) or {}
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, list):
            return "、".join(self.value(version_id, name, v) for v in value) if self.locale == "zh" \
                else ", ".join(self.value(version_id, name, v) for v in value)
        if spec.get("options") and str(value) in spec["options"]:
            return self.option(version_id, name, value)
        if isinstance(value, (int, float)) and spec.get("currency"):
            return money(value, spec["currency"], self.locale)
        if isinstance(value, (int, float)):
            return format_decimal(value, locale=_babel_locale(self.locale))
        if isinstance(value, (datetime, date)) or spec.get("format") in ("date-time", "date"):
            return local_time(value, self.locale)
        if isinstance(value, dict) and spec.get("parts"):
            return self._row(spec["parts"], value)
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, str) and ISO_INSTANT.match(value):
            return local_time(value, self.locale)
        return str(value)

    def _row(self, parts: dict, row: dict) -> str:
        """One entry of a list of records (a team member, a participant) as a line: its first part, then the
        others in brackets - options by their titles, people by their display names, yes/no with the title."""
        texts = []
        for key, part in parts.items():
            item = row.get(key)
            if item is None or item == "":
                continue
            if part["person"]:
                text = self.person(str(item))
            elif isinstance(item, bool):
                text = f"{split_label(part['title'], self.locale)}: {_('Yes') if item else _('No')}"
            elif str(item) in part["options"]:
                text = split_label(part["options"][str(item)], self.locale)
            else:
                text = str(item)
            texts.append(text)
        if len(texts) < 2:
            return "".join(texts)
        if self.locale == "zh":
            return f"{texts[0]}（{'，'.join(texts[1:])}）"
        return f"{texts[0]} ({', '.join(texts[1:])})"

    # organisation ---------------------------------------------------------------------------------
    def group(self, code: str | None) -> str:
        if not code:
            return ""
        if self._groups is None:
            self._groups = {g.code: g for g in self.session.scalars(select(Group))}
        group = self._groups.get(code)
        if group is None:
            return code
        return (group.name_en if self.locale == "en" else group.name_zh) or code

    def person(self, username: str | None) -> str:
        if not username:
            return ""
        if username not in self._people:
            self._people[username] = self.session.scalar(
                select(User.display_name).where(User.username == username)) or username
        return self._people[username]

    def people(self, usernames) -> None:
        """Read many display names at once (before a list calls person() per row)."""
        wanted = {u for u in usernames if u and u not in self._people}
        if wanted:
            found = dict(self.session.execute(select(User.username, User.display_name)
                                              .where(User.username.in_(wanted))).all())
            for name in wanted:
                self._people[name] = found.get(name) or name

    def status(self, code: str | None) -> str:
        return status_labels().get(code or "", code or "")

    # authored text ----------------------------------------------------------------------------------
    def documentation(self, version_id: int | None, element_id: str | None) -> str:
        """An element's documentation in the page language as staff read it: the diagram's (Chinese) text, in
        English the language file's "<element id>.documentation" (the Chinese text where it has none). The
        regulation it cites stays; a field a form declares is named by its form label; internal variable
        names, decision-table ids, diagram property names and the [decision] marker are left out."""
        if not element_id:
            return ""
        info = self.version(version_id)
        text = info["docs"].get(element_id, "")
        if self.locale == "en":
            text = info["en"].get(element_id + DOC_SUFFIX) or text
        return staff_text(text, {name: self.field(version_id, name) for name in self.declared(version_id)})


# identifiers in authored text: snake_case names, camelCase property names, calls like today()
_IDENTIFIER = re.compile(r"(?<![\w.§/-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+[A-Z][A-Za-z0-9]*|[a-z_]+\(\))(?![\w(-])")
_DECISION_REF = re.compile(r"(?:\[decision\]\s*)?\b(DMN|决策表)\s+([a-z][a-z0-9_]*)")
_EMPTY_BRACKETS = re.compile(r"[（(][\s,，;；、]*[）)]")
_SPACE_BEFORE = re.compile(r"\s+(?=[，。；：、）)”])")
_SPACE_AFTER = re.compile(r"(?<=[（(“，；：、])\s+")
_PUNCT_RUNS = re.compile(r"([，；、])[，；、]+")


def staff_text(text: str | None, fields: dict[str, str] | None = None) -> str:
    """Authored text without engine identifiers: names in `fields` become their labels, the rest go."""
    if not text:
        return ""
    fields = fields or {}
    out = _DECISION_REF.sub(lambda m: "决策表" if m.group(1) == "决策表" else "", text)
    out = out.replace("[decision]", "")
    out = _IDENTIFIER.sub(lambda m: fields.get(m.group(1), ""), out)
    for _round in range(2):
        out = _EMPTY_BRACKETS.sub("", out)
        out = _SPACE_BEFORE.sub("", _SPACE_AFTER.sub("", out))
        out = _PUNCT_RUNS.sub(r"\1", out)
        out = re.sub(r"(?<=[（(])[，；、,;]+|[，；、,;]+(?=[）)])", "", out)
        out = re.sub(r"[，；、]+(?=[。])|(?<=[：:])[，；、]+", "", out)
        out = re.sub(r"。{2,}", "。", out)
        # the same for ASCII punctuation: "(group , any member)", "输入: , , .", "记入 ."
        out = re.sub(r"[ \t]+(?=[,.;:)])", "", out)
        out = re.sub(r"([,;:])(?:\s*[,;])+", r"\1", out)
        out = re.sub(r"(?<=[(:])\s*[,;]\s*|[,;]\s*(?=[.)])", "", out)
        out = re.sub(r"(?<![.])\.\.(?![.])", ".", out)
        out = re.sub(r"^[：:;；,，]\s*", "", out)
        out = re.sub(r"(?<=[\u4e00-\u9fff—])[ \t]+(?=[\u4e00-\u9fff（])", "", out)
    # 接到日期（接到日期）: a label that repeats the words before it is said once
    out = re.sub(r"([\u4e00-\u9fff]+)（([^（）]+)）", lambda m: m.group(1) if m.group(1).endswith(m.group(2)) else m.group(0), out)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def _babel_locale(locale: str) -> str:
    return "en_US" if locale == "en" else "zh_CN"


def money(amount, currency: str = "CNY", locale: str = "zh") -> str:
    """¥12,345.60 (two decimals, the currency's sign)."""
    text = format_currency(amount, currency or "CNY", locale=_babel_locale(locale))
    return text.replace("CN¥", "¥").replace("CNY", "¥") if (currency or "CNY") == "CNY" else text


def local_time(value, locale: str = "zh", fmt: str = "short", zone: str | None = None) -> str:
    """A stored instant (naive UTC datetime, aware datetime or ISO 8601 text) in China time or the given
    zone, formatted for the page language; dates stay dates. Never an ISO string."""
    from babel.dates import format_date, format_datetime, get_timezone
    from datetime import timezone as tz
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value or ":" in value \
                else date.fromisoformat(value)
        except ValueError:
            return value
    babel_locale = _babel_locale(locale)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz.utc)
        if fmt == "short":  # 2026/11/29 04:48 · 29 Nov 2026 04:48
            fmt = "y/MM/dd HH:mm" if locale != "en" else "d MMM y HH:mm"
        return format_datetime(value, fmt, tzinfo=get_timezone(zone or display_zone()), locale=babel_locale)
    if fmt == "short":
        fmt = "y/MM/dd" if locale != "en" else "d MMM y"
    return format_date(value, fmt, locale=babel_locale)
