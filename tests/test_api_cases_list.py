"""Finding cases and a case's tasks through the JSON API: filters, searchable fields, pagination with total
and next, 400s naming the parameter, timestamps with offsets, error codes and languages."""
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sqlalchemy import select

from app.models import Group
from app.services.modelling import publishing

MESSAGES = Path(__file__).parent / "fixtures" / "messages"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


@pytest.fixture
def licence_process(db, published):
    with db.session() as session:
        publishing.publish(session, publishing.collect_paths([MESSAGES], None), "tester")


def _start(user, process="licence_wait", **data):
    response = user.post(f"/api/v1/processes/{process}/instances", json={"data": data})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _get(user, url, **params):
    response = user.get(url, query_string=params)
    return response.status_code, response.get_json()


def _timestamps(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _timestamps(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _timestamps(v, f"{path}[{i}]")
    elif isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT", value):
        yield path, value


def test_list_filters_and_searchable_fields(api, licence_process):
    sales = api("sales")
    a = _start(sales, contract_no="HT-2026-001", order_no="PO-77", customer="ACME 机械")
    b = _start(sales, contract_no="HT-2026-002", order_no="PO-78", customer="Beta")
    loop = sales.post("/api/v1/processes/loop_review/instances",
                      json={"data": {"case_no": "C-9", "amount": 1, "rounds": 0, "customer": "ACME 机械"}})
    assert loop.status_code == 201

    status, body = _get(sales, "/api/v1/instances")
    assert status == 200 and body["total"] == 3 and body["next"] is None
    assert [i["id"] for i in body["instances"]][:2] == [loop.get_json()["id"], b["id"]]  # newest first

    status, body = _get(sales, "/api/v1/instances", process="licence_wait")
    assert body["total"] == 2
    item = next(i for i in body["instances"] if i["id"] == a["id"])
    assert item["process_name"] == "测试等待许可证" and item["business_key"] == "HT-2026-001"
    assert item["status"] == "running" and item["status_label"] == "进行中"
    [task] = item["current_tasks"]
    assert task["element_id"] == "apply" and task["title"] == "申请许可证"
    assert task["group"] == "sales" and task["group_name"] and task["group_name"] != "sales"

    # a field the process declares searchable (start property searchFields)
    status, body = _get(sales, "/api/v1/instances", **{"data[order_no]": "PO-78"})
    assert status == 200 and [i["id"] for i in body["instances"]] == [b["id"]]
    # free text: order number, customer, business key, case number
    assert [i["id"] for i in _get(sales, "/api/v1/instances", q="PO-77")[1]["instances"]] == [a["id"]]
    assert _get(sales, "/api/v1/instances", q="acme")[1]["total"] == 2
    assert [i["id"] for i in _get(sales, "/api/v1/instances", q=f"#{b['id']}")[1]["instances"]] == [b["id"]]
    assert _get(sales, "/api/v1/instances", business_key="HT-2026-002")[1]["total"] == 1
    assert _get(sales, "/api/v1/instances", customer="beta")[1]["total"] == 1
    assert _get(sales, "/api/v1/instances", started_by="sales")[1]["total"] == 3
    assert _get(sales, "/api/v1/instances", started_by="quality")[1]["total"] == 0
    assert _get(sales, "/api/v1/instances", status="completed")[1]["total"] == 0
    assert _get(sales, "/api/v1/instances", started_from="2000-01-01", started_to="2999-12-31")[1]["total"] == 3
    assert _get(sales, "/api/v1/instances", started_to="2000-01-01")[1]["total"] == 0
    assert _get(sales, "/api/v1/instances", started_from="2000-01-01T00:00:00+08:00")[1]["total"] == 3


def test_bad_parameters_are_named(api, licence_process):
    sales = api("sales")
    for params, name in (({"colour": "red"}, "colour"), ({"status": "running!"}, "status"),
                         ({"started_from": "yesterday"}, "started_from"), ({"limit": "0"}, "limit"),
                         ({"limit": "abc"}, "limit"), ({"offset": "-1"}, "offset"), ({"parent": "x"}, "parent"),
                         ({"data[colour]": "red"}, "data[colour]"),
                         ({"started_from": "2026-01-01T00:00:00"}, "started_from")):
        status, body = _get(sales, "/api/v1/instances", **params)
        assert status == 400, params
        assert body["error"]["parameter"] == name and name in body["error"]["message"]
        assert body["error"]["code"] in ("unknown_parameter", "invalid_parameter")
    for params, name in (({"scope": "everything"}, "scope"), ({"instance_id": "abc"}, "instance_id"),
                         ({"overdue": "maybe"}, "overdue"), ({"sort": "due"}, "sort"), ({"state": "done"}, "state"),
                         ({"limit": "5000"}, "limit")):
        status, body = _get(sales, "/api/v1/tasks", **params)
        assert status == 400, params
        assert body["error"]["parameter"] == name


def test_pagination_total_and_next(api, licence_process):
    sales = api("sales")
    ids = [_start(sales, contract_no=f"HT-{n}")["id"] for n in range(5)]
    seen, url, pages = [], "/api/v1/instances?limit=2&process=licence_wait", 0
    while url:
        response = sales.get(url)
        body = response.get_json()
        assert body["total"] == 5 and len(body["instances"]) <= 2
        seen += [i["id"] for i in body["instances"]]
        url = body["next"]
        if url:
            parts = urlsplit(url)
            assert "process=licence_wait" in parts.query
            url = parts.path + "?" + parts.query
        pages += 1
    assert pages == 3 and seen == sorted(ids, reverse=True)

    status, body = _get(sales, "/api/v1/tasks", limit=2)
    assert body["total"] == 5 and len(body["tasks"]) == 2 and "cursor=" in body["next"]  # keyset: the position
    parts = urlsplit(body["next"])
    second = sales.get(parts.path + "?" + parts.query).get_json()
    assert len(second["tasks"]) == 2 and second["total"] == 5
    assert not {t["id"] for t in second["tasks"]} & {t["id"] for t in body["tasks"]}
    status, body = _get(sales, "/api/v1/tasks", limit=2, offset=4)
    assert len(body["tasks"]) == 1 and body["next"] is None


def test_tasks_of_one_case_with_case_deadlines(api, licence_process):
    sales = api("sales")
    a = _start(sales, contract_no="HT-A")
    _start(sales, contract_no="HT-B")
    status, body = _get(sales, "/api/v1/tasks", instance_id=a["id"])
    assert status == 200 and body["total"] == 1
    [task] = body["tasks"]
    assert task["instance_id"] == a["id"] and task["case_deadlines"] == []
    assert sales.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    status, body = _get(sales, "/api/v1/tasks", instance_id=a["id"])
    assert [t["state"] for t in body["tasks"]] == ["completed"]  # finished tasks of the case too
    assert _get(sales, "/api/v1/tasks", instance_id=a["id"], state="ready")[1]["total"] == 0
    # someone who may not see the case
    status, body = _get(api("finance"), "/api/v1/tasks", instance_id=a["id"])
    assert status == 403


def test_case_deadlines_from_timers(api, published, db):
    """A case waiting on a timer lists it as a deadline, in the case item and beside each task."""
    from app.models import Timer
    sales = api("sales")
    started = sales.post("/api/v1/processes/loop_review/instances",
                         json={"data": {"case_no": "C-1", "amount": 1, "rounds": 0}}).get_json()
    from app import clock
    from datetime import timedelta
    with db.session() as session:
        session.add(Timer(task_id="t-deadline", instance_id=started["id"], element_id="draft", attached_to="draft",
                          kind="duration", due_at=clock.now() + timedelta(days=3), state="waiting"))
    [item] = _get(sales, "/api/v1/instances")[1]["instances"]
    [deadline] = item["deadlines"]
    assert deadline["label"] == "起草" and ISO_WITH_OFFSET.match(deadline["due_at"])
    [task] = _get(sales, "/api/v1/tasks")[1]["tasks"]
    assert task["case_deadlines"] == [deadline]


def test_visibility_and_children(api, licence_process, db):
    from app.models import ProcessInstance
    sales = api("sales")
    parent = _start(sales, contract_no="HT-P")
    child = _start(sales, contract_no="HT-C")
    with db.session() as session:
        session.get(ProcessInstance, child["id"]).parent_instance_id = parent["id"]
    case = sales.get(f"/api/v1/instances/{parent['id']}").get_json()
    assert [c["id"] for c in case["children"]] == [child["id"]]
    assert case["process_name"] == "测试等待许可证" and case["current_tasks"][0]["group"] == "sales"
    assert [i["id"] for i in _get(sales, "/api/v1/instances", parent=parent["id"])[1]["instances"]] == [child["id"]]
    assert _get(sales, "/api/v1/instances", parent=parent["id"])[1]["instances"][0]["parent_instance_id"] == parent["id"]
    # finance works on none of these cases; the auditor reads every case
    assert _get(api("finance"), "/api/v1/instances")[1]["total"] == 0
    assert _get(api("auditor"), "/api/v1/instances")[1]["total"] == 2


def test_every_timestamp_has_an_offset(api, licence_process):
    sales = api("sales")
    case = _start(sales, contract_no="HT-T")
    bodies = [case, sales.get(f"/api/v1/instances/{case['id']}").get_json(), _get(sales, "/api/v1/instances")[1],
              _get(sales, "/api/v1/tasks")[1], sales.get(f"/api/v1/instances/{case['id']}/events").get_json(),
              _get(sales, "/api/v1/processes")[1]]
    found = [(p, v) for body in bodies for p, v in _timestamps(body)]
    assert len(found) > 5
    assert [(p, v) for p, v in found if not ISO_WITH_OFFSET.match(v)] == []


def test_error_codes_and_language(api, licence_process, client, db):
    sales, quality = api("sales"), api("quality")
    _start(sales, contract_no="HT-E")
    [task] = _get(sales, "/api/v1/tasks")[1]["tasks"]
    refused = quality.post(f"/api/v1/tasks/{task['id']}/claim")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_member"
    assert "不是" in refused.get_json()["error"]["message"] or "成员" in refused.get_json()["error"]["message"]
    english = quality.client.post(f"/api/v1/tasks/{task['id']}/claim",
                                  headers={**quality.headers, "Accept-Language": "en"})
    assert english.get_json()["error"]["code"] == "not_member"
    assert "you are not a member" in english.get_json()["error"]["message"]
    with db.session() as session:  # the department by its name in each language, never its code
        group = session.scalar(select(Group).where(Group.code == task["group"]))
    assert group.name_zh in refused.get_json()["error"]["message"]
    assert group.name_en in english.get_json()["error"]["message"]
    assert f" {task['group']};" not in english.get_json()["error"]["message"]
    assert sales.post(f"/api/v1/tasks/{task['id']}/claim").status_code == 200
    sales_2 = api("sales_head")
    taken = sales_2.post(f"/api/v1/tasks/{task['id']}/claim")
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "already_claimed"
    bad = sales.client.get("/api/v1/instances", query_string={"colour": "x"},
                           headers={**sales.headers, "Accept-Language": "en-GB,en;q=0.8"})
    assert bad.get_json()["error"]["message"] == "Unknown query parameter: colour"


def test_the_users_language_when_no_header_says(api, licence_process, db):
    from app.models import User
    from sqlalchemy import select
    with db.session() as session:
        session.scalar(select(User).where(User.username == "quality")).locale = "en"
    sales, quality = api("sales"), api("quality")
    _start(sales, contract_no="HT-L")
    [task] = _get(sales, "/api/v1/tasks")[1]["tasks"]
    refused = quality.post(f"/api/v1/tasks/{task['id']}/claim").get_json()["error"]
    assert refused["code"] == "not_member" and "you are not a member" in refused["message"]
    chinese = quality.client.post(f"/api/v1/tasks/{task['id']}/claim",
                                  headers={**quality.headers, "Accept-Language": "zh-CN,zh;q=0.9"}).get_json()
    assert "you are not a member" not in chinese["error"]["message"]


def test_event_times_carry_their_offset(api, licence_process):
    sales = api("sales")
    case = _start(sales, "loop_review", case_no="C-EV", amount=1, rounds=0)  # its draft step has a due time
    events = sales.get(f"/api/v1/instances/{case['id']}/events").get_json()["events"]
    stamps = [(e["type"], k, v) for e in events for k, v in (e["data"] or {}).items() if k.endswith("_at") and v]
    assert ("task_ready", "due_at") in [(t, k) for t, k, _v in stamps]
    assert all(ISO_WITH_OFFSET.match(v) for _t, _k, v in stamps)
