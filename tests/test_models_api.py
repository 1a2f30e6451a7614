"""The model API: validate and publish uploads (foreign and hostile ones too), versions, files, diff,
drafts and migrations, with role restrictions."""
import io

import pytest

from conftest import FIXTURES

FOREIGN = FIXTURES / "foreign"
COMP = FIXTURES / "console" / "compensation"


def _upload(api, url, files: dict, **form):
    data = {"files": [(io.BytesIO(content), name) for name, content in files.items()], **form}
    return api.client.post(url, headers=api.headers, data=data, content_type="multipart/form-data")


def _dir(path):
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_validate_lists_every_problem_with_file_and_element(api):
    owner = api("process_owner")
    files = _dir(COMP)
    files["complaint_comp.bpmn"] = files["complaint_comp.bpmn"].replace(b'name="gm_office"', b'name="nobody"')
    files["comp_note.schema.json"] = b'{"type": 12}'
    del files["comp_start.schema.json"]
    body = _upload(owner, "/api/v1/models/validate", files).get_json()
    assert body["valid"] is False
    found = {(p["file"], p["element_id"]) for p in body["problems"]}
    assert ("complaint_comp.bpmn", "approve") in found  # unknown lane
    assert ("comp_note.schema.json", "") in found  # invalid JSON Schema
    assert ("complaint_comp.bpmn", "start") in found  # start form missing
    assert all(p["message"] for p in body["problems"])


def test_validate_accepts_a_good_set_and_completes_from_the_published_version(api):
    owner = api("process_owner")
    body = _upload(owner, "/api/v1/models/validate", _dir(COMP)).get_json()
    assert body["valid"] is True and body["problems"] == []
    assert _upload(owner, "/api/v1/models", _dir(COMP)).status_code == 201
    dmn = (COMP / "complaint_comp.dmn").read_bytes().replace(b"&gt; 5000", b"&gt; 6000")
    body = _upload(owner, "/api/v1/models/validate", {"complaint_comp.dmn": dmn}, process_id="complaint_comp").get_json()
    assert [(p["file"], p["element_id"]) for p in body["problems"]] == [("complaint_comp.dmn", "complaint_authority")]
    assert "(5000, 6000]" in body["problems"][0]["message"]


def test_publishing_needs_the_process_owner_role(api):
    for user in ("sales", "auditor", "admin"):
        response = _upload(api(user), "/api/v1/models", _dir(COMP))
        assert response.status_code == 403, user
    owner = api("process_owner")
    assert owner.get("/api/v1/models").get_json()["processes"] == []
    response = _upload(owner, "/api/v1/models", _dir(COMP))
    assert response.status_code == 201
    assert response.get_json()["published"] == [{"process_id": "complaint_comp", "version": 1, "created": True}]
    assert _upload(owner, "/api/v1/models", _dir(COMP)).status_code == 200  # unchanged: no new version
    for url in ("/api/v1/models", "/api/v1/models/complaint_comp/diff?from=1&to=1",
                "/api/v1/models/complaint_comp/versions/1/files/complaint_comp.dmn"):
        assert api("sales").get(url).status_code == 403


def test_invalid_models_are_refused_and_nothing_is_published(api):
    owner = api("process_owner")
    files = _dir(COMP)
    files["complaint_comp.dmn"] = files["complaint_comp.dmn"].replace(b"&gt; 5000", b"&gt;= 5000")
    response = _upload(owner, "/api/v1/models", files)
    assert response.status_code == 422
    assert response.get_json()["error"]["problems"][0]["element_id"] == "complaint_authority"
    assert owner.get("/api/v1/models").get_json()["processes"] == []


def test_versions_files_and_diff(api):
    owner = api("process_owner")
    _upload(owner, "/api/v1/models", _dir(COMP))
    files = _dir(COMP)
    files["complaint_comp.bpmn"] = files["complaint_comp.bpmn"].replace('name="审批"'.encode(), 'name="总经理审批"'.encode())
    _upload(owner, "/api/v1/models", files)
    listing = owner.get("/api/v1/models").get_json()["processes"]
    assert [(p["process_id"], [(v["version"], v["published_by"], v["running"]) for v in p["versions"]])
            for p in listing] == [("complaint_comp", [(2, "process_owner", 0), (1, "process_owner", 0)])]
    response = owner.get("/api/v1/models/complaint_comp/versions/1/files/complaint_comp.bpmn")
    assert response.status_code == 200 and 'name="审批"' in response.get_data(as_text=True)
    assert "attachment" in response.headers["Content-Disposition"]
    assert owner.get("/api/v1/models/complaint_comp/versions/9/files/complaint_comp.bpmn").status_code == 404
    diff = owner.get("/api/v1/models/complaint_comp/diff?from=1&to=2").get_json()
    assert [(e["id"], e["name"]) for e in diff["elements"]["changed"]] == [("approve", "总经理审批")]
    assert owner.get("/api/v1/models/complaint_comp/diff?from=x").status_code == 400


