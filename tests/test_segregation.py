"""Segregation of duties (`excludeActorsFrom`, `notStarter`) holds on the JSON API and on the pages alike:
whoever started the case or prepared it cannot claim or complete the approval by either door."""
import pytest
from sqlalchemy import select

from app.models import HumanTask
from app.services.organisation import org
from app.services.modelling import publishing
from conftest import FIXTURES
from tests.web_helpers import login

REFUSAL = "职责分离"


@pytest.fixture
def prepared_case(db, api):
    """Started by `sales`, prepared by `sales_head`; the approval waits in the sales queue."""
    with db.session() as session:
        publishing.publish(session, publishing.collect_paths([FIXTURES / "sod"], FIXTURES / "basic"), "tester")
        org.create_user(session, "sales2", "demo", groups=["sales"])
    started = api("sales").post("/api/v1/processes/sod_approval/instances",
                                json={"data": {"case_no": "S-1", "amount": 10}})
    assert started.status_code == 201
    head = api("sales_head")
    [prepare] = started.get_json()["open_tasks"]
    assert head.post(f"/api/v1/tasks/{prepare['id']}/complete", json={"data": {"text": "方案"}}).status_code == 200
    with db.session() as session:
        return session.scalar(select(HumanTask.id).where(HumanTask.task_name == "approve"))


@pytest.mark.parametrize("username", ["sales", "sales_head"])  # the starter, the preparer
def test_segregation_of_duties_on_the_api(api, db, prepared_case, username):
    client = api(username)
    for action, body in (("claim", {}), ("complete", {"data": {"text": "同意"}})):
        refused = client.post(f"/api/v1/tasks/{prepared_case}/{action}", json=body)
        assert refused.status_code == 403 and REFUSAL in refused.get_json()["error"]["message"], action
    with db.session() as session:
        assert session.get(HumanTask, prepared_case).state == "ready"
    done = api("sales2").post(f"/api/v1/tasks/{prepared_case}/complete", json={"data": {"text": "同意"}})
    assert done.status_code == 200 and done.get_json()["completed_by"] == "sales2"


@pytest.mark.parametrize("username", ["sales", "sales_head"])
def test_segregation_of_duties_on_the_pages(app, db, prepared_case, username):
    page = login(app.test_client(), username)
    claim = page.post(f"/tasks/{prepared_case}/claim")
    assert claim.status_code == 403 and REFUSAL in claim.get_data(as_text=True)
    submit = page.post(f"/tasks/{prepared_case}", data={"action": "complete", "text": "同意"})
    assert submit.status_code == 403 and REFUSAL in submit.get_data(as_text=True)
    with db.session() as session:
        assert session.get(HumanTask, prepared_case).state == "ready"
    other = login(app.test_client(), "sales2")
    assert other.post(f"/tasks/{prepared_case}", data={"action": "complete", "text": "同意"}).status_code == 302
    with db.session() as session:
        assert session.get(HumanTask, prepared_case).completed_by == "sales2"
