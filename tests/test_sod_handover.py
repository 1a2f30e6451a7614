"""Segregation of duties also holds when a head hands a task over: reassigning the approval to whoever started
or prepared the case is refused with the reason, and the excluded person's queue shows the task greyed with
the reason instead of a claim button."""
from sqlalchemy import select

from app.models import AuditEvent, HumanTask
from tests.test_segregation import REFUSAL, prepared_case  # noqa: F401  (fixture)
from tests.web_helpers import login


def test_reassigning_to_an_excluded_person_is_refused_with_the_reason(api, db, prepared_case):
    head = api("sales_head")
    refused = head.post(f"/api/v1/tasks/{prepared_case}/reassign", json={"assignee": "sales"})  # the starter
    assert refused.status_code == 403
    error = refused.get_json()["error"]
    assert error["code"] == "segregation_of_duties" and REFUSAL in error["message"]
    with db.session() as session:
        task = session.get(HumanTask, prepared_case)
        assert task.state == "ready" and task.claimed_by is None
        assert not session.scalars(select(AuditEvent).where(AuditEvent.event_type == "reassigned")).all()
    assert head.post(f"/api/v1/tasks/{prepared_case}/reassign", json={"assignee": "sales2"}).status_code == 200
    with db.session() as session:
        assert session.get(HumanTask, prepared_case).claimed_by == "sales2"


def test_excluded_person_sees_the_task_greyed_with_the_reason(app, prepared_case):
    starter = login(app.test_client(), "sales")
    page = starter.get("/queue").get_data(as_text=True)
    assert "sod-excluded" in page and f'formaction="/tasks/{prepared_case}/claim"' not in page
    colleague = login(app.test_client(), "sales2")
    page = colleague.get("/queue").get_data(as_text=True)
    assert "sod-excluded" not in page and f"/tasks/{prepared_case}/claim" in page
