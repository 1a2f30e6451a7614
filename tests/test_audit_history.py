"""Issue 7: an auditor sees the complete history of a case - every step with who, when, the data entered
and what changed - and customer contact data stays masked for those whose groups do not work the case."""
from app.models import ProcessInstance
from app.services.audit import case_history, masking
from app.services.cases import instances, tasks

from audit_helpers import login, open_task, publish_audit_fixture, run_audit_case, run_basic_case, user


def _history(db, iid, username="auditor"):
    with db.session() as session:
        instance = session.get(ProcessInstance, iid)
        return case_history.case_view(session, user(db, username), instance)


def test_a_full_case_run_has_every_step_with_actor_and_data(db, published):
    iid = run_basic_case(db)
    events = _history(db, iid)["events"]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed"
    started = events[0]
    assert started["actor"] == "sales" and started["submitted"]["case_no"] == "C-1"
    done = [(e["actor"], e["element_id"], e["submitted"]) for e in events if e["type"] == "completed"]
    assert done == [("sales", "draft", {"text": "第一稿"}), ("quality", "review", {"approved": False, "opinion": "补充"}),
                    ("sales", "draft", {"text": "第二稿"}), ("quality", "review", {"approved": True})]
    reviews = [e for e in events if e["type"] == "completed" and e["element_id"] == "review"]
    assert ("approved", None, False) in reviews[0]["changes"]
    assert ("approved", False, True) in reviews[1]["changes"]
    redraft = [e for e in events if e["type"] == "completed" and e["element_id"] == "draft"][1]
    assert ("text", "第一稿", "第二稿") in redraft["changes"]
    assert [e["element_id"] for e in events if e["type"] == "task_ready"] == ["draft", "review", "draft", "review"]
    assert [e["actor"] for e in events if e["type"] == "claimed"] == ["sales"]
    assert all(e["at"] and e["hash"] for e in events)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_steps_show_who_did_them_and_time_spent(db, published):
    iid = run_basic_case(db)
    view = _history(db, iid)
    steps = [(s["element_id"], s["completed_by"], s["state"]) for s in view["steps"]]
    assert steps == [("draft", "sales", "completed"), ("review", "quality", "completed"),
                     ("draft", "sales", "completed"), ("review", "quality", "completed")]
    assert set(view["diagram"]["hours"]) == {"draft", "review"}
    assert view["diagram"]["current"] == [] and "review" in view["diagram"]["done"]


def test_case_history_page_lists_the_events(client, db, published):
    iid = run_basic_case(db)
    login(client, "auditor")
    page = client.get(f"/audit/cases/{iid}").get_data(as_text=True)
    for text in ("第一稿", "第二稿", "补充", "质量管理部员工", "业务部员工", "C-1"):
        assert text in page
    assert page.count('class="ev-completed"') == 4


def test_contact_fields_are_masked_for_other_departments(db, published, api):
    publish_audit_fixture(db)
    iid = run_audit_case(db, finish=False)  # the review now waits in quality
    assert api("finance").get(f"/api/v1/instances/{iid}").status_code == 403  # not its case at all
    for username in ("auditor", "process_owner"):
        data = api(username).get(f"/api/v1/instances/{iid}").get_json()["data"]
        assert data["contact_phone"] != "13812345678" and "******" in data["contact_phone"]
        assert data["email"] != "li@example.cn" and data["customer"] == "华东机械"
        events = api(username).get(f"/api/v1/instances/{iid}/events").get_json()["events"]
        assert "13812345678" not in str(events)
    for username in ("sales", "quality"):
        data = api(username).get(f"/api/v1/instances/{iid}").get_json()["data"]
        assert data["contact_phone"] == "13812345678" and data["email"] == "li@example.cn"


def test_a_department_sees_contacts_once_it_works_the_case(db, published, api):
    publish_audit_fixture(db)
    iid = instances.start_instance(db, "audit_review", {"case_no": "A-9", "contact_phone": "13812345678"}, "sales")
    quality = api("quality")
    assert quality.get(f"/api/v1/instances/{iid}").status_code == 403  # not yet its case
    tasks.complete(db, user(db, "sales"), open_task(db, iid).id, {"text": "草稿"})
    assert quality.get(f"/api/v1/instances/{iid}").get_json()["data"]["contact_phone"] == "13812345678"


def test_masked_in_the_auditor_history_and_exports(client, db, published):
    publish_audit_fixture(db)
    iid = run_audit_case(db)
    login(client, "auditor")
    page = client.get(f"/audit/cases/{iid}").get_data(as_text=True)
    csv_text = client.get(f"/audit/cases/{iid}/history.csv").data.decode("utf-8-sig")
    for text in (page, csv_text):
        assert "13812345678" not in text and "li@example.cn" not in text
    assert "华东机械" in page


def test_default_contact_fields_without_the_property():
    fields = masking.contact_fields(None)
    masked = masking.mask({"phone": "021-5555-1234", "address": "上海市浦东新区 1 号", "amount": 5,
                           "changes": {"email": ["a@b.cn", "c@d.cn"]}}, fields)
    assert masked["amount"] == 5
    assert "5555" not in masked["phone"] and "浦东" not in masked["address"]
    assert masked["changes"]["email"][0] != "a@b.cn" and masked["changes"]["email"][1] != "c@d.cn"
