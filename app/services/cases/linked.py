"""Linked cases: an element with the property ``startsProcess="<process id>"`` starts a new case of that
process when it finishes, in the same transaction, with ``parent_instance_id`` pointing at this case.

The new case's start data is the dict in the case-data field named by ``startsProcessData`` when given,
otherwise this case's data restricted to the fields of the started process's start form.
"""
import json

from sqlalchemy.orm import Session

from ...engine import runner
from ...models import ProcessInstance
from ..audit import audit
from ..modelling.publishing import latest_version


def _start_form_fields(session: Session, process_id: str, case: dict) -> dict:
    version = latest_version(session, process_id)
    form = (version.meta or {}).get("start", {}).get("form") if version is not None else None
    if not form:
        return dict(case)
    fields = json.loads(version.sources[form]).get("properties", {})
    return {key: value for key, value in case.items() if key in fields}


def start_requested(session: Session, instance: ProcessInstance, live, since: float, actor: str | None,
                    start) -> list[int]:
    """Start the cases requested by elements finished since `since`. start(session, process_id, data,
    actor, parent_instance_id) -> (id, lock version, live). A refused start refuses the whole step."""
    started = []
    for request in runner.linked_starts(live, since):
        data = request["data"]
        if data is None:
            data = _start_form_fields(session, request["process_id"], request["case"])
        child_id, _lock, _live = start(session, request["process_id"], data, actor, instance.id)
        audit.record(session, "linked_case_started", instance_id=instance.id, actor=actor,
                     element_id=request["element_id"],
                     data={"process_id": request["process_id"], "instance_id": child_id})
        started.append(child_id)
    return started
