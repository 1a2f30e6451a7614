"""`groupField` on a user task: the name of a case field holding the department whose queue the task joins
(e.g. the responsible department of a complaint's corrective action, chosen by Quality; seed 000 S7,
BC-DIR-059 4.6.6). Publishing checks that the field is one of the process's form fields and that every
department its form offers exists; a submission naming a department the organisation does not have is
refused."""
from ...i18n import _
from ..errors import ValidationFailed
from ..organisation.org import resolve_lane
from .forms import load_schema


def _choices(prop: dict) -> list:
    """The values a form field offers: enum, or the const of each oneOf/anyOf entry."""
    values = list(prop.get("enum") or [])
    for entry in (prop.get("oneOf") or []) + (prop.get("anyOf") or []):
        if isinstance(entry, dict) and "const" in entry:
            values.append(entry["const"])
    return values


def publish_problems(task_catalog: dict, form_names: set, forms: dict[str, bytes],
                     lanes: dict[str, str]) -> list[tuple[str, str]]:
    """(element id, problem) for every groupField that names no field of the process's forms, or whose
    field offers a department the organisation does not have."""
    fields: dict[str, dict] = {}
    for name in sorted(form_names):
        try:
            props = load_schema(forms[name]).get("properties") or {}
        except Exception:  # noqa: BLE001 - missing or broken forms are reported by the form checks
            continue
        for key, prop in props.items():
            fields.setdefault(key, prop if isinstance(prop, dict) else {})
    problems = []
    for element, task in sorted(task_catalog.items()):
        field = task.get("group_field")
        if not field:
            continue
        if field not in fields:
            problems.append((element, f"groupField {field!r} names no field of the process's forms"))
            continue
        unknown = [v for v in _choices(fields[field]) if not isinstance(v, str) or resolve_lane(lanes, v) is None]
        if unknown:
            problems.append((element, f"groupField {field!r}: the form offers {', '.join(map(str, unknown))}, "
                                      "which is no department of the organisation"))
    return problems


def check_submitted(lanes: dict[str, str], task_catalog: dict, data: dict) -> None:
    """Refuse submitted data that puts into a groupField field a department the organisation lacks."""
    errors = {}
    for field in sorted({t.get("group_field") for t in task_catalog.values() if t.get("group_field")}):
        value = data.get(field)
        if value is not None and (not isinstance(value, str) or resolve_lane(lanes, value) is None):
            errors[field] = [_("There is no department %(value)s in the organisation; choose an existing one.",
                               value=value)]
    if errors:
        raise ValidationFailed(_("The form has errors; please correct the marked fields."), errors)
