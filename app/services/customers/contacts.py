"""The contact register of a customer (seed 000 S5: 电话登记表 and 信函登记表 — every follow-up call, inbound
enquiry or complaint call and every letter is registered and archived; S6: every call, letter or visit is
recorded). Entries are written by the follow-up and complaint diagrams (script function register_contact) and
by Sales on the customer page; they are never changed or deleted."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...i18n import _
from ...models import CustomerContact
from ..audit import audit
from ..errors import ValidationFailed
from ..paging import Page, PageRequest, paginate
from . import files

CHANNELS = ("call", "letter", "visit", "email")
DIRECTIONS = ("inbound", "outbound")


def register(session: Session, customer_id, *, channel: str, direction: str, subject: str, notes: str | None = None,
             actor: str | None = None, instance_id: int | None = None,
             occurred_at: datetime | None = None) -> CustomerContact:
    customer = files.get(session, customer_id)
    errors = {}
    if channel not in CHANNELS:
        errors["channel"] = _("Choose a channel.")
    if direction not in DIRECTIONS:
        errors["direction"] = _("Choose inbound or outbound.")
    subject = str(subject or "").strip()
    if not subject:
        errors["subject"] = _("Enter what the contact was about.")
    elif len(subject) > 300:
        errors["subject"] = _("At most %(n)s characters.", n=300)
    notes = (str(notes).strip() or None) if notes is not None else None
    if notes and len(notes) > 4000:
        errors["notes"] = _("At most %(n)s characters.", n=4000)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    entry = CustomerContact(customer_id=customer.id, instance_id=instance_id, channel=channel, direction=direction,
                            subject=subject, notes=notes, occurred_at=occurred_at or clock.now(),
                            recorded_by=actor)
    session.add(entry)
    session.flush()
    audit.record(session, "customer_contact_logged", actor=actor, instance_id=instance_id,
                 data={"customer_id": customer.id, "contact_id": entry.id, "channel": channel,
                       "direction": direction, "subject": subject})
    return entry


def register_of(session: Session, customer_id: int, request: PageRequest) -> Page:
    """The customer's contact register, newest first."""
    query = select(CustomerContact).where(CustomerContact.customer_id == customer_id) \
        .order_by(CustomerContact.occurred_at.desc(), CustomerContact.id.desc())
    return paginate(session, query, request, {"at": CustomerContact.occurred_at}, tiebreak=CustomerContact.id.desc())