def test_drafts_validate_publish_and_migrate_through_the_api(api):
    owner = api("process_owner")
    _upload(owner, "/api/v1/models", _dir(COMP))
    sales = api("sales")
    started = sales.post("/api/v1/processes/complaint_comp/instances", {"data": {"case_no": "K1", "amount": 1500}})
    iid = started.get_json()["id"]
    dmn = (COMP / "complaint_comp.dmn").read_text(encoding="utf-8").replace("&gt; 5000", "&gt; 6000")
    url = "/api/v1/models/complaint_comp/drafts/complaint_comp.dmn"
    assert owner.client.put(url, headers=owner.headers, json={"content": dmn}).status_code == 200
    assert owner.client.put("/api/v1/models/complaint_comp/drafts/evil.sh", headers=owner.headers,
                            json={"content": "x"}).status_code == 400
    drafts = owner.get("/api/v1/models/complaint_comp/drafts").get_json()
    assert [d["file"] for d in drafts["drafts"]] == ["complaint_comp.dmn"] and "6000" in drafts["files"]["complaint_comp.dmn"]
    check = owner.post("/api/v1/models/complaint_comp/drafts/validate").get_json()
    assert check["valid"] is False and "(5000, 6000]" in check["problems"][0]["message"]
    assert owner.post("/api/v1/models/complaint_comp/drafts/publish").status_code == 422
    fixed = dmn.replace("1000 &lt; ? &lt;= 5000", "1000 &lt; ? &lt;= 6000")
    owner.client.put(url, headers=owner.headers, json={"content": fixed})
    published = owner.post("/api/v1/models/complaint_comp/drafts/publish")
    assert published.get_json()["published"][0]["version"] == 2
    plan = owner.post("/api/v1/models/complaint_comp/migrations/dry-run", {}).get_json()
    assert [(i["id"], i["version"], i["can_migrate"]) for i in plan["instances"]] == [(iid, 1, True)]
    assert sales.post("/api/v1/models/complaint_comp/migrations", {"instance_ids": [iid]}).status_code == 403
    assert owner.post("/api/v1/models/complaint_comp/migrations", {"instance_ids": "all"}).status_code == 400
    done = owner.post("/api/v1/models/complaint_comp/migrations", {"instance_ids": [iid, 99999]}).get_json()
    assert [(r["id"], r["migrated"]) for r in done["results"]] == [(iid, True), (99999, False)]
    assert sales.get(f"/api/v1/instances/{iid}").get_json()["version"] == 2


EXPECTED_FOREIGN = {  # file -> None (publishes) or the (element id, message fragment) of each expected problem
    "bpmnio_plain.bpmn": [("Task_choose", "not in a lane")],  # plain tasks are inbox tasks: they need a lane
    "camunda_invoice.bpmn": [("Flow_no", "Non-default exclusive outgoing sequence flow without condition"),
                             ("Timer_remind", "PT5M")],
    "signavio_order.bpmn": [("sid-order-process", 'isExecutable="true"')],
    "bizagi_complaint.bpmn": [("ds_register", "Complaint register"),
                              ("t_orphan", "Old step nobody removed")],
    "camunda_discount.dmn": [("discount", "Order total < 0"), ("discount", "Order total [100, 200)"),
                             ("discount", "Rule_medium, Rule_large")],
    "truncated_export.bpmn": [("", "not well-formed XML")],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_FOREIGN))
