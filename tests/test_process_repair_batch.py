"""Overseas repair: the batch repair review meeting of WI 5.4.6 and the coordination group of WI 5.2, worked
by the departments on SQLite and PostgreSQL, and what the case page shows of them."""
import re
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from app import clock
from app.services.errors import ValidationFailed
from app.services.operations import control
from process_helpers import product_sources, publish
from repair_helpers import DEFAULTS, REPAIR_SOURCES, T0, publish_repair
from web_helpers import open_task, page_session

BATCH_TABLE = Path(__file__).parents[1] / "processes" / "repair_batch_review.dmn"


@pytest.fixture
def desk(db):
    clock.set_now(T0)
    yield publish_repair(db)
    clock.set_now(None)


def _to_factory_repair(desk, received: int) -> int:
    """A company-fault case shipped back to the factory; the warehouse books in `received` units."""
    iid = desk.open_repair(quantity=received)
    desk.steps(iid, "first_reply", "triage", "assess_responsibility")
    desk.step(iid, "choose_repair_mode", repair_mode="return_to_factory", repair_quantity=received)
    desk.step(iid, "return_request", return_quantity=received)
    desk.step(iid, "warehouse_receipt", received_quantity=received)
    desk.step(iid, "repair_intake_check")
    return iid


def test_a_batch_goes_to_the_review_meeting_in_production(desk):
    """WI 5.4.6 (L440): a batch repair is reviewed by Quality, R&D and Production, convened by Production
    Engineering, before the repair; the table's threshold (10 units by default) makes it a batch."""
    iid = _to_factory_repair(desk, received=12)
    tasks = desk.open_tasks(iid)
    assert set(tasks) == {"batch_review_meeting"}
    assert tasks["batch_review_meeting"].group_code == "production"
    # the meeting's record: an attendee without a department is refused, and nothing changes
    attendees = [{"person": "production_head", "role": "chair"}]
    with pytest.raises(ValidationFailed):
        desk.step(iid, "batch_review_meeting", review_attendees=attendees)
    assert desk.open_names(iid) == {"batch_review_meeting"}
    desk.step(iid, "batch_review_meeting")
    data = desk.data(iid)
    assert data["batch_repair"] is True and data["review_departments"] == ["production", "quality", "tech_rd"]
    assert data["review_minutes"] == DEFAULTS["batch_review_meeting"]["review_minutes"]
    assert desk.open_names(iid) == {"repair_units"}
    # the meeting asked for ageing and the full-function test: both follow the repair
    desk.step(iid, "repair_units", repaired_quantity=12)
    assert desk.open_names(iid) == {"burn_in"}
    desk.step(iid, "burn_in")
    assert desk.open_names(iid) == {"full_function_test"}


def test_the_review_may_waive_ageing_and_the_full_function_test(desk):
    """WI 5.4.6 (L440): whether a batch needs ageing and the full-function test is the meeting's decision."""
    iid = _to_factory_repair(desk, received=40)
    desk.step(iid, "batch_review_meeting", batch_tests_required=False, test_department="production",
              review_conclusion="同型号已批量验证，免老化")
    desk.step(iid, "repair_units", repaired_quantity=40)
    assert desk.open_names(iid) == {"sales_order_done"}
    assert desk.data(iid)["test_department"] == "production"


def test_occasional_returns_skip_the_meeting_and_every_unit_is_aged(desk):
    """WI 5.4.6 (L439): below the threshold there is no meeting; every repaired unit is aged and tested."""
    iid = _to_factory_repair(desk, received=9)
    assert desk.open_names(iid) == {"repair_units"}
    assert desk.data(iid)["batch_repair"] is False
    desk.step(iid, "repair_units")
    assert desk.open_names(iid) == {"burn_in"}


