"""A JSON Schema form as a list of page fields, and the page's submitted text turned back into data.

Widgets by schema: string → text (textarea when maxLength > 200 or format "textarea"), format "date" →
date, "date-time" → date and time, "attachment" → file upload; number/integer → number (format "money" or
"x-currency" → money); boolean → checkbox (yes/no choice when required); enum or oneOf of const → select;
array of enum strings → several checkboxes; array of strings → one item per line; array of records with
plain parts (text, number, choice, yes/no) → a table, one row per record with a few empty rows to add more
(`<field>-<row>-<part>`); other → JSON text.
Titles written "中文 / English" show the half for the page language."""
import json
import re

from ...i18n import _
from ..errors import ValidationFailed
from .forms import validate_data

LONG_TEXT = 200
EMPTY_ROWS = 3  # empty table rows offered below the entered ones


def split_label(text: str, locale: str) -> str:
    if " / " in text:
        zh, en = text.split(" / ", 1)
        return en.strip() if locale == "en" else zh.strip()
    return text


def _options(prop: dict, locale: str) -> list[tuple[str, str]] | None:
    if "enum" in prop:
        names = prop.get("x-enumNames")
        if isinstance(names, list) and len(names) == len(prop["enum"]):  # "中文 / English" per value
            return [(str(v), split_label(str(n), locale)) for v, n in zip(prop["enum"], names)]
        return [(str(v), str(v)) for v in prop["enum"]]
    choices = prop.get("oneOf") or prop.get("anyOf")
    if choices and all("const" in c for c in choices):
        return [(str(c["const"]), split_label(str(c.get("title", c["const"])), locale)) for c in choices]
    return None


def _kind(prop: dict, required: bool) -> str:
    kind = prop.get("type")
    fmt = prop.get("format")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "array":
        items = prop.get("items") or {}
        if items.get("type") == "string":
            return "multiselect" if "enum" in items or _options(items, "zh") else "lines"
        return "rows" if _columns(items, "zh") else "json"
    if _options(prop, "zh") is not None and kind != "boolean":
        return "select"
    if kind == "boolean":
        return "yesno" if required else "checkbox"
    if kind in ("number", "integer"):
        return "money" if fmt == "money" or "x-currency" in prop else kind
    if kind == "string":
        if fmt in ("date", "attachment", "textarea"):
            return fmt
        if fmt == "date-time":
            return "datetime"
        return "textarea" if prop.get("maxLength", 0) > LONG_TEXT else "text"
    return "json"


def _columns(items: dict, locale: str) -> list[dict] | None:
    """The parts of a record as table columns, or None when a part is not a plain value."""
    if items.get("type") != "object" or not isinstance(items.get("properties"), dict) or not items["properties"]:
        return None
    required = set(items.get("required") or [])
    columns = []
    for name, prop in items["properties"].items():
        if not isinstance(prop, dict) or prop.get("type") not in ("string", "number", "integer", "boolean"):
            return None
        kind = _kind(prop, False)
        if kind not in ("text", "textarea", "select", "number", "integer", "money", "checkbox", "date"):
            return None
        columns.append({"name": name, "kind": "text" if kind == "textarea" else kind, "required": name in required,
                        "label": split_label(str(prop.get("title") or name), locale), "options": _options(prop, locale),
                        "max_length": prop.get("maxLength")})
    return columns


def fields(schema: dict, locale: str) -> list[dict]:
    required = set(schema.get("required") or [])
    out = []
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("readOnly"):
            continue
        is_required = name in required
        items = prop.get("items") or {}
        out.append({
            "name": name, "kind": _kind(prop, is_required), "required": is_required,
            "label": split_label(str(prop.get("title") or name), locale),
            "help": split_label(str(prop.get("description") or ""), locale),
            "options": _options(prop, locale) or _options(items, locale),
            "currency": prop.get("x-currency", "CNY"), "min": prop.get("minimum"), "max": prop.get("maximum"),
            "max_length": prop.get("maxLength"),
            "columns": _columns(items, locale) if isinstance(items, dict) and prop.get("type") == "array" else None,
            "max_items": prop.get("maxItems"), "empty_rows": EMPTY_ROWS,
        })
    return out


def _number(text: str, kind: str):
    cleaned = text.replace(",", "").replace("，", "").strip()
    value = float(cleaned)
    if kind == "integer" or (value.is_integer() and "." not in cleaned):
        if kind == "integer" and not value.is_integer():
            raise ValueError(cleaned)
        return int(value)
    return value


