"""Customer contact data is visible only to the departments that work the case (PROCESSES.md section 5).

The contact fields of a process are named in its start event's `contactFields` property (comma list);
without it the default names apply, alone or as the end of a longer name (`buyer_address`,
`site_contact`). Everyone else - other departments, auditors, administrators - sees them masked wherever
case data leaves the system: the case and task pages, the task and case API, the case events, the
auditor's case page, printable report and history exports. Every such output goes through `masker` (or
`visible_case_data`); e-mails carry no case data, only the task title, business key and due time."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import HumanTask, ProcessInstance, ProcessVersion, User

DEFAULT_CONTACT_FIELDS = ("customer_contact", "contact", "contact_person", "phone", "mobile", "email",
                          "address")
MASK = "******"


class FieldNames(frozenset):
    """Field names; a name also matches when it ends in `_` + one of `suffixes`."""
    suffixes: tuple[str, ...] = ()

    def __new__(cls, names, suffixes=()):
        made = super().__new__(cls, names)
        made.suffixes = tuple(suffixes)
        return made

    def __contains__(self, key) -> bool:
        return frozenset.__contains__(self, key) or (
            isinstance(key, str) and bool(self.suffixes) and key.endswith(self.suffixes))


def contact_fields(version: ProcessVersion | None) -> set[str]:
    props = ((version.meta or {}).get("start", {}).get("properties", {}) if version else {})
    named = [f.strip() for f in str(props.get("contactFields") or "").split(",") if f.strip()]
    if named:
        return FieldNames(named)
    return FieldNames(DEFAULT_CONTACT_FIELDS, ["_" + name for name in DEFAULT_CONTACT_FIELDS])


def works_case(session: Session, user: User, instance: ProcessInstance) -> bool:
    """The user started the case, belongs to a group that has (or had) a task on it, or holds or did one of
    its tasks (a substitute from another department)."""
    if user.username == instance.started_by:
        return True
    rows = session.execute(select(HumanTask.group_code, HumanTask.claimed_by, HumanTask.completed_by)
                           .where(HumanTask.instance_id == instance.id)).all()
    return any(r.group_code in user.group_codes or user.username in (r.claimed_by, r.completed_by) for r in rows)


def mask_value(value):
    if value in (None, ""):
        return value
    text = str(value)
    return text[:1] + MASK + text[-1:] if len(text) > 6 else MASK


def mask(data, fields: set[str]):
    """A copy of data (dicts and lists, any depth) with the values of the named keys masked."""
    if isinstance(data, dict):
        return {k: (_mask_any(v) if k in fields else mask(v, fields)) for k, v in data.items()}
    if isinstance(data, list):
        return [mask(v, fields) for v in data]
    return data


def _mask_any(value):
    if isinstance(value, list) and len(value) == 2 and not any(isinstance(v, (dict, list)) for v in value):
        return [mask_value(v) for v in value]  # a [before, after] pair of the history
    if isinstance(value, (dict, list)):
        return MASK
    return mask_value(value)


def masker(session: Session, user: User, instance: ProcessInstance):
    """A function that masks data of this case for this user (identity when the user works the case)."""
    if works_case(session, user, instance):
        return lambda data: data
    fields = contact_fields(session.get(ProcessVersion, instance.version_id))
    return lambda data: mask(data, fields)


def visible_case_data(session: Session, user: User, instance: ProcessInstance) -> dict:
    """The case data as this user may see it."""
    return masker(session, user, instance)(instance.case_data or {})
