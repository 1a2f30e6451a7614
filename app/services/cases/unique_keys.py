"""One running case per business number where a process asks for it (start property ``uniqueBusinessKey`` =
true, e.g. the contract number of contract review): a second case with the same number is refused, unless
the starter marks it as an amendment of the running one (start property ``amendmentField`` names the
boolean start-form field), which links the two cases in the audit trail and the case summary."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...i18n import _
from ...models import ProcessInstance
from ..audit import audit
from ..errors import Conflict

ENDED = ("completed", "cancelled")


def check(session: Session, instance: ProcessInstance, start_props: dict, data: dict, actor: str | None) -> None:
    """Called when a case starts, after its business number is known; raises Conflict (nothing is saved)."""
    if str(start_props.get("uniqueBusinessKey", "")).lower() != "true" or not instance.business_key:
        return
    other = session.scalar(
        select(ProcessInstance).where(ProcessInstance.process_id == instance.process_id,
                                      ProcessInstance.business_key == instance.business_key,
                                      ProcessInstance.id != instance.id, ProcessInstance.status.not_in(ENDED))
        .order_by(ProcessInstance.id).limit(1))
    if other is None:
        return
    field = start_props.get("amendmentField")
    if field and data.get(field) is True:
        instance.summary = {**(instance.summary or {}), "amends_instance_id": other.id}
        audit.record(session, "linked_as_amendment", instance_id=instance.id, actor=actor,
                     data={"amends_instance_id": other.id, "business_key": instance.business_key})
        return
    raise Conflict(_("%(key)s is already the number of a running case (case %(id)s). Use another number, or "
                     "mark the new case as an amendment of that one.", key=instance.business_key, id=other.id),
                   code="duplicate_business_key", field=start_props.get("businessKey"), instance_id=other.id)