def parse(schema: dict, form, files=None, store_file=None) -> tuple[dict, dict, dict]:
    """(data, field errors, raw values to show again) from a submitted page form. store_file(name, file)
    keeps an upload and returns its id; a field's earlier upload comes back as <name>__kept."""
    data, errors, raw = {}, {}, {}
    props = schema.get("properties") or {}
    for field in fields(schema, "en"):
        name, kind = field["name"], field["kind"]
        if kind == "multiselect":
            raw[name] = form.getlist(name)
            if raw[name]:
                data[name] = raw[name]
            continue
        if kind == "attachment":
            upload = (files or {}).get(name)
            if upload is not None and upload.filename and store_file is not None:
                try:
                    raw[name] = store_file(name, upload)
                except ValidationFailed as exc:
                    errors[name] = exc.field_errors.get(name, [exc.message])
            else:
                raw[name] = form.get(name + "__kept", "")
            if raw.get(name):
                data[name] = raw[name]
            continue
        if kind == "rows":
            rows, raw[name], bad = _rows(form, name, _columns(props[name]["items"], "en"))
            if bad:
                errors[name] = [_("Enter a number.")]
            elif rows:
                data[name] = rows
            continue
        text = form.get(name, "")
        raw[name] = text
        if kind == "checkbox":
            data[name] = text in ("on", "true", "1")
            continue
        if text.strip() == "":
            continue
        try:
            data[name] = _convert(text, kind, props[name])
        except ValueError:
            errors[name] = [_("Enter a number.") if kind in ("number", "integer", "money")
                            else _("The value does not have the expected format.")]
    return data, errors, raw


def _rows(form, name: str, columns: list[dict]) -> tuple[list[dict], list[dict], bool]:
    """(records, the rows as entered, whether a number did not read) from the table's `name-<i>-<part>`
    inputs; a row left empty is no record."""
    prefix = name + "-"
    row = re.compile(re.escape(prefix) + r"(\d{1,3})-")
    indexes = sorted({int(m.group(1)) for m in map(row.match, form) if m})
    records, entered, bad = [], [], False
    for i in indexes:
        cells = {c["name"]: form.get(f"{prefix}{i}-{c['name']}", "") for c in columns}
        if not any(cells[c["name"]].strip() for c in columns if c["kind"] != "checkbox"):
            continue
        entered.append(cells)
        record = {}
        for column in columns:
            text = cells[column["name"]]
            if column["kind"] == "checkbox":
                record[column["name"]] = text in ("on", "true", "1")
            elif str(text).strip():
                try:
                    record[column["name"]] = _number(text, column["kind"]) \
                        if column["kind"] in ("number", "integer", "money") else text.strip()
                except ValueError:
                    bad = True
        records.append(record)
    return records, entered, bad


def _convert(text: str, kind: str, prop: dict):
    if kind in ("number", "integer", "money"):
        return _number(text, prop.get("type") if prop.get("type") in ("number", "integer") else kind)
    if kind == "yesno":
        return {"yes": True, "no": False}[text]
    if kind == "select":
        for value in prop.get("enum") or [c.get("const") for c in prop.get("oneOf") or prop.get("anyOf") or []]:
            if str(value) == text:
                return value
        return text
    if kind == "datetime":
        return text if len(text) > 16 else text + ":00+08:00"
    if kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if kind == "json":
        return json.loads(text)
    return text.strip() if kind == "text" else text


def check(schema: dict, data: dict, parse_errors: dict) -> None:
    """Raise ValidationFailed with the parse errors and the schema's own errors together."""
    errors = {k: list(v) for k, v in parse_errors.items()}
    try:
        validate_data(schema, data)
    except ValidationFailed as exc:
        for key, messages in exc.field_errors.items():
            errors.setdefault(key, messages)
    if errors:
        raise ValidationFailed(_("The form has errors; please correct the marked fields."), errors)


def form_schemas(sources: dict) -> list[dict]:
    """Every form schema (JSON object with properties) among a version's source files, in file order."""
    out = []
    for name, text in sorted((sources or {}).items()):
        if not name.endswith(".json") or name.startswith("i18n/"):
            continue
        try:
            schema = json.loads(text)
        except ValueError:
            continue
        if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
            out.append(schema)
    return out
