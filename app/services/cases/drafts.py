"""Saved form drafts (per task and user) and files uploaded through forms. A file is kept only from someone
who may work the task (checked before anything is stored); each upload to a case, and each draft save
that carries one, is in the audit trail."""
import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ... import clock
from ...db import Database
from ...i18n import _
from ...models import Attachment, HumanTask, OPEN_STATES, TaskDraft, User
from ..audit import audit
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from .attachments import recorded
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
        ids = [v for v in values.values() if isinstance(v, str) and v]
        files = list(session.execute(select(Attachment.id, Attachment.field, Attachment.filename).where(
            Attachment.id.in_(ids), Attachment.instance_id == task.instance_id))) if ids else []
        if files:
            audit.record(session, "draft_saved", instance_id=task.instance_id, actor=user.username, task_id=task_id,
                         element_id=task.task_name, data={"attachments": [
                             {"attachment_id": f.id, "field": f.field, "filename": f.filename} for f in files]})


def check_may_upload(session: Session, user: User, task: HumanTask) -> None:
    """Files for a task come only from someone who may work it, while it is open."""
    if not may_view(user, task):
        raise Forbidden(_("You may not see this task."))
    check_may_work(user, task)
    if task.state not in OPEN_STATES:
        raise Conflict(_("The task was already completed by %(who)s.", who=task.completed_by or "?"),
                       state=task.state)


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
        if task_id is not None:  # checked again in the transaction that stores the file
            check_may_upload(session, user, get_task(session, task_id))
        item = Attachment(id=attachment_id, instance_id=instance_id, task_id=task_id, field=field,
                          filename=(filename or "file")[-300:], content_type=content_type or
                          "application/octet-stream", size=len(content), content=content,
                          uploaded_by=user.username, uploaded_at=clock.now())
        session.add(item)
        if instance_id is not None:  # a start form's files join the trail with their case (attachments.py)
            recorded(session, item, user.username)
    return attachment_id


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


def file_names(session: Session, fields: list[dict], values: dict, *, instance_id: int | None = None,
               username: str | None = None) -> dict[str, str]:
    """attachment id -> file name for the attachment fields of a form (to show what was uploaded): files of
    the case (instance_id), or on a start form the user's own uploads that belong to no case yet."""
    ids = [values.get(f["name"]) for f in fields if f["kind"] == "attachment"]
    ids = [i for i in ids if isinstance(i, str) and i]
    if not ids:
        return {}
    own = (Attachment.instance_id == instance_id) if instance_id is not None else \
        (Attachment.instance_id.is_(None) & (Attachment.uploaded_by == username))
    return dict(session.execute(select(Attachment.id, Attachment.filename).where(
        Attachment.id.in_(ids), own)).all())