def test_the_threshold_is_the_process_owners_table(desk, db):
    """[decision] The batch threshold lives in the decision table: a process owner who lowers it to 5 units
    publishes the table again and a 6-unit return goes to the meeting - no program change."""
    iid = _to_factory_repair(desk, received=6)
    assert desk.open_names(iid) == {"repair_units"}
    text = BATCH_TABLE.read_text(encoding="utf-8")
    assert text.count("&gt;= 10") == 1
    sources = product_sources(**REPAIR_SOURCES)
    sources.dmn["repair_batch_review.dmn"] = text.replace("&gt;= 10", "&gt;= 5").encode("utf-8")
    publish(db, sources)
    iid = _to_factory_repair(desk, received=6)
    assert desk.open_names(iid) == {"batch_review_meeting"}


def _without_group(**data) -> dict:
    form = {k: v for k, v in DEFAULTS["choose_repair_mode"].items() if not k.startswith("coordination_")}
    return {**form, **data}


def test_a_team_abroad_needs_its_coordination_group(desk):
    """WI 5.2 (L423): for a repair away from the factory the salesperson sets up the WeChat or QQ group with
    the travelling staff and the heads of Quality, Production, Admin & HR and R&D; the case keeps it as its
    participant list. Shipping back to the factory does not need one."""
    iid = desk.open_repair()
    desk.steps(iid, "first_reply", "triage", "assess_responsibility")
    with pytest.raises(ValidationFailed) as refused:
        desk.do("sales", iid, "choose_repair_mode", _without_group())
    assert {"coordination_group", "coordination_channel"} <= set(refused.value.field_errors)
    assert desk.open_names(iid) == {"choose_repair_mode"}
    with pytest.raises(ValidationFailed) as refused:
        desk.step(iid, "choose_repair_mode", coordination_group=[])
    assert "coordination_group" in refused.value.field_errors
    desk.step(iid, "choose_repair_mode")
    group = desk.data(iid)["coordination_group"]
    assert {m["department"] for m in group if m["role"] == "centre_head"} == {"quality", "production", "admin_hr",
                                                                             "tech_rd"}
    assert "request_sample" in desk.open_names(iid)

    factory = desk.open_repair()
    desk.steps(factory, "first_reply", "triage", "assess_responsibility")
    desk.do("sales", factory, "choose_repair_mode", _without_group(repair_mode="return_to_factory"))
    assert desk.open_names(factory) == {"return_request"}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_case_page_shows_group_and_meeting_by_names(desk, db, client):
    """The case page lists the coordination group and the review meeting under their headings, with people's
    display names and departments' names, never user names or codes."""
    onsite = desk.open_repair()
    desk.steps(onsite, "first_reply", "triage", "assess_responsibility", "choose_repair_mode")
    page = page_session(db, client, "sales").get(f"/cases/{onsite}")
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    section = text.split("维修协调小组", 1)[1].split("派员现场维修", 1)[0]
    assert "质量管理部负责人（质量管理部，中心领导）" in section
    assert "李工（生产部，维修组长）" in section and "微信群" in section
    for code in ("quality_head", "centre_head", "admin_hr", "tech_rd", "wechat", "{"):
        assert code not in section
    # the next task's case summary (Sales asks for the sample) names them the same way
    task = open_task(db, onsite, "request_sample")
    aside = _text(page_session(db, client, "sales").get(f"/tasks/{task.id}").get_data(as_text=True))
    aside = aside.split("维修协调小组", 1)[1]
    assert "质量管理部负责人（质量管理部，中心领导）" in aside and "quality_head" not in aside

    batch = _to_factory_repair(desk, received=12)
    desk.step(batch, "batch_review_meeting")
    text = _text(page_session(db, client, "production").get(f"/cases/{batch}").get_data(as_text=True))
    section = text.split("批量维修评审会", 1)[1]
    assert "生产部、质量管理部、技术研发部" in section
    assert "生产部负责人（生产部，主持）" in section and "质量管理部" in section
    for code in ("production_head", "chair", "tech_rd", '"person"'):
        assert code not in section



def _form(**fields) -> MultiDict:
    form = MultiDict({"action": "complete"})
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            form.add(name, item)
    return form


def _rows(name: str, *rows: tuple) -> dict:
    parts = ("person", "department", "role")
    return {f"{name}-{i}-{part}": value for i, row in enumerate(rows) for part, value in zip(parts, row)}


