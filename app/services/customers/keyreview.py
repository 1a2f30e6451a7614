"""The yearly key-customer review (seed 000 S7 L125): 「上年度销售收入在 500 万元以上的顾客为重点顾客」, 「由销售部提出，
报公司主管领导，每年年初确定一次」. The diagram key_customer_review asks DMN key_customer_threshold for the
threshold, lists the candidates (prior-year sales above it), Sales proposes the list and the leader in charge
(vp) approves it; the approved list then becomes the key-customer tier of the year."""
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Customer
from . import files


def candidates(session: Session, threshold) -> list[str]:
    """Names of the customers whose prior-year sales exceed the threshold (CNY), largest first."""
    limit = Decimal(str(threshold))
    rows = session.scalars(select(Customer).where(Customer.prior_year_sales > limit)
                           .order_by(Customer.prior_year_sales.desc(), Customer.name))
    return [c.name for c in rows]


def apply(session: Session, names: list[str], year: int, actor: str | None, instance_id: int | None) -> dict:
    """Make exactly the named customers the key customers of `year`; returns the names set, cleared and unknown."""
    wanted = {files.name_key(n): n for n in names if str(n).strip()}
    found = {c.name_key: c for c in session.scalars(select(Customer).where(Customer.name_key.in_(list(wanted))))} \
        if wanted else {}
    unknown = sorted(n for k, n in wanted.items() if k not in found)
    made, cleared = [], []
    for customer in found.values():
        if files.set_key_customer(session, customer, True, int(year), actor, instance_id):
            made.append(customer.name)
    for customer in session.scalars(select(Customer).where(Customer.key_customer.is_(True))):
        if customer.name_key not in found:
            files.set_key_customer(session, customer, False, None, actor, instance_id)
            cleared.append(customer.name)
    return {"set": sorted(made), "cleared": sorted(cleared), "unknown": unknown}
