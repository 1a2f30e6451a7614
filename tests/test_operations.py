"""Incidents and case control: retry, skip, data correction, suspend/resume, cancel, move; who may do them;
the audit trail they leave. Service layer and JSON API, on SQLite and PostgreSQL."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.models import AuditEvent, HumanTask, ProcessInstance, Timer
from app.services.cases import tasks, timers
from app.services.errors import Conflict, Forbidden, ServiceError, StepFailed
from app.services.operations import control, incidents
from app.services.modelling import publishing
from conftest import FIXTURES
from process_helpers import Desk

OPS = FIXTURES / "ops"


@pytest.fixture
def desk(db):
    with db.session() as session:
        publishing.publish(session, publishing.collect_paths([OPS], None), "process_owner")
    return Desk(db)


@pytest.fixture
def now():
    start = clock.now().replace(microsecond=0)
    clock.set_now(start)
    yield start
    clock.set_now(None)


def _events(db, instance_id, kind):
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                             AuditEvent.event_type == kind)
                                    .order_by(AuditEvent.id)))


def _failing_at_check(desk):
    """A case whose 'check' script divides by zero when 'prepare' is completed: an incident."""
    iid = desk.start("ops_case", {"divisor": 0, "factor": 1})
    with pytest.raises(StepFailed):
        desk.do("sales", iid, "prepare", {"note": "资料齐全"})
    assert desk.case(iid).status == "error"
    return iid


def _at_timer(desk, factor=1):
    iid = desk.start("ops_case", {"divisor": 1, "factor": factor})
    desk.do("sales", iid, "prepare", {})
    return iid


def test_incident_listed_grouped_with_element_title_and_since(desk, db, now):
    first, second = _failing_at_check(desk), _failing_at_check(desk)
    clock.set_now(now + timedelta(minutes=5))
    with db.session() as session:
        page = incidents.groups(session, desk.user("admin"), locale="zh")
    assert page.total == 1
    group = page.items[0]
    assert group["count"] == 2 and group["element_title"] == "核对比例" and group["version"] == 1
    assert group["process_name"] == "运维测试流程"
    assert "division by zero" in group["message"]
    assert group["since"] == now and sorted(group["instance_ids"]) == sorted([first, second])


def test_retry_after_data_correction_reruns_the_users_completion(desk, db, now):
    iid = _failing_at_check(desk)
    admin = desk.user("admin")
    with pytest.raises(ServiceError):
        control.edit_data(db, admin, iid, {"divisor": 4}, "")  # a reason is required
    control.edit_data(db, admin, iid, {"divisor": 4}, "客户确认比例为4")
    assert desk.case(iid).status == "error"  # correcting data alone does not resolve the incident
    edited = _events(db, iid, "data_edited")[-1]
    assert edited.actor == "admin" and edited.data["changes"] == {"divisor": [0, 4]}
    assert edited.data["reason"] == "客户确认比例为4"
    result = control.retry(db, admin, iid, "数据已更正")
    assert result["rerun"] == "task"
    case = desk.case(iid)
    assert case.status == "running" and case.case_data["ratio"] == 25 and case.case_data["note"] == "资料齐全"
    done = _events(db, iid, "completed")[-1]
    assert done.actor == "sales" and done.data["rerun_by"] == "admin"  # the user's step, re-run by the operator
    assert _events(db, iid, "retried")[-1].actor == "admin"
    assert desk.children(iid), "the linked child case of the re-run step was started"
    with db.session() as session:
        assert incidents.groups(session, admin).total == 0


def test_retry_that_fails_again_stays_an_incident_and_can_be_retried(desk, db):
    iid = _failing_at_check(desk)
    with pytest.raises(StepFailed):
        control.retry(db, desk.user("admin"), iid)
    assert desk.case(iid).status == "error"
    control.edit_data(db, desk.user("process_owner"), iid, {"divisor": 2}, "fix")
    control.retry(db, desk.user("process_owner"), iid)
    assert desk.case(iid).case_data["ratio"] == 50


def test_skip_a_failed_script_goes_on_without_running_it(desk, db):
    iid = _failing_at_check(desk)
    result = control.skip(db, desk.user("admin"), iid, "比例不适用")
    assert result["skipped"] == 1
    case = desk.case(iid)
    assert case.status == "running" and "ratio" not in case.case_data
    with db.session() as session:
        assert session.scalars(select(Timer.element_id).where(Timer.instance_id == iid,
                                                              Timer.state == "waiting")).all() == ["wait"]
    assert _events(db, iid, "skipped")[-1].data["reason"] == "比例不适用"


def test_incident_from_a_timer_is_retried_after_the_fix(desk, db, now):
    iid = _at_timer(desk, factor=0)
    clock.set_now(now + timedelta(hours=1, seconds=1))
    timers.fire_due(db)
    case = desk.case(iid)
    assert case.status == "error" and case.error_element == "compute"
    assert timers.fire_due(db) == 0  # an incident waits for its fix instead of failing on every pass
    control.edit_data(db, desk.user("admin"), iid, {"factor": 5}, "系数更正")
    result = control.retry(db, desk.user("admin"), iid)
    assert result["rerun"] == "engine" and result["timers_fired"] == ["wait"]
    assert desk.case(iid).case_data["total"] == 20
    assert set(desk.open_tasks(iid)) == {"approve"}


def test_suspended_case_cannot_be_worked_and_its_timer_fires_once_on_resume(desk, db, now):
    iid = desk.start("ops_case", {"divisor": 1, "factor": 1})
    prepare = desk.open_tasks(iid)["prepare"]
    control.suspend(db, desk.user("admin"), iid, "等待客户回复")
    assert desk.case(iid).status == "suspended"
    assert "prepare" in desk.open_tasks(iid)  # still visible
    with pytest.raises(Conflict) as refused:
        tasks.claim(db, desk.user("sales"), prepare.id)
    assert refused.value.code == "case_suspended"
    with pytest.raises(Conflict):
        tasks.complete(db, desk.user("sales"), prepare.id, {})
    control.resume(db, desk.user("admin"), iid)
    desk.do("sales", iid, "prepare", {})  # now at the one-hour timer
    control.suspend(db, desk.user("admin"), iid, "暂停")
    clock.set_now(now + timedelta(hours=3))
    assert timers.fire_due(db) == 0  # the timer waits while the case is suspended
    assert set(desk.open_tasks(iid)) == set()
    result = control.resume(db, desk.user("admin"), iid, "继续")
    assert result["timers_fired"] == ["wait"]
    assert timers.fire_due(db) == 0
    assert len(_events(db, iid, "timer_fired")) == 1
    assert set(desk.open_tasks(iid)) == {"approve"}
    assert [e.actor for e in _events(db, iid, "suspended")] == ["admin", "admin"]
    assert _events(db, iid, "resumed")[-1].data["reason"] == "继续"


def test_cancel_ends_tasks_and_timers_and_offers_the_child_cases(desk, db):
    iid = _at_timer(desk)
    children = desk.children(iid)
    assert len(children) == 1
    with pytest.raises(ServiceError):
        control.cancel(db, desk.user("admin"), iid, "  ")
    result = control.cancel(db, desk.user("admin"), iid, "客户撤单")
    assert result["open_children"] == [{"id": children[0].id, "process_id": "ops_child",
                                        "business_key": None, "status": "running"}]
    case = desk.case(iid)
    assert case.status == "cancelled" and case.ended_at is not None
    with db.session() as session:
        assert session.scalars(select(Timer.state).where(Timer.instance_id == iid)).all() == ["cancelled"]
    assert _events(db, iid, "instance_cancelled")[-1].data["reason"] == "客户撤单"
    assert not _events(db, iid, "instance_completed")
    result = control.cancel(db, desk.user("admin"), children[0].id, "随主案撤销")
    assert desk.case(children[0].id).status == "cancelled"
    with db.session() as session:
        child_tasks = session.scalars(select(HumanTask.state).where(HumanTask.instance_id == children[0].id)).all()
    assert child_tasks == ["cancelled"]
    with pytest.raises(Conflict):
        control.resume(db, desk.user("admin"), iid)


def test_cancel_with_children_cancels_them_too(desk, db):
    iid = _at_timer(desk)
    child = desk.children(iid)[0].id
    result = control.cancel(db, desk.user("admin"), iid, "撤单", children=True)
    assert result["children_cancelled"] == [child] and result["open_children"] == []
    assert desk.case(child).status == "cancelled"


def test_move_dry_run_changes_nothing_then_move(desk, db):
    iid = desk.start("ops_case", {"divisor": 1, "factor": 1})
    owner = desk.user("process_owner")
    targets = {t["element_id"] for t in control.move_targets(db, owner, iid)}
    assert {"prepare", "check", "approve", "end"} <= targets and "start" not in targets
    plan = control.move(db, owner, iid, "approve", dry_run=True)
    assert plan["possible"] and [t["element_id"] for t in plan["cancelled"]] == ["prepare"]
    assert [t["element_id"] for t in plan["created"]] == ["approve"]
    assert set(desk.open_tasks(iid)) == {"prepare"}  # unchanged
    with pytest.raises(ServiceError):
        control.move(db, owner, iid, "approve")  # a reason is required
    control.move(db, owner, iid, "approve", reason="资料已线下收齐")
    assert set(desk.open_tasks(iid)) == {"approve"}
    assert _events(db, iid, "moved")[-1].data["cancelled"] == ["prepare"]
    desk.do("sales", iid, "approve", {})
    assert desk.case(iid).status == "completed"


def test_move_to_an_unknown_element_is_refused(desk, db):
    iid = desk.start("ops_case", {"divisor": 1, "factor": 1})
    with pytest.raises(ServiceError):
        control.move(db, desk.user("admin"), iid, "nowhere", reason="x")
    with pytest.raises(ServiceError):
        control.move(db, desk.user("admin"), iid, "start", reason="x", dry_run=True)


@pytest.mark.parametrize("who", ["sales", "auditor", "sales_head"])
def test_staff_and_auditors_are_refused_every_action(desk, db, who):
    iid = _failing_at_check(desk)
    user = desk.user(who)
    actions = [lambda: control.retry(db, user, iid), lambda: control.skip(db, user, iid, "r"),
               lambda: control.edit_data(db, user, iid, {"divisor": 1}, "r"),
               lambda: control.suspend(db, user, iid), lambda: control.cancel(db, user, iid, "r"),
               lambda: control.move(db, user, iid, "approve", reason="r"),
               lambda: control.move(db, user, iid, "approve", dry_run=True)]
    for action in actions:
        with pytest.raises(Forbidden):
            action()
    assert desk.case(iid).status == "error"


def test_actions_take_the_cases_optimistic_lock(desk, db):
    iid = desk.start("ops_case", {"divisor": 1, "factor": 1})
    before = desk.case(iid).lock_version
    control.suspend(db, desk.user("admin"), iid)
    assert desk.case(iid).lock_version > before


# ---- JSON API -----------------------------------------------------------------------------------

def test_api_incidents_and_actions(desk, api, db):
    iid = _failing_at_check(desk)
    admin = api("admin")
    body = admin.get("/api/v1/incidents").get_json()
    assert body["total"] == 1
    group = body["incidents"][0]
    assert group["count"] == 1 and group["element_id"] == "check" and group["instances"][0]["id"] == iid
    assert group["since"].endswith("+00:00")
    response = admin.client.patch(f"/api/v1/instances/{iid}/data", headers=admin.headers,
                                  json={"data": {"divisor": 5}, "reason": "更正"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["changes"] == {"divisor": [0, 5]}
    response = admin.post(f"/api/v1/instances/{iid}/retry", {"reason": "已更正"})
    assert response.status_code == 200, response.get_json()
    assert admin.get(f"/api/v1/instances/{iid}").get_json()["status"] == "running"
    assert admin.post(f"/api/v1/instances/{iid}/suspend", {"reason": "暂停"}).status_code == 200
    assert admin.get(f"/api/v1/instances/{iid}").get_json()["status"] == "suspended"
    assert admin.post(f"/api/v1/instances/{iid}/resume", {}).status_code == 200
    plan = admin.post(f"/api/v1/instances/{iid}/move", {"element_id": "approve", "dry_run": True}).get_json()
    assert plan["dry_run"] is True and [t["element_id"] for t in plan["created"]] == ["approve"]
    response = admin.post(f"/api/v1/instances/{iid}/cancel", {"reason": "撤单"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert admin.post(f"/api/v1/instances/{iid}/cancel", {"reason": "again"}).status_code == 409


def test_api_group_retry_and_bad_requests(desk, api):
    first, second = _failing_at_check(desk), _failing_at_check(desk)
    admin = api("admin")
    response = admin.post("/api/v1/incidents/retry", {"instance_ids": [first, second]})
    assert response.status_code == 200
    assert [r["ok"] for r in response.get_json()["results"]] == [False, False]  # still dividing by zero
    assert admin.post(f"/api/v1/instances/{first}/cancel", {}).status_code == 400  # no reason
    response = admin.client.patch(f"/api/v1/instances/{first}/data", headers=admin.headers,
                                  json={"data": [1, 2], "reason": "x"})
    assert response.status_code == 400
    assert admin.post("/api/v1/instances/999999/retry", {}).status_code == 404


@pytest.mark.parametrize("who", ["sales", "auditor"])
def test_api_refuses_staff_and_auditors(desk, api, who):
    iid = _failing_at_check(desk)
    user = api(who)
    assert user.get("/api/v1/incidents").status_code == 403
    for action in ("retry", "suspend", "resume", "skip", "move"):
        assert user.post(f"/api/v1/instances/{iid}/{action}", {"reason": "x"}).status_code == 403
    assert user.post(f"/api/v1/instances/{iid}/cancel", {"reason": "x"}).status_code == 403
    response = user.client.patch(f"/api/v1/instances/{iid}/data", headers=user.headers,
                                 json={"data": {"divisor": 1}, "reason": "x"})
    assert response.status_code == 403


# ---- pages --------------------------------------------------------------------------------------

def _login(client, username):
    response = client.post("/login", data={"username": username, "password": "demo"})
    assert response.status_code == 302
    return client


def test_incidents_page_lists_groups_and_retries_a_group(desk, db, client):
    first, second = _failing_at_check(desk), _failing_at_check(desk)
    _login(client, "admin")
    html = client.get("/ops/incidents").get_data(as_text=True)
    assert "核对比例" in html and "运维测试流程" in html and "division by zero" in html
    assert 'id="nav-incidents"' in html
    assert "ops_case" not in html.replace(f"/ops/cases/", "")  # process ids are not shown
    for iid in (first, second):
        control.edit_data(db, desk.user("admin"), iid, {"divisor": 10}, "更正")
    version_id = desk.case(first).version_id
    response = client.post("/ops/incidents/retry", data={"version_id": version_id, "element_id": "check",
                                                         "message": desk.case(first).error_message})
    assert response.status_code == 302
    assert desk.case(first).status == desk.case(second).status == "running"
    assert 'class="incident"' not in client.get("/ops/incidents").get_data(as_text=True)


def test_case_control_page_suspend_move_preview_and_cancel(desk, db, client):
    iid = desk.start("ops_case", {"divisor": 1, "factor": 1})
    _login(client, "process_owner")
    assert 'id="case-control"' in client.get(f"/cases/{iid}").get_data(as_text=True)
    html = client.get(f"/ops/cases/{iid}").get_data(as_text=True)
    assert 'id="ops-move"' in html and "批准" in html
    client.post(f"/ops/cases/{iid}/suspend", data={"reason": "核查"})
    assert desk.case(iid).status == "suspended"
    client.post(f"/ops/cases/{iid}/resume", data={})
    html = client.post(f"/ops/cases/{iid}/move/preview", data={"element_id": "approve"}).get_data(as_text=True)
    assert 'id="move-plan"' in html and "准备资料" in html and "批准" in html
    assert set(desk.open_tasks(iid)) == {"prepare"}
    client.post(f"/ops/cases/{iid}/cancel", data={"reason": ""})
    assert desk.case(iid).status == "running"  # refused: no reason
    client.post(f"/ops/cases/{iid}/cancel", data={"reason": "撤单"})
    assert desk.case(iid).status == "cancelled"


@pytest.mark.parametrize("who", ["sales", "auditor"])
def test_operator_pages_refuse_staff_and_auditors(desk, client, who):
    iid = _failing_at_check(desk)
    _login(client, who)
    assert client.get("/ops/incidents").status_code == 403
    assert client.get(f"/ops/cases/{iid}").status_code == 403
    assert client.post(f"/ops/cases/{iid}/retry", data={}).status_code == 403
    assert 'id="case-control"' not in client.get(f"/cases/{iid}").get_data(as_text=True)
