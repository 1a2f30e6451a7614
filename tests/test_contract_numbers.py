"""Contract numbers are typed by Sales: a second running contract review with the same number is refused
(nothing is saved), unless Sales marks it as an amendment of the running case, which links the two."""
import pytest
from sqlalchemy import func, select

from app.models import AuditEvent, ProcessInstance
from app.services.errors import Conflict
from tests.test_process_contract import START, desk  # noqa: F401  (fixture)


def _count(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance)
                              .where(ProcessInstance.process_id == "contract_review"))


def test_duplicate_contract_number_is_refused_or_linked_as_an_amendment(desk, api):
    first = desk.start("contract_review", START)
    with pytest.raises(Conflict) as refused:
        desk.start("contract_review", START)
    assert refused.value.code == "duplicate_business_key" and "HT-2026-0001" in refused.value.message
    assert refused.value.details["instance_id"] == first and _count(desk.db) == 1

    # the same refusal through the API, with the reason
    response = api("sales").post("/api/v1/processes/contract_review/instances", json={"data": START})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "duplicate_business_key"
    assert _count(desk.db) == 1

    amendment = desk.start("contract_review", {**START, "amends_running_case": True})
    assert desk.case(amendment).summary["amends_instance_id"] == first
    with desk.db.session() as session:
        [linked] = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == amendment,
                                                            AuditEvent.event_type == "linked_as_amendment"))
    assert linked.data["amends_instance_id"] == first
    assert desk.start("contract_review", {**START, "contract_no": "HT-2026-0002"})  # another number: fine
