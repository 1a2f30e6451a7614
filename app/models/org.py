"""The organisation: users, groups (departments and executive roles), memberships, product roles."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base

PRODUCT_ROLES = ("process_owner", "auditor", "admin")


class Group(Base):
    __tablename__ = "groups"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # other names a lane may use for this group (e.g. 营销中心 for sales)
    aliases: Mapped[list] = mapped_column(default=list)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[Optional[str]] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # IANA zone the pages show times in (None: the company's zone)
    timezone: Mapped[Optional[str]] = mapped_column(String(64))
    # a temporary password set by an administrator must be replaced at the next sign-in
    must_change_password: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[Optional[datetime]]
    # "local" (password kept here) or "ldap" (checked against the company directory)
    auth_source: Mapped[str] = mapped_column(String(16), default="local")
    deactivated_at: Mapped[Optional[datetime]]
    # raised on every change of the user's memberships or roles (services.organisation.access_cache)
    access_version: Mapped[int] = mapped_column(default=0, server_default="0")

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")
    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    @property
    def group_codes(self) -> set[str]:
        return {m.group_code for m in self.memberships}

    @property
    def head_of(self) -> set[str]:
        return {m.group_code for m in self.memberships if m.is_head}

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, role: str) -> bool:
        return role in self.role_names


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "group_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    group_code: Mapped[str] = mapped_column(ForeignKey("groups.code"), index=True)
    is_head: Mapped[bool] = mapped_column(default=False)
    user: Mapped[User] = relationship(back_populates="memberships")


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    user: Mapped[User] = relationship(back_populates="roles")
