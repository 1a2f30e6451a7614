"""Saved form drafts (per task and user) and files uploaded through forms."""
import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ... import clock
from ...db import Database
from ...i18n import _
from ...models import Attachment, TaskDraft, User
from ..errors import Forbidden, NotFound, ValidationFailed
from .tasks import check_may_work, get_task, may_view

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def save_draft(db: Database, user: User, task_id: str, values: dict) -> None:
    with db.session() as session:
        task = get_task(session, task_id)
        if not may_view(user, task):
            raise Forbidden(_("You may not see this task."))
        check_may_work(user, task)  # a draft is work on the task: auditors and onlookers keep none
        draft = session.get(TaskDraft, (task_id, user.username))
        if draft is None:
            session.add(TaskDraft(task_id=task_id, username=user.username, form_values=values,
                                  saved_at=clock.now()))
        else:
            draft.form_values, draft.saved_at = values, clock.now()


def load_draft(session: Session, user: User, task_id: str) -> TaskDraft | None:
    return session.get(TaskDraft, (task_id, user.username))


def discard_drafts(db: Database, task_id: str) -> None:
    with db.session() as session:
        session.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id))


def store_attachment(db: Database, user: User, field: str, filename: str, content_type: str, content: bytes,
                     *, instance_id: int | None = None, task_id: str | None = None,
                     max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    if len(content) > max_bytes:
        raise ValidationFailed(_("The file is too large (at most %(mb)s MB).", mb=max_bytes // (1024 * 1024)),
                               {field: [_("The file is too large (at most %(mb)s MB).",
                                          mb=max_bytes // (1024 * 1024))]})
    if not content:
        raise ValidationFailed(_("The file is empty."), {field: [_("The file is empty.")]})
    attachment_id = str(uuid.uuid4())
    with db.session() as session:
        session.add(Attachment(id=attachment_id, instance_id=instance_id, task_id=task_id, field=field,
                               filename=(filename or "file")[-300:], content_type=content_type or
                               "application/octet-stream", size=len(content), content=content,
                               uploaded_by=user.username, uploaded_at=clock.now()))
    return attachment_id


def link_attachments(db: Database, attachment_ids: list[str], instance_id: int, username: str) -> None:
    """Attach files uploaded on a start form to the case they started."""
    if not attachment_ids:
        return
    with db.session() as session:
        session.execute(update(Attachment).where(Attachment.id.in_(attachment_ids),
                                                 Attachment.uploaded_by == username,
                                                 Attachment.instance_id.is_(None))
                        .values(instance_id=instance_id))


def get_attachment(session: Session, attachment_id: str) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(_("No such file."))
    return attachment


def attachments_for(session: Session, instance_id: int) -> list[dict]:
    rows = session.execute(select(Attachment.id, Attachment.field, Attachment.filename, Attachment.size,
                                  Attachment.uploaded_by, Attachment.uploaded_at)
                           .where(Attachment.instance_id == instance_id).order_by(Attachment.uploaded_at)).all()
    return [dict(r._mapping) for r in rows]


def file_names(session: Session, fields: list[dict], values: dict) -> dict[str, str]:
    """attachment id -> file name for the attachment fields of a form (to show what was uploaded)."""
    ids = [values.get(f["name"]) for f in fields if f["kind"] == "attachment"]
    ids = [i for i in ids if isinstance(i, str) and i]
    if not ids:
        return {}
    return dict(session.execute(select(Attachment.id, Attachment.filename).where(Attachment.id.in_(ids))).all())
