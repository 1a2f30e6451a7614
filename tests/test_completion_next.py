"""One request per completion: completing a task answers with what the same user may do next on the case
(API field next_tasks, with form schemas on include=form; the task page links the next task)."""
from app.models import HumanTask, OPEN_STATES
from app.services.organisation import org
from tests.test_web_task import start_complaint, web_published  # noqa: F401  (fixture)
from tests.web_helpers import login, open_task


def _start(client):
    response = client.post("/api/v1/processes/loop_review/instances",
                           json={"data": {"case_no": "N-1", "amount": 5, "rounds": 0, "customer": "ACME"}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_completion_answers_with_the_callers_next_tasks_and_forms(api, published, db):
    with db.session() as session:
        org.create_user(session, "allround", "pw", groups=["sales", "quality"])
    both, sales = api("allround", "pw"), api("sales")
    _start(both)
    [draft] = both.get("/api/v1/tasks").get_json()["tasks"]
    done = both.post(f"/api/v1/tasks/{draft['id']}/complete?include=form", json={"data": {"text": "草稿"}})
    body = done.get_json()
    assert done.status_code == 200 and body["state"] == "completed" and body["id"] == draft["id"]
    [review] = body["next_tasks"]
    assert review["task_name"] == "review" and review["group"] == "quality" and review["state"] == "ready"
    assert review["form_schema"]["properties"]["approved"]
    # the answer is the same task the inbox would show next
    assert [t["id"] for t in both.get("/api/v1/tasks").get_json()["tasks"]] == [review["id"]]

    # without include=form no schema; someone outside the next task's group gets no next task
    _start(sales)
    [other] = sales.get("/api/v1/tasks").get_json()["tasks"]  # the first case's review is not in sales' inbox
    plain = sales.post(f"/api/v1/tasks/{other['id']}/complete", json={"data": {"text": "x"}}).get_json()
    assert plain["state"] == "completed" and plain["next_tasks"] == []
    with db.session() as session:  # the review exists, it is just not the caller's
        assert session.query(HumanTask).filter(HumanTask.instance_id == plain["instance_id"],
                                               HumanTask.state.in_(OPEN_STATES)).count() == 1


def test_unknown_include_is_refused_and_nothing_is_completed(api, published):
    sales = api("sales")
    _start(sales)
    [draft] = sales.get("/api/v1/tasks").get_json()["tasks"]
    bad = sales.post(f"/api/v1/tasks/{draft['id']}/complete?include=history", json={"data": {"text": "x"}})
    assert bad.status_code == 400
    assert sales.get(f"/api/v1/tasks/{draft['id']}").get_json()["state"] == "ready"


def test_task_page_completion_links_the_next_task(app, client, web_published, db):  # noqa: F811
    instance_id = start_complaint(login(client, "sales"))
    task = open_task(db, instance_id, "check")
    with db.session() as session:
        groups = {t.group_code for t in session.query(HumanTask).filter(HumanTask.instance_id == instance_id)}
        org.create_user(session, "allround", "demo", groups=sorted(groups | {"sales", "quality"}))
    worker = login(app.test_client(), "allround")
    ok = worker.post(f"/tasks/{task.id}", data={"action": "complete", "accepted": "yes", "sample_count": "2"})
    assert ok.status_code == 302
    with db.session() as session:
        [following] = session.query(HumanTask).filter(HumanTask.instance_id == instance_id,
                                                      HumanTask.state.in_(OPEN_STATES)).all()
    home = worker.get(ok.headers["Location"]).get_data(as_text=True)
    assert "您的下一项任务" in home and f'href="/tasks/{following.id}" id="next-task-link"' in home

    # whoever may not do the next step is told where the case went, without a next-task link
    second = start_complaint(login(client, "sales"), no="TS-2")
    quality = login(app.test_client(), "quality")
    quality.post(f"/tasks/{open_task(db, second, 'check').id}",
                 data={"action": "complete", "accepted": "yes", "sample_count": "2"})
    page = quality.get("/").get_data(as_text=True)
    assert "TS-2" in page and "next-task-link" not in page
