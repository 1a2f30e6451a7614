"""Customer files (主要客户档案, seed 000 S7 L123): name, address, phone, contact person, main products ordered,
country; the key-customer flag (S7 L125). Contact fields are masked like case contact data: Sales (who keeps
the files) and the departments working one of the customer's cases see them, everyone else sees them masked."""
import re
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ... import clock
from ...i18n import _
from ...models import Customer, CustomerCase, ProcessInstance, User
from ..audit import audit, masking
from ..errors import NotFound, ValidationFailed
from ..paging import Page, PageRequest, paginate

CONTACT_FIELDS = ("address", "phone", "contact_person")
TEXT_FIELDS = {"name": 200, "address": 500, "phone": 80, "contact_person": 120, "main_products": 2000,
               "country": 80}
KEEPERS = {"sales"}  # the department that keeps the customer files (S7: 销售部)


def name_key(name: str) -> str:
    return re.sub(r"\s+", " ", str(name or "")).strip().casefold()[:200]


def _clean(fields: dict, *, partial: bool) -> dict:
    out, errors = {}, {}
    for key, limit in TEXT_FIELDS.items():
        if key not in fields:
            continue
        value = re.sub(r"\s+", " ", str(fields[key] or "")).strip() if key != "main_products" \
            else str(fields[key] or "").strip()
        if len(value) > limit:
            errors[key] = _("At most %(n)s characters.", n=limit)
        out[key] = value or None
    if "prior_year_sales" in fields:
        raw = fields["prior_year_sales"]
        if raw in (None, ""):
            out["prior_year_sales"] = None
        else:
            try:
                amount = Decimal(str(raw).replace(",", ""))
                if amount < 0 or not amount.is_finite():
                    raise InvalidOperation
                out["prior_year_sales"] = amount.quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                errors["prior_year_sales"] = _("Enter an amount of 0 or more.")
    if not partial or "name" in fields:
        if not out.get("name"):
            errors["name"] = _("Enter the customer's name.")
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    return out


def _check_unique(session: Session, name: str, own_id: int | None = None) -> None:
    other = session.scalar(select(Customer).where(Customer.name_key == name_key(name)))
    if other is not None and other.id != own_id:
        raise ValidationFailed(_("A customer named %(name)s already exists.", name=other.name),
                               {"name": _("A customer with this name already exists.")})


def create(session: Session, actor: str | None, fields: dict, *, source_instance: int | None = None) -> Customer:
    data = _clean(fields, partial=False)
    _check_unique(session, data["name"])
    now = clock.now()
    customer = Customer(**data, name_key=name_key(data["name"]), key_customer=False, created_by=actor,
                        created_at=now, updated_at=now)
    session.add(customer)
    session.flush()
    audit.record(session, "customer_created", actor=actor, instance_id=source_instance,
                 data={"customer_id": customer.id, "name": customer.name,
                       "fields": _audit_fields(data)})
    return customer


def update(session: Session, actor: str | None, customer_id: int, fields: dict) -> Customer:
    customer = get(session, customer_id)
    data = _clean(fields, partial=True)
    if "name" in data:
        _check_unique(session, data["name"], customer.id)
    changes = {}
    for key, value in data.items():
        if getattr(customer, key) != value:
            changes[key] = [getattr(customer, key), value]
            setattr(customer, key, value)
    if "name" in changes:
        customer.name_key = name_key(customer.name)
    if changes:
        customer.updated_at = clock.now()
        audit.record(session, "customer_updated", actor=actor,
                     data={"customer_id": customer.id, "changes": _audit_fields(changes)})
    return customer


def _audit_fields(data: dict) -> dict:
    def plain(v):
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v
    return {k: plain(v) for k, v in data.items()}


def set_key_customer(session: Session, customer: Customer, flag: bool, year: int | None, actor: str | None,
                     instance_id: int | None = None) -> bool:
    """Set or clear the key-customer tier; returns whether it changed (audited)."""
    if customer.key_customer == flag and (not flag or customer.key_customer_year == year):
        return False
    before = [customer.key_customer, customer.key_customer_year]
    customer.key_customer = flag
    customer.key_customer_year = year if flag else None
    customer.updated_at = clock.now()
    audit.record(session, "key_customer_set", actor=actor, instance_id=instance_id,
                 data={"customer_id": customer.id, "name": customer.name,
                       "changes": {"key_customer": [before[0], flag], "year": [before[1], year]}})
    return True


def get(session: Session, customer_id) -> Customer:
    try:
        customer = session.get(Customer, int(customer_id))
    except (TypeError, ValueError):
        customer = None
    if customer is None:
        raise NotFound(_("No such customer: %(id)s", id=customer_id))
    return customer


def find_by_name(session: Session, name: str) -> Customer | None:
    key = name_key(name)
    return session.scalar(select(Customer).where(Customer.name_key == key)) if key else None


SORTS = {"name": Customer.name, "country": Customer.country, "key": (Customer.key_customer, Customer.name),
         "updated": Customer.updated_at}


def search(session: Session, request: PageRequest, text: str = "", *, key_only: bool = False) -> Page:
    """A page of customer files; text matches name, country or products."""
    query = select(Customer)
    if text:
        like = "%" + text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Customer.name.ilike(like, escape="\\"), Customer.country.ilike(like, escape="\\"),
                                Customer.main_products.ilike(like, escape="\\")))
    if key_only:
        query = query.where(Customer.key_customer.is_(True))
    return paginate(session, query.order_by(Customer.key_customer.desc(), Customer.name), request, SORTS,
                    tiebreak=Customer.id)


def sees_contacts(session: Session, user: User, customer: Customer) -> bool:
    """Sales keeps the files; a department working one of the customer's cases sees its contact data too
    (the case masking rule of services.audit.masking)."""
    if user.group_codes & KEEPERS:
        return True
    instances = session.scalars(select(ProcessInstance).join(
        CustomerCase, CustomerCase.instance_id == ProcessInstance.id).where(CustomerCase.customer_id == customer.id))
    return any(masking.works_case(session, user, instance) for instance in instances)


def as_dict(customer: Customer, *, masked: bool) -> dict:
    data = {
        "id": customer.id, "name": customer.name, "address": customer.address, "phone": customer.phone,
        "contact_person": customer.contact_person, "main_products": customer.main_products,
        "country": customer.country,
        "prior_year_sales": float(customer.prior_year_sales) if customer.prior_year_sales is not None else None,
        "key_customer": customer.key_customer, "key_customer_year": customer.key_customer_year,
        "created_by": customer.created_by, "created_at": customer.created_at, "updated_at": customer.updated_at,
    }
    return masking.mask(data, set(CONTACT_FIELDS)) if masked else data


def view(session: Session, user: User, customer: Customer) -> dict:
    return as_dict(customer, masked=not sees_contacts(session, user, customer))
