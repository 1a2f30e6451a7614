"""The inbox pages: lists, filters, counts, claim and release, permissions, bulk actions, workload."""
import re
from datetime import timedelta

from app import clock
from app.services.organisation import org
from tests.web_helpers import finish_draft, login, open_task, start_case


def test_sign_in_required_and_wrong_password(client):
    assert client.get("/").status_code == 302
    bad = client.post("/login", data={"username": "sales", "password": "nope"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.get_data(as_text=True)


def test_started_case_shows_in_my_departments_queue_with_counts(app, client, published, db):
    sales = login(client, "sales")
    instance_id = start_case(sales, case_no="K-77", customer="宁波机械")
    page = sales.get("/queue").get_data(as_text=True)
    assert "K-77" in page and "宁波机械" in page and "起草" in page
    assert 'id="nav-queue">我的部门待领 <span class="count">1</span>' in page
    quality = login(app.test_client(), "quality")
    assert "K-77" not in quality.get("/queue").get_data(as_text=True)
    task = open_task(db, instance_id, "draft")
    assert sales.post(f"/tasks/{task.id}/claim").status_code == 302
    mine = sales.get("/").get_data(as_text=True)
    assert "K-77" in mine and '<span class="count">0</span>' in mine
    assert "K-77" not in sales.get("/queue").get_data(as_text=True)


def test_filters_and_search(app, client, published, db):
    sales = login(client, "sales")
    start_case(sales, case_no="A-100", customer="Alpha Ltd")
    start_case(sales, case_no="B-200", customer="Beta GmbH")
    by_key = sales.get("/queue?search=200").get_data(as_text=True)
    assert "B-200" in by_key and "A-100" not in by_key
    by_customer = sales.get("/queue?customer=alpha").get_data(as_text=True)
    assert "A-100" in by_customer and "B-200" not in by_customer
    assert "A-100" in sales.get("/queue?process=loop_review").get_data(as_text=True)
    assert "A-100" not in sales.get("/queue?process=other").get_data(as_text=True)
    assert "A-100" not in sales.get("/queue?overdue=1").get_data(as_text=True)
    clock.set_now(clock.now() + timedelta(days=3))
    try:
        sales = login(app.test_client(), "sales")  # the old session has expired meanwhile
        late = sales.get("/queue?overdue=1").get_data(as_text=True)
        assert "A-100" in late and "已逾期" in late
    finally:
        clock.set_now(None)


def test_at_risk_badge_when_little_time_is_left(app, client, published, db):
    sales = login(client, "sales")
    task = open_task(db, start_case(sales, case_no="R-1"), "draft")
    assert "即将到期" not in sales.get("/queue").get_data(as_text=True)
    clock.set_now(task.due_at - timedelta(hours=2))  # the draft (2 days) has under a tenth of its time left
    try:
        sales = login(app.test_client(), "sales")
        assert "即将到期" in sales.get("/queue").get_data(as_text=True)
    finally:
        clock.set_now(None)


def test_english_titles_and_language_kept_on_the_user(app, client, published, db):
    sales = login(client, "sales")
    start_case(sales, case_no="E-1")
    sales.post("/locale/en")
    page = sales.get("/queue").get_data(as_text=True)
    assert "My departments&#39; queue" in page or "My departments' queue" in page
    again = login(app.test_client(), "sales")  # a new session of the same user
    assert "My tasks" in again.get("/").get_data(as_text=True)


def test_outsiders_get_403_when_claiming(app, client, published, db):
    sales = login(client, "sales")
    instance_id = start_case(sales)
    task = open_task(db, instance_id, "draft")
    quality = login(app.test_client(), "quality")
    refused = quality.post(f"/tasks/{task.id}/claim")
    assert refused.status_code == 403 and "您不是该组成员" in refused.get_data(as_text=True)
    assert quality.get(f"/tasks/{task.id}").status_code == 403
    assert quality.post(f"/tasks/{task.id}", data={"text": "x", "action": "complete"}).status_code == 403


def test_bulk_claim_and_head_reassign_and_workload(app, client, published, db):
    with db.session() as session:
        org.create_user(session, "sales2", "pw", groups=["sales"])
    sales = login(client, "sales")
    ids = [open_task(db, start_case(sales, case_no=f"Q-{i}"), "draft").id for i in range(3)]
    done = sales.post("/queue/bulk", data={"action": "claim", "task_id": ids[:2]}, follow_redirects=True)
    assert "2 个任务中完成 2 个" in done.get_data(as_text=True)
    assert open_task(db, open_task_instance(db, ids[0]), "draft").claimed_by == "sales"
    assert sales.post("/queue/bulk", data={"action": "reassign", "task_id": ids, "assignee": "sales2"}).status_code == 403

    head = login(app.test_client(), "sales_head")
    head.post("/queue/bulk", data={"action": "reassign", "task_id": ids, "assignee": "sales2"})
    for task_id in ids:
        assert open_task(db, open_task_instance(db, task_id), "draft").claimed_by == "sales2"
    workload = head.get("/workload").get_data(as_text=True)
    assert "sales2" in workload and re.search(r'<td data-label="[^"]*">3</td>', workload)
    assert sales.get("/workload").status_code == 403


def open_task_instance(db, task_id):
    from app.models import HumanTask
    with db.session() as session:
        return session.get(HumanTask, task_id).instance_id


def test_escalations_of_overdue_tasks_show_in_the_heads_inbox(app, client, published, db):
    from app.services.cases import escalations
    start_case(login(client, "sales"), case_no="ESC-1")
    clock.set_now(clock.now() + timedelta(days=3))
    try:
        assert escalations.scan(db) == 1
        head = login(app.test_client(), "sales_head").get("/").get_data(as_text=True)
        assert 'id="escalations"' in head and "ESC-1" in head
        assert 'id="escalations"' not in login(app.test_client(), "quality_head").get("/").get_data(as_text=True)
    finally:
        clock.set_now(None)
