"""A case worked end to end through the JSON API: start, claim, validation, complete, events."""


def _start(sales, **data):
    body = {"case_no": "C-1", "amount": 5, "rounds": 0, "customer": "ACME"} | data
    response = sales.post("/api/v1/processes/loop_review/instances", json={"data": body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _only_task(user, **params):
    response = user.get("/api/v1/tasks", query_string=params)
    assert response.status_code == 200
    return response.get_json()["tasks"]


def test_start_and_complete_through_the_api(api, published):
    sales, quality = api("sales"), api("quality")
    instance = _start(sales)
    assert instance["status"] == "running" and instance["business_key"] == "C-1"
    [draft] = _only_task(sales)
    assert draft["task_name"] == "draft" and draft["group"] == "sales" and draft["customer"] == "ACME"
    assert draft["due_at"] is not None

    detail = sales.get(f"/api/v1/tasks/{draft['id']}").get_json()
    assert detail["form_schema"]["required"] == ["text"]

    assert sales.post(f"/api/v1/tasks/{draft['id']}/claim").get_json()["claimed_by"] == "sales"
    bad = sales.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"text": ""}})
    assert bad.status_code == 422
    assert "text" in bad.get_json()["error"]["field_errors"]
    ok = sales.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"text": "合同草稿"}})
    assert ok.status_code == 200 and ok.get_json()["state"] == "completed"

    # the review sits in the Chinese-named lane 质量管理部, which resolves to quality
    assert _only_task(sales) == []
    [review] = _only_task(quality)
    assert review["group"] == "quality"
    done = quality.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": {"approved": True}})
    assert done.status_code == 200

    case = sales.get(f"/api/v1/instances/{instance['id']}").get_json()
    assert case["status"] == "completed" and case["ended_at"]
    assert case["data"]["total"] == 10 and case["data"]["rounds"] == 1

    events = sales.get(f"/api/v1/instances/{instance['id']}/events").get_json()["events"]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed"
    completed = [e for e in events if e["type"] == "completed"]
    assert [(e["actor"], e["element_id"]) for e in completed] == [("sales", "draft"), ("quality", "review")]
    assert completed[0]["data"]["submitted"] == {"text": "合同草稿"}
    assert completed[1]["data"]["changes"]["approved"] == [None, True]
    assert kinds.count("task_ready") == 2 and kinds.count("claimed") == 1


def test_permissions_and_errors(api, published, client):
    sales, quality, auditor = api("sales"), api("quality"), api("auditor")
    _start(sales)
    [draft] = _only_task(sales)
    refused = quality.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"text": "x"}})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_member"
    assert auditor.post(f"/api/v1/tasks/{draft['id']}/claim").status_code == 403
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "sales", "password": "nope"}).status_code == 401
    bad_token = client.get("/api/v1/tasks", headers={"Authorization": "Bearer abc"})
    assert bad_token.status_code == 401 and bad_token.get_json()["error"]["message"]
    missing = sales.post("/api/v1/processes/nope/instances", json={"data": {}})
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    invalid_start = sales.post("/api/v1/processes/loop_review/instances", json={"data": {"case_no": "X", "amount": -1}})
    assert invalid_start.status_code == 422
    assert "amount" in invalid_start.get_json()["error"]["field_errors"]


def test_claimed_task_is_held(api, published, db):
    from app.services.organisation import org
    with db.session() as session:
        org.create_user(session, "sales2", "pw", groups=["sales"])
    sales, sales2 = api("sales"), api("sales2", "pw")
    _start(sales)
    [draft] = _only_task(sales)
    assert sales.post(f"/api/v1/tasks/{draft['id']}/claim").status_code == 200
    assert sales2.post(f"/api/v1/tasks/{draft['id']}/claim").status_code == 409
    assert sales2.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"text": "x"}}).status_code == 409
    # the claimed task leaves the department queue but stays in the holder's list
    assert _only_task(sales2) == []
    assert sales.post(f"/api/v1/tasks/{draft['id']}/unclaim").status_code == 200
    assert len(_only_task(sales2)) == 1


def test_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/tasks/{task_id}/complete", "/processes/{process_id}/instances", "/instances/{instance_id}/events"):
        assert path in spec["paths"]


def test_api_errors_are_json(api, client, published):
    sales = api("sales")
    unknown = client.get("/api/v1/no-such-thing")
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"
    wrong_method = client.delete("/api/v1/tasks")
    assert wrong_method.status_code == 405 and wrong_method.get_json()["error"]["message"]
    not_json = sales.client.post("/api/v1/processes/loop_review/instances", headers=sales.headers,
                                 data="{not json", content_type="application/json")
    assert not_json.status_code == 400 and not_json.get_json()["error"]["code"] == "bad_request"
    missing_task = sales.post("/api/v1/tasks/00000000-0000-0000-0000-000000000000/complete", json={"data": {}})
    assert missing_task.status_code == 404
