"""Administration: the administrative audit trail, server-side sign-in sessions, API tokens and one-time
password-reset links."""
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class AdminAuditEvent(Base):
    """One administrative change (user, department, calendar, token ...): who, what, before and after.
    Hash-chained in the chain "admin" (app/services/audit/admin_audit.py)."""
    __tablename__ = "admin_audit_events"
    __table_args__ = (Index("ix_admin_audit_events_object", "object_type", "object_id"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[Optional[str]] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[Optional[dict]] = mapped_column()
    after: Mapped[Optional[dict]] = mapped_column()
    reason: Mapped[Optional[str]] = mapped_column(String(1000))
    chain_seq: Mapped[Optional[int]] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[Optional[str]] = mapped_column(String(64))
    event_hash: Mapped[Optional[str]] = mapped_column(String(64))


class SignInSession(Base):
    """A page sign-in. The session cookie carries only its random key; ending the row ends the session
    whatever happens to the cookie (sign-out, password change, deactivation)."""
    __tablename__ = "sign_in_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    address: Mapped[Optional[str]] = mapped_column(String(64))
    ended_at: Mapped[Optional[datetime]]
    end_reason: Mapped[Optional[str]] = mapped_column(String(40))


class ApiToken(Base):
    """A bearer token of the JSON API; the token text is signed and names this row, which can be revoked."""
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[Optional[datetime]]
    address: Mapped[Optional[str]] = mapped_column(String(64))
    revoked_at: Mapped[Optional[datetime]]
    revoked_by: Mapped[Optional[str]] = mapped_column(String(80))


class PasswordReset(Base):
    """A one-time password-reset link (only the hash of its key is stored)."""
    __tablename__ = "password_resets"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[Optional[datetime]]
