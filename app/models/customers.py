"""Customer files (主要客户档案), the cases linked to each customer and the contact register (电话/信函登记表)."""
from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Customer(Base):
    """A customer file: name, address, phone, contact person, main products ordered (seed 000 S7 L123),
    country, and the key-customer tier decided once a year (S7 L125)."""
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # lower-cased, whitespace-collapsed name: cases find their customer by it
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[Optional[str]] = mapped_column(String(500))
    phone: Mapped[Optional[str]] = mapped_column(String(80))
    contact_person: Mapped[Optional[str]] = mapped_column(String(120))
    main_products: Mapped[Optional[str]] = mapped_column(Text)
    country: Mapped[Optional[str]] = mapped_column(String(80))
    prior_year_sales: Mapped[Optional[Decimal]] = mapped_column(Numeric(16, 2))
    key_customer: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    key_customer_year: Mapped[Optional[int]] = mapped_column(Integer)
    created_by: Mapped[Optional[str]] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CustomerCase(Base):
    """A case (of any process) linked to a customer."""
    __tablename__ = "customer_cases"
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"),
                                             primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(120))
    linked_at: Mapped[datetime]


class CustomerContact(Base):
    """One entry of the contact register: an inbound or outbound call, letter or visit (seed 000 S5, S6)."""
    __tablename__ = "customer_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    instance_id: Mapped[Optional[int]] = mapped_column(ForeignKey("process_instances.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # call | letter | visit | email
    direction: Mapped[str] = mapped_column(String(16))  # inbound | outbound
    subject: Mapped[str] = mapped_column(String(300))
    notes: Mapped[Optional[str]] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    recorded_by: Mapped[Optional[str]] = mapped_column(String(80))