def test_foreign_diagrams_publish_or_are_refused_with_reasons(api, name):
    owner = api("process_owner")
    # the fragments above are the English texts (a Chinese request reads them in Chinese)
    response = owner.client.post("/api/v1/models", headers={**owner.headers, "Accept-Language": "en"},
                                 data={"files": [(io.BytesIO((FOREIGN / name).read_bytes()), name)]},
                                 content_type="multipart/form-data")
    expected = EXPECTED_FOREIGN[name]
    if expected is None:
        assert response.status_code == 201, response.get_json()
        assert owner.get("/api/v1/models").get_json()["processes"][0]["process_id"] == "pizza_order"
        return
    assert response.status_code == 422
    problems = response.get_json()["error"]["problems"]
    assert all(p["file"] == name for p in problems)
    for element_id, fragment in expected:
        assert any(p["element_id"] == element_id and fragment in p["message"] for p in problems), (fragment, problems)


XXE = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p" name="&x;"
isExecutable="true"/></bpmn:definitions>"""
LAUGHS = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol">' + b"".join(
    b'<!ENTITY %s "%s">' % (chr(98 + i).encode(), ("&%s;" % chr(97 + i)).encode() * 10) for i in range(9)) + b"]><l>&j;</l>"
HOSTILE = {
    "xxe.bpmn": XXE,
    "laughs.dmn": LAUGHS,
    "huge.bpmn": b"<a>" + b" " * (6 * 1024 * 1024) + b"</a>",
    "binary.bpmn": bytes(range(256)) * 4,
    "gbk.bpmn": '<?xml version="1.0" encoding="GBK"?><a>中文</a>'.encode("gbk"),
    "deep.json": b"[" * 100000 + b"]" * 100000,
    "empty.bpmn": b"",
    "notes.txt": b"hello",
    "../../etc/passwd.bpmn": b"<a/>",
    "form.json": b"\xff\xfe{",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_uploads_are_refused_safely(api, name):
    owner = api("process_owner")
    for url in ("/api/v1/models/validate", "/api/v1/models"):
        response = _upload(owner, url, {name: HOSTILE[name]})
        assert response.status_code in (200, 422), response.get_data()[:300]
        body = response.get_json()
        problems = body["problems"] if url.endswith("validate") else body["error"]["problems"]
        assert problems and all(p["message"] for p in problems)
    if name == "xxe.bpmn":
        assert "root:" not in str(problems)
    assert owner.get("/api/v1/models").get_json()["processes"] == []


def test_validate_never_fails_on_malformed_requests(api):
    owner = api("process_owner")
    response = owner.client.post("/api/v1/models/validate", headers=owner.headers, data=b"garbage",
                                 content_type="multipart/form-data; boundary=zzz")
    assert response.status_code == 200 and response.get_json()["valid"] is False
    response = owner.client.post("/api/v1/models/validate", headers=owner.headers, json={"files": 1})
    assert response.status_code == 200 and response.get_json()["valid"] is False
    assert api("sales").client.post("/api/v1/models/validate").status_code == 401


def test_validate_answers_every_mangled_variant_of_a_good_diagram(api):
    """Cut, flipped and spliced variants of a valid diagram: each gets a list of problems or passes, never a
    server error (a fixed seed keeps the variants the same on every run)."""
    import random
    owner = api("process_owner")
    rng = random.Random(20260601)
    good = (COMP / "complaint_comp.bpmn").read_bytes()
    dmn = (COMP / "complaint_comp.dmn").read_bytes()
    for round_no in range(40):
        data = bytearray(good)
        kind = round_no % 4
        if kind == 0:
            data = data[: rng.randrange(len(data))]
        elif kind == 1:
            for _ in range(5):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 2:
            start = rng.randrange(len(data))
            data[start:start] = dmn[rng.randrange(len(dmn)):][:200]
        else:
            start = rng.randrange(len(data))
            del data[start:start + rng.randrange(1, 400)]
        response = _upload(owner, "/api/v1/models/validate", {"complaint_comp.bpmn": bytes(data),
                                                             "complaint_comp.dmn": dmn})
        assert response.status_code == 200, (round_no, response.get_data()[:300])
        assert isinstance(response.get_json()["problems"], list)


def test_migration_requests_refuse_true_and_false_as_numbers(api, db):
    owner = api("process_owner")
    for body in ({"to_version": False}, {"instance_ids": [True]}):
        response = owner.post("/api/v1/models/loop_review/migrations/dry-run", json=body)
        assert response.status_code == 400, (body, response.get_json())
        assert response.get_json()["error"]["message"]
