"""Customer contact data is visible only to the departments that work the case (PROCESSES.md section 5).

The contact fields of a process are named in its start event's `contactFields` property (comma list);
without it a default list applies. Everyone else - other departments, auditors - sees them masked, in the
case data, in the submitted data and before/after values of the history, and in exports."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import HumanTask, ProcessInstance, ProcessVersion, User

DEFAULT_CONTACT_FIELDS = ("customer_contact", "contact", "contact_person", "phone", "mobile", "email",
                          "address")
MASK = "******"


def contact_fields(version: ProcessVersion | None) -> set[str]:
    props = ((version.meta or {}).get("start", {}).get("properties", {}) if version else {})
    named = [f.strip() for f in str(props.get("contactFields") or "").split(",") if f.strip()]
    return set(named or DEFAULT_CONTACT_FIELDS)


def works_case(session: Session, user: User, instance: ProcessInstance) -> bool:
    """The user started the case, or belongs to a group that has (or had) a task on it."""
    if user.username == instance.started_by:
        return True
    groups = set(session.scalars(select(HumanTask.group_code).where(HumanTask.instance_id == instance.id)
                                 .distinct()))
    return bool(groups & user.group_codes)


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
