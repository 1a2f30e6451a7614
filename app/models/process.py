"""Published process versions, running instances and their stored workflow state."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ProcessVersion(Base):
    """An immutable published version: sources, their hash and the serialized spec (stored once)."""
    __tablename__ = "process_versions"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        UniqueConstraint("process_id", "content_hash", name="uq_process_versions_content"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    # {relative file name: text} of every BPMN, DMN and form file of the version
    sources: Mapped[dict]
    # {"spec": ..., "subprocess_specs": ...} as produced by the engine's spec serializer
    spec: Mapped[dict]
    # per user task: title, lane, form, due, head_only ... (read without re-parsing)
    task_catalog: Mapped[dict]
    # start form reference and other process-level metadata
    meta: Mapped[dict] = mapped_column(default=dict)
    published_by: Mapped[Optional[str]] = mapped_column(String(80))
    published_at: Mapped[datetime]


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(120), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # running | completed | error
    business_key: Mapped[Optional[str]] = mapped_column(String(120), index=True)
    summary: Mapped[dict] = mapped_column(default=dict)  # customer, title ... shown in lists
    started_by: Mapped[Optional[str]] = mapped_column(String(80))
    started_at: Mapped[datetime]
    ended_at: Mapped[Optional[datetime]]
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    # workflow-level state without the spec and without tasks (tasks live in workflow_tasks)
    state: Mapped[dict]
    error_message: Mapped[Optional[str]] = mapped_column(Text)
    error_element: Mapped[Optional[str]] = mapped_column(String(200))
    parent_instance_id: Mapped[Optional[int]] = mapped_column(ForeignKey("process_instances.id"))
    # the case data as of the last save (what auditors and case pages read)
    case_data: Mapped[dict] = mapped_column(default=dict)
    # when the case missed its commitment deadline (start property caseBreachField); kept once set
    deadline_breached_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    # the head of the case's audit chain (length, hash of the last event), moved by the UPDATE that saves
    # a step (services/audit/audit_chain.py)
    chain_length: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    chain_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")

    __mapper_args__ = {"version_id_col": lock_version}


class WorkflowTask(Base):
    """One SpiffWorkflow task of an instance, serialized. Only changed tasks are rewritten per save.
    Tasks cut from the live tree by history compaction are kept, marked archived, and no longer loaded."""
    __tablename__ = "workflow_tasks"
    __table_args__ = (Index("ix_workflow_tasks_live", "instance_id", "archived"),)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # '' for the top-level workflow, else the id of the task that owns the subprocess
    workflow_key: Mapped[str] = mapped_column(String(36), default="")
    spec_name: Mapped[str] = mapped_column(String(200))
    state: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict]
    archived: Mapped[bool] = mapped_column(default=False)
