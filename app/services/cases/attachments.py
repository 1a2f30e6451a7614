"""Files named in case data: an attachment field accepts only a file of its own case (on a start form: a
file the starter uploaded that belongs to no case yet, or one of the parent case), so nobody can put
another case's file - or its name - into a case by submitting its id. Every file that joins a case is
recorded in the audit trail."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...i18n import _
from ...models import Attachment
from ..audit import audit
from ..errors import ValidationFailed


def attachment_fields(schema: dict | None) -> list[str]:
    return [name for name, prop in ((schema or {}).get("properties") or {}).items()
            if isinstance(prop, dict) and prop.get("format") == "attachment"]


def _named(data: dict, schema: dict | None) -> dict[str, object]:
    return {name: data.get(name) for name in attachment_fields(schema) if data.get(name) not in (None, "")}


def check_files(session: Session, schema: dict | None, data: dict, *, instance_id: int | None = None,
                starter: str | None = None, parent_id: int | None = None) -> None:
    """Refuse (ValidationFailed, field by field) attachment values that are neither files of this case
    (instance_id) or of its parent case, nor - when starting (instance_id None) - new uploads of the starter."""
    named = _named(data, schema)
    if not named:
        return
    ids = [v for v in named.values() if isinstance(v, str)]
    found = {a.id: a for a in session.scalars(select(Attachment).where(Attachment.id.in_(ids)))} if ids else {}
    errors = {}
    for name, value in named.items():
        item = found.get(value) if isinstance(value, str) else None
        ok = item is not None and (
            (item.instance_id is not None and item.instance_id in (instance_id, parent_id))
            or (instance_id is None and item.instance_id is None and item.uploaded_by == starter))
        if not ok:
            errors[name] = [_("This file does not belong to this case; please upload it again.")]
    if errors:
        raise ValidationFailed(_("The form has errors; please correct the marked fields."), errors)


def recorded(session: Session, item: Attachment, actor: str | None) -> None:
    """The audit event of a file joining a case."""
    audit.record(session, "attachment_added", instance_id=item.instance_id, actor=actor, task_id=item.task_id,
                 data={"attachment_id": item.id, "field": item.field, "filename": item.filename,
                       "size": item.size, "content_type": item.content_type})


def link_start_files(session: Session, schema: dict | None, data: dict, instance_id: int, actor: str | None) -> None:
    """The new uploads named on a start form join the case they started (and the audit trail)."""
    ids = [v for v in _named(data, schema).values() if isinstance(v, str)]
    if not ids:
        return
    for item in session.scalars(select(Attachment).where(Attachment.id.in_(ids), Attachment.instance_id.is_(None),
                                                         Attachment.uploaded_by == actor)):
        item.instance_id = instance_id
        recorded(session, item, actor)
