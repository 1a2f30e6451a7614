"""Cases linked to customers. A process whose start event names a `customerField` links each new case to the
customer of that name in the customer files; a name not on file creates the customer from the intake (seed 000
S5: the customer file is set up from the first enquiry or service). The start data then carries `customer_id`
and `key_customer`, which diagrams use (DMN customer_priority)."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...models import Customer, CustomerCase, HumanTask, OPEN_STATES, ProcessInstance, ProcessVersion
from ..paging import Page, PageRequest, paginate
from ..errors import NotFound
from . import files

# intake fields copied into a new customer file, first one present wins
INTAKE_FIELDS = {
    "address": ("address", "buyer_address", "customer_address"),
    "contact_person": ("contact_person", "contact", "customer_contact"),
    "phone": ("phone", "customer_phone", "mobile"),
    "country": ("country", "buyer_country"),
    "main_products": ("product", "product_name"),
}


def customer_field(version: ProcessVersion | None) -> str | None:
    props = ((version.meta or {}).get("start", {}).get("properties", {}) if version else {})
    return props.get("customerField") or None


def resolve_for_start(session: Session, version: ProcessVersion, data: dict, actor: str | None) -> Customer | None:
    """The customer a new case of `version` belongs to, created from the intake when not on file; None when the
    process names no customer field or the intake names no customer."""
    field = customer_field(version)
    name = str(data.get(field) or "").strip() if field else ""
    if not name:
        return None
    customer = files.find_by_name(session, name)
    if customer is None:
        intake = {"name": name}
        for target, sources in INTAKE_FIELDS.items():
            value = next((data[s] for s in sources if data.get(s) not in (None, "")), None)
            if value is not None:
                intake[target] = str(value)[: files.TEXT_FIELDS[target]]
        customer = files.create(session, actor, intake)
    return customer


def start_data(customer: Customer | None, data: dict) -> dict:
    if customer is None:
        return data
    return {**data, "customer_id": customer.id, "key_customer": bool(customer.key_customer)}


def attach_case(session: Session, customer: Customer | None, instance: ProcessInstance) -> None:
    if customer is None:
        return
    session.add(CustomerCase(instance_id=instance.id, customer_id=customer.id, process_id=instance.process_id,
                             linked_at=clock.now()))
    instance.summary = {**(instance.summary or {}), "customer": customer.name, "customer_id": customer.id}


CASE_SORTS = {"started": ProcessInstance.started_at, "ended": ProcessInstance.ended_at,
              "key": ProcessInstance.business_key, "status": ProcessInstance.status}


def cases_of(session: Session, customer_id: int, request: PageRequest) -> Page:
    """All cases of the customer, open and closed (newest first by default), with their open tasks."""
    query = select(ProcessInstance).join(CustomerCase, CustomerCase.instance_id == ProcessInstance.id) \
        .where(CustomerCase.customer_id == customer_id) \
        .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
    page = paginate(session, query, request, CASE_SORTS, tiebreak=ProcessInstance.id.desc())

    def decorate(found):
        open_tasks = {}
        if found:
            for row in session.scalars(select(HumanTask).where(HumanTask.instance_id.in_([i.id for i in found]),
                                                               HumanTask.state.in_(OPEN_STATES))):
                open_tasks.setdefault(row.instance_id, []).append(row)
        return [{"instance": i, "open_tasks": open_tasks.get(i.id, [])} for i in found]
    return page.map(decorate)


def key_instance_ids(session: Session, instance_ids: set[int]) -> set[int]:
    """Of these cases, the ones whose customer is a key customer now."""
    if not instance_ids:
        return set()
    return set(session.scalars(select(CustomerCase.instance_id).join(
        Customer, Customer.id == CustomerCase.customer_id).where(
        CustomerCase.instance_id.in_(instance_ids), Customer.key_customer.is_(True))))


def customer_of_case(session: Session, instance_id: int) -> Customer | None:
    link = session.get(CustomerCase, instance_id)
    return session.get(Customer, link.customer_id) if link else None


def prefill(session: Session, version: ProcessVersion | None, customer_id, user) -> dict:
    """Start-form values for a case of this customer: the customer field, and the intake's address, contact,
    phone and country fields when the user may see the customer's contact data."""
    field = customer_field(version)
    if not field or not customer_id:
        return {}
    try:
        customer = files.get(session, customer_id)
    except NotFound:  # an unknown customer simply prefills nothing
        return {}
    values = {field: customer.name}
    if files.sees_contacts(session, user, customer):
        for source, targets in INTAKE_FIELDS.items():
            if source == "main_products":
                continue
            value = getattr(customer, source)
            if value:
                for target in targets:
                    values.setdefault(target, value)
    return values
