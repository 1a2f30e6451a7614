"""The case data a page shows, as the process owner chose it.

The start event property `summaryFields` names the fields the case page and task summaries show, in
order and under headings: `客户 / Customer: customer, contact; 产品 / Product: product_model, quantity`
(sections separated by ";", a heading before ":", fields by ","; a heading "中文 / English" shows the half
for the page language). Without it, every field a form of the process declares is shown in form order.
Fields no form declares (engine variables such as deadlines and routing flags) are never shown to staff;
auditors get them in a separate section (internal=True)."""
from ...models import ProcessVersion
from ..labels import Labels
from ..modelling.formfields import split_label
from .cases import field_catalog


def parse_summary_fields(text: str) -> list[tuple[str, list[str]]]:
    """"Heading: a, b; c" -> [("Heading", ["a", "b"]), ("", ["c"])]."""
    sections = []
    for part in str(text or "").split(";"):
        if not part.strip():
            continue
        heading, _sep, names = part.rpartition(":") if ":" in part else ("", "", part)
        fields = [n.strip() for n in names.split(",") if n.strip()]
        if fields:
            sections.append((heading.strip(), fields))
    return sections


def _item(labels: Labels, version: ProcessVersion, catalog: dict, name: str, value) -> dict:
    field = catalog.get(name) or {}
    kind = field.get("kind", "text")
    return {"name": name, "label": field.get("label") or labels.field(version.id, name), "kind": kind,
            "value": value, "currency": field.get("currency", "CNY"),
            "text": "" if kind == "attachment" else labels.value(version.id, name, value)}


def _shown(value) -> bool:
    return not (value is None or value == "" or (isinstance(value, (dict, list)) and not value))


def sections(labels: Labels, version: ProcessVersion, case_data: dict, *, internal: bool = False,
             limit: int = 60) -> list[dict]:
    """[{"heading", "items": [{name, label, kind, value, text}]}]; with internal=True a last section
    "Internal variables" holds the fields no form declares."""
    catalog = field_catalog(version, labels.locale)
    chosen = parse_summary_fields(((version.meta or {}).get("start") or {}).get("properties", {}).get("summaryFields"))
    if not chosen:
        chosen = [("", list(catalog))]
    out, count = [], 0
    for heading, names in chosen:
        items = []
        for name in names:
            if name in catalog and _shown(case_data.get(name)) and count < limit:
                items.append(_item(labels, version, catalog, name, case_data[name]))
                count += 1
        if items:
            out.append({"heading": split_label(heading, labels.locale) if heading else "", "items": items})
    if internal:
        from ...i18n import _
        rest = [_item(labels, version, catalog, k, v) for k, v in sorted(case_data.items())
                if k not in catalog and _shown(v)]
        if rest:
            out.append({"heading": _("Internal variables (not shown to staff)"), "items": rest, "internal": True})
    return out


def flat(labels: Labels, version: ProcessVersion, case_data: dict, limit: int = 40) -> list[dict]:
    """The staff summary as one list (task page aside)."""
    return [item for section in sections(labels, version, case_data, limit=limit) for item in section["items"]]


def version_ids_at(labels: Labels, instance, events: list[dict]) -> list[int]:
    """For each event (oldest first) the id of the version the case ran at that moment: the current
    version after the last migration, the version migrated from before it."""
    from sqlalchemy import select
    out, current = [], instance.version_id
    for e in reversed(events):
        out.append(current)
        data = e.get("data") or {}
        if e.get("type") == "migrated" and data.get("from_version") is not None:
            found = labels.session.scalar(select(ProcessVersion.id).where(
                ProcessVersion.process_id == (data.get("process_id") or instance.process_id),
                ProcessVersion.version == data["from_version"]))
            current = found or current
    return list(reversed(out))


def labelled_events(labels: Labels, instance, events: list[dict]) -> list[dict]:
    """Timeline rows with what people read: the step's title in the version run at the time, the actor's
    and receivers' names, the department's name."""
    labels.people({e.get("actor") for e in events} | {(e.get("data") or {}).get("to") for e in events})
    out = []
    for e, version_id in zip(events, version_ids_at(labels, instance, events)):
        data = e.get("data") or {}
        out.append(e | {
            "version_id": version_id,
            "element": labels.element(version_id, e.get("element_id")) if e.get("element_id") else "",
            "actor_name": labels.person(e.get("actor")) if e.get("actor") else "",
            "group_name": labels.group(data.get("group")) if data.get("group") else "",
            "to_name": labels.person(data.get("to")) if data.get("to") else "",
            "substitute_for_name": labels.person(data.get("substitute_for")) if data.get("substitute_for") else ""})
    return out
