"""Exports for auditors: the filtered case list and a case's full history as Excel (xlsx) and CSV.
Headers follow the page language (Chinese by default). CSV is UTF-8 with a byte-order mark so Excel reads
Chinese correctly. Cell text that a spreadsheet would run as a formula is neutralised."""
import csv
import io
import json
from datetime import datetime

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from flask import has_request_context
from flask_babel import to_user_timezone

from ...i18n import _
from ..labels import Labels

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def case_columns() -> list[tuple[str, str]]:
    return [("id", _("Case ID")), ("process_id", _("Process")), ("version", _("Version")),
            ("business_key", _("Business key")), ("customer", _("Customer")), ("status", _("Status")),
            ("started_by", _("Started by")), ("started_at", _("Started at")), ("ended_at", _("Closed at")),
            ("current", _("Current step")), ("sla", _("SLA")),
            ("commitment_breached_at", _("Commitment breached at"))]


def history_columns() -> list[tuple[str, str]]:
    return [("seq", _("No.")), ("at", _("Time")), ("label", _("Event")), ("element", _("Step")),
            ("actor", _("Who")), ("submitted", _("Data submitted")),
            ("changes", _("Changes (before → after)")), ("details", _("Details")),
            ("internal", _("Internal variables (not shown to staff)")), ("hash", _("Hash"))]


def case_rows(found: list[dict], names: Labels | None = None) -> list[dict]:
    """Case list rows as people read them: process names, status labels, people by name."""
    if names is not None:
        names.people(r["started_by"] for r in found)
    return [r | {"current": ", ".join(r["current"]),
                 "sla": _("breached") if r["sla_breached"] else _("met")}
            | ({"process_id": names.process(r["process_id"]), "status": names.status(r["status"]),
                "started_by": names.person(r["started_by"])} if names is not None else {})
            for r in found]


def history_rows(events: list[dict], names: Labels | None = None) -> list[dict]:
    """History rows; with names, fields and values by their form labels in the version of each event."""
    if names is None:
        return [e | {"changes": "; ".join(f"{k}: {_text(b)} → {_text(a)}" for k, b, a in e["changes"]),
                     "details": e["details"] or None} for e in events]
    out = []
    for e in events:
        vid = e.get("version_id")

        def value(name, v, vid=vid):
            return names.value(vid, name, v) if v is not None else ""
        submitted = "; ".join(f"{names.field(vid, k)}: {value(k, v)}" for k, v in (e.get("submitted") or {}).items())
        declared = names.declared(vid)
        changes = "; ".join(f"{names.field(vid, k)}: {value(k, b)} → {value(k, a)}"
                            for k, b, a in e["changes"] if k in declared)
        internal = "; ".join(f"{k}: {value(k, b)} → {value(k, a)}" for k, b, a in e["changes"] if k not in declared)
        details = "; ".join(f"{k}: {_detail(names, k, v)}" for k, v in (e["details"] or {}).items())
        out.append(e | {"submitted": submitted or None, "changes": changes or None, "details": details or None,
                        "internal": internal or None,
                        "actor": names.person(e["actor"]) if e.get("actor") else _("system")})
    return out


def _detail(names: Labels, key: str, value) -> str:
    if key == "group":
        return names.group(value)
    if key in ("to", "from", "requested", "substitute_for"):
        return names.person(value)
    if key == "process_id":
        return names.process(value)
    return names.value(None, key, value)


def localise(rows: list[dict]) -> list[dict]:
    """Times in the display time zone of the pages (stored times are UTC)."""
    if not has_request_context():
        return rows
    return [{k: to_user_timezone(v).replace(tzinfo=None) if isinstance(v, datetime) else v
             for k, v in row.items()} for row in rows]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def _cell(value):
    if isinstance(value, datetime) or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = _text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_xlsx(title: str, columns: list[tuple[str, str]], rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([header for _key, header in columns])
    for row in rows:
        sheet.append([_cell(row.get(key)) for key, _header in columns])
    for index, (key, header) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(60, len(header) * 2 + 4))
        for cell in sheet[get_column_letter(index)][1:]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(columns: list[tuple[str, str]], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _key, header in columns])
    for row in rows:
        writer.writerow([v.isoformat(sep=" ", timespec="seconds") if isinstance(v, datetime) else v
                         for v in (_cell(row.get(key)) for key, _header in columns)])
    return out.getvalue().encode("utf-8-sig")
