"""Delegation, reassignment by heads, and out-of-office substitutes (pages and JSON API alike)."""
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.background import EmbeddedWorker
from app.models import AuditEvent, HumanTask
from app.services.cases import delegation
from app.services.organisation import org
from tests.web_helpers import login, open_task, start_case


def _users(db, *names, group="sales"):
    with db.session() as session:
        for name in names:
            org.create_user(session, name, "pw", groups=[group])


def _holder(db, task_id):
    with db.session() as session:
        return session.get(HumanTask, task_id).claimed_by


def _events(db, kind):
    with db.session() as session:
        return [e.data for e in session.scalars(select(AuditEvent).where(AuditEvent.event_type == kind))]


def test_holder_delegates_to_a_colleague(app, client, published, db):
    _users(db, "sales2")
    sales = login(client, "sales")
    task = open_task(db, start_case(sales), "draft")
    sales.post(f"/tasks/{task.id}/claim")
    sales.post(f"/tasks/{task.id}/assign", data={"kind": "delegated", "assignee": "sales2"})
    assert _holder(db, task.id) == "sales2"
    assert _events(db, "delegated") == [{"from": "sales", "to": "sales2"}]
    refused = sales.post(f"/tasks/{task.id}/assign", data={"kind": "delegated", "assignee": "sales"})
    assert refused.status_code == 403  # no longer the holder


def test_cannot_hand_to_someone_outside_the_group(app, client, published, db):
    sales = login(client, "sales")
    task = open_task(db, start_case(sales), "draft")
    sales.post(f"/tasks/{task.id}/claim")
    page = sales.post(f"/tasks/{task.id}/assign", data={"kind": "delegated", "assignee": "quality"},
                      follow_redirects=True).get_data(as_text=True)
    assert "quality 无权办理此任务。" in page and _holder(db, task.id) == "sales"


def test_out_of_office_hands_over_held_tasks_and_redirects_new_ones(app, client, published, db, api):
    _users(db, "sales2", "sales3")
    sales = login(client, "sales")
    held = open_task(db, start_case(sales, case_no="H-1"), "draft")
    sales.post(f"/tasks/{held.id}/claim")
    today = delegation.today()
    saved = sales.post("/away", data={"substitute": "sales2", "starts_on": (today - timedelta(days=1)).isoformat(),
                                      "ends_on": (today + timedelta(days=3)).isoformat()})
    assert saved.status_code == 302
    assert _holder(db, held.id) == "sales2"
    [handed] = _events(db, "reassigned")
    assert handed["substitute_for"] == "sales" and handed["reason"] == "out_of_office"

    # a head's reassignment to the absent person reaches the substitute, in the pages and in the API
    head = login(app.test_client(), "sales_head")
    other = open_task(db, start_case(sales, case_no="H-2"), "draft")
    head.post(f"/tasks/{other.id}/assign", data={"kind": "reassigned", "assignee": "sales"})
    assert _holder(db, other.id) == "sales2"
    third = open_task(db, start_case(sales, case_no="H-3"), "draft")
    response = api("sales_head").post(f"/api/v1/tasks/{third.id}/reassign", json={"assignee": "sales"})
    assert response.status_code == 200 and response.get_json()["claimed_by"] == "sales2"
    assert [e["requested"] for e in _events(db, "reassigned") if "requested" in e] == ["sales", "sales"]
    case = head.get(f"/cases/{other.instance_id}").get_data(as_text=True)
    assert "（代理不在岗的 业务部员工）" in case  # people by their names


def test_future_absence_applies_when_the_day_comes(app, client, published, db):
    _users(db, "sales2")
    sales = login(client, "sales")
    task = open_task(db, start_case(sales), "draft")
    sales.post(f"/tasks/{task.id}/claim")
    start = delegation.today() + timedelta(days=5)
    sales.post("/away", data={"substitute": "sales2", "starts_on": start.isoformat(),
                              "ends_on": (start + timedelta(days=2)).isoformat()})
    assert _holder(db, task.id) == "sales"
    clock.set_now(clock.now() + timedelta(days=6))
    try:
        login(app.test_client(), "sales2", "pw").get("/")
        assert _holder(db, task.id) == "sales"  # no hand-over work on a page request
        EmbeddedWorker(app).run_once()  # the background job of the absence's first day
        assert _holder(db, task.id) == "sales2"
    finally:
        clock.set_now(None)


def test_substitute_who_may_not_do_a_task_leaves_it_with_its_holder_as_the_page_said(app, client, published, db):
    sales = login(client, "sales")
    task = open_task(db, start_case(sales), "draft")
    sales.post(f"/tasks/{task.id}/claim")
    page = sales.get("/away").get_data(as_text=True)
    assert 'value="sales_head"' in page and 'value="quality"' not in page  # only colleagues are offered
    preview = sales.get("/away?substitute=quality").get_data(as_text=True)
    assert "留在您处" in preview and "交给 " not in preview.split('id="handover"')[1]
    assert "交给 业务部负责人" in sales.get("/away?substitute=sales_head").get_data(as_text=True)
    today = delegation.today().isoformat()
    sales.post("/away", data={"substitute": "quality", "starts_on": today, "ends_on": today})
    with db.session() as session:
        row = session.get(HumanTask, task.id)
        assert row.state == "claimed" and row.claimed_by == "sales"  # stays, nothing falls back to the queue


def test_out_of_office_form_errors(client, published):
    sales = login(client, "sales")
    today = delegation.today()
    backwards = sales.post("/away", data={"substitute": "sales_head", "starts_on": today.isoformat(),
                                          "ends_on": (today - timedelta(days=1)).isoformat()})
    assert backwards.status_code == 422 and "最后一天早于第一天。" in backwards.get_data(as_text=True)
    unknown = sales.post("/away", data={"substitute": "nobody", "starts_on": today.isoformat(),
                                        "ends_on": today.isoformat()})
    assert unknown.status_code == 422 and "用户不存在：nobody" in unknown.get_data(as_text=True)
