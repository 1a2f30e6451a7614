"""Unpublished edits of a process's files and the working set the console edits and publishes."""
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ... import clock
from ...engine.parsing import MAX_SOURCE_BYTES
from ...i18n import _
from ...models import ModelDraft
from ..errors import NotFound, ServiceError
from .model_files import allowed_name, publish_files
from .publishing import latest_version


def list_drafts(session: Session, process_id: str) -> list[dict]:
    rows = session.scalars(select(ModelDraft).where(ModelDraft.process_id == process_id)
                           .order_by(ModelDraft.file_name))
    return [{"file": d.file_name, "author": d.author, "updated_at": clock.iso(d.updated_at)} for d in rows]


def save_draft(session: Session, process_id: str, file_name: str, content: str, author: str) -> dict:
    if not allowed_name(file_name):
        raise ServiceError(_("Only .bpmn, .dmn and .json files can be uploaded."))
    if len(content.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise ServiceError(_("The file is larger than %(mb)s MB.", mb=MAX_SOURCE_BYTES // 2**20))
    if latest_version(session, process_id) is None:
        raise NotFound(_("No published process %(pid)s", pid=process_id))
    draft = session.scalar(select(ModelDraft).where(ModelDraft.process_id == process_id,
                                                    ModelDraft.file_name == file_name))
    if draft is None:
        draft = ModelDraft(process_id=process_id, file_name=file_name)
        session.add(draft)
    draft.content, draft.author, draft.updated_at = content, author, clock.now()
    session.flush()
    return {"file": file_name, "author": author, "updated_at": clock.iso(draft.updated_at)}


def discard_drafts(session: Session, process_id: str) -> None:
    session.execute(delete(ModelDraft).where(ModelDraft.process_id == process_id))


def working_set(session: Session, process_id: str) -> dict[str, str]:
    """The latest version's files with the saved drafts in their place (new files included)."""
    version = latest_version(session, process_id)
    if version is None:
        raise NotFound(_("No published process %(pid)s", pid=process_id))
    files = dict(version.sources)
    for draft in session.scalars(select(ModelDraft).where(ModelDraft.process_id == process_id)):
        files[draft.file_name] = draft.content
    return files


def publish_working_set(session: Session, process_id: str, actor: str) -> list[dict]:
    """Publish the working set as a new version; the drafts are used up."""
    files = {name: text.encode("utf-8") for name, text in working_set(session, process_id).items()}
    results = publish_files(session, files, actor)
    discard_drafts(session, process_id)
    return results
