"""Functions diagram scripts may call that need the database, bound for the duration of one step.

- ``next_number(kind, period=None)``: the next business number of that kind, e.g. "2026-03-0007"
  (see services.numbering); reserved in the step's transaction, so a refused step gives it back.
- ``register_contact(customer_id, channel, direction, subject, notes=None)``: an entry of the customer's
  contact register (call / letter / visit / email, inbound / outbound), linked to this case.
- ``key_customer_candidates(threshold)``: names of the customers whose prior-year sales exceed the threshold.
- ``apply_key_customers(names, year)``: the approved names become the key customers of the year.
"""
from contextlib import contextmanager

from sqlalchemy.orm import Session

from ...engine import runner, timers
from ..customers import contacts, keyreview
from . import calendar_deadlines, numbering


@contextmanager
def bound(session: Session, instance_id: int | None = None, actor: str | None = None):
    def next_number(kind: str, period: str | None = None) -> str:
        return numbering.next_number(session, str(kind), None if period is None else str(period))

    def register_contact(customer_id, channel: str, direction: str, subject: str, notes=None) -> int:
        entry = contacts.register(session, customer_id, channel=str(channel), direction=str(direction),
                                  subject=str(subject or ""), notes=None if notes is None else str(notes),
                                  actor=actor, instance_id=instance_id)
        return entry.id

    def key_customer_candidates(threshold) -> list:
        return keyreview.candidates(session, threshold)

    def apply_key_customers(names, year) -> dict:
        return keyreview.apply(session, [str(n) for n in (names or [])], int(year), actor, instance_id)

    with runner.step_functions(next_number=next_number, register_contact=register_contact,
                               key_customer_candidates=key_customer_candidates,
                               apply_key_customers=apply_key_customers), \
            calendar_deadlines.bound(session), \
            timers.hold():  # a timer past due as it starts waiting fires through services.cases.timers
        yield