def test_the_group_and_the_meeting_are_entered_on_the_task_pages(desk, db, client):
    """On the task page the group and the attendees are a table - one row a person, department and role
    chosen by their names - and the meeting's departments are ticked by name; a row without its department
    is refused, named by its row, and the task stays open."""
    iid = desk.open_repair()
    desk.steps(iid, "first_reply", "triage", "assess_responsibility")
    sales = page_session(db, client, "sales")
    task = open_task(db, iid, "choose_repair_mode")
    html = sales.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="coordination_group-0-department"' in html and ">中心领导</option>" in html
    assert ">centre_head<" not in html and ">quality<" not in html
    mode = dict(repair_mode="on_site", repair_quantity="2", customer_requirements="两周内修复",
                assessment_participants="品质 王工, 生产 李工, 研发 赵工", mode_reason="需现场调试",
                coordination_channel="wechat")
    group = _rows("coordination_group", ("sales", "sales", "group_owner"), ("quality_head", "quality", "centre_head"),
                  ("李工", "", "team_leader"))
    refused = sales.post(f"/tasks/{task.id}", data=_form(**mode, **group))
    assert refused.status_code == 422
    assert "第 3 行" in _text(refused.get_data(as_text=True))
    assert desk.open_names(iid) == {"choose_repair_mode"}
    group["coordination_group-2-department"] = "production"
    assert sales.post(f"/tasks/{task.id}", data=_form(**mode, **group)).status_code == 302
    assert desk.data(iid)["coordination_group"] == [
        {"person": "sales", "department": "sales", "role": "group_owner"},
        {"person": "quality_head", "department": "quality", "role": "centre_head"},
        {"person": "李工", "department": "production", "role": "team_leader"}]

    batch = _to_factory_repair(desk, received=15)
    task = open_task(db, batch, "batch_review_meeting")
    production = page_session(db, client, "production")
    html = production.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert re.search(r'name="review_departments" value="tech_rd"[^>]*> 技术研发部', html)
    meeting = _form(review_date="2026-03-10", review_departments=["production", "quality", "tech_rd"],
                    review_minutes="逐台老化", batch_tests_required="yes", test_department="quality",
                    **_rows("review_attendees", ("production_head", "production", "chair"),
                            ("quality_head", "quality", "member")))
    assert production.post(f"/tasks/{task.id}", data=meeting).status_code == 302
    data = desk.data(batch)
    assert data["review_departments"] == ["production", "quality", "tech_rd"] and data["batch_tests_required"] is True
    assert [a["person"] for a in data["review_attendees"]] == ["production_head", "quality_head"]


def test_a_case_that_never_met_the_batch_decision_is_aged_as_before(desk, db):
    """A case without the batch decision - started on the version before the meeting existed and migrated,
    or moved to the repair by an operator - reaches the ageing gateway without `batch_repair`: the
    condition reads it with field(..., default), so the case is aged and tested as before, not stopped."""
    iid = desk.open_repair(quantity=3)
    desk.steps(iid, "first_reply", "triage", "assess_responsibility")
    desk.step(iid, "choose_repair_mode", repair_mode="return_to_factory", repair_quantity=3)
    desk.step(iid, "return_request", return_quantity=3)
    assert desk.open_names(iid) == {"warehouse_receipt"}
    owner = desk.user("process_owner")
    control.move(db, owner, iid, "repair_units", reason="线下已收货，直接维修")
    assert "batch_repair" not in desk.data(iid)
    desk.step(iid, "repair_units", repaired_quantity=3)
    assert desk.open_names(iid) == {"burn_in"} and desk.case(iid).status != "error"


def test_field_reads_a_missing_field_as_its_default():
    from app.engine.scripting import RestrictedEnvironment
    env = RestrictedEnvironment()
    assert env.evaluate('field("batch_repair", False) == True', {}) is False
    assert env.evaluate('field("batch_repair", False) == True', {"batch_repair": True}) is True
    assert env.evaluate('field("note")', {"note": None}) is None and env.evaluate('field("n", 7)', {}) == 7
    data = {"a": 2}
    env.execute('b = field("a", 0) + field("c", 5)', data)
    assert data == {"a": 2, "b": 7}  # the function is gone from the case data after the script
