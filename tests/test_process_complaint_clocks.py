"""Customer complaints: the 10/15-day customer commitment, working-day step limits on the official Chinese
calendar, complaint numbers, the linked complaint when the customer rejects the result, and publishing."""
import threading
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.models import AuditEvent, Escalation, ProcessVersion, Timer
from app.services.cases import numbering
from app.services.modelling import publishing
from app.services.errors import PublishRefused
from tests.complaint_helpers import COMPLAINT_SOURCES, INVESTIGATION, desk  # noqa: F401 (fixture)
from tests.process_helpers import FORMS, PROCESSES, product_sources

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC"}


def _events(desk, iid, kind):
    with desk.db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                             AuditEvent.event_type == kind)))


# received on 28 September (China date): the 10th / 15th day ends at 24:00 China time, 15:59:59 UTC
@pytest.mark.parametrize("origin, due", [("domestic", datetime(2025, 10, 8, 15, 59, 59)),
                                         ("overseas", datetime(2025, 10, 13, 15, 59, 59))])
def test_customer_commitment_escalates_to_the_vp_s1_art_10_3_4(desk, origin, due):
    """S1 art. 10(3)(4): domestic complaints are handled within 10 days of receipt, overseas within 15 — calendar
    days, so the National Day holiday does not extend them. A breach does not stop the handling: it is recorded
    and escalated to the VP in charge."""
    iid = desk.open(origin=origin, received_on="2025-09-28")
    assert desk.case(iid).case_data["commitment_due_at"].startswith(due.isoformat())
    assert desk.fire_at(due - timedelta(minutes=1)) == 0
    assert desk.open_names(iid) == {"quality_accept"}
    assert desk.fire_at(due + timedelta(minutes=1)) == 1
    assert desk.open_names(iid) == {"quality_accept", "vp_escalation"}
    [fired] = _events(desk, iid, "timer_fired")
    assert fired.element_id == "commitment_timer"
    with desk.db.session() as session:
        escalation = session.scalar(select(Escalation).where(Escalation.instance_id == iid))
        assert (escalation.reason, escalation.target_group) == ("timer", "vp")
    vp_task = desk.do("vp", iid, "vp_escalation", {"vp_followup": "今日内给客户答复"})
    [done] = [e for e in _events(desk, iid, "completed") if e.task_id == vp_task.id]
    assert done.data["changes"]["vp_followup"][1] == "今日内给客户答复"
    desk.accept(iid)
    assert desk.open_names(iid) == set(INVESTIGATION) and desk.case(iid).status == "running"


def test_commitment_timer_ends_with_the_case(desk):
    """S1 art. 10(3)(4): a complaint closed in time leaves no pending escalation."""
    iid = desk.open(received_on="2025-09-29")
    desk.to_approval(iid, upheld=False, responsibility="customer", remedy_type="none", amount=0)
    desk.explain(iid, via="phone")
    desk.close(iid)
    assert desk.case(iid).status == "completed"
    with desk.db.session() as session:
        assert session.scalar(select(Timer.state).where(Timer.instance_id == iid)) == "cancelled"
    [followup] = desk.children(iid)  # the follow-up calls' timer is the only one left to fire
    assert desk.fire_at(datetime(2025, 10, 30)) == 1 and "first_call" in desk.open_tasks(followup.id)
    assert desk.open_tasks(iid) == {} and desk.case(iid).status == "completed"


@pytest.mark.parametrize("created, due", [
    (datetime(2025, 9, 30, 2, 0), datetime(2025, 10, 9, 10, 0)),   # Tue before the holiday -> Thu 9 Oct 18:00
    (datetime(2025, 9, 27, 2, 0), datetime(2025, 9, 28, 10, 0))])  # Sat -> Sun 28 Sep, a make-up working day
def test_step_limits_use_working_days_bc_dir_059_4_7_2(desk, created, due):
    """BC-DIR-059 4.7.2: Quality has 1 working day, Production 2; working days follow the official Chinese
    calendar — the National Day holiday (1-8 Oct 2025) does not count, the make-up Sunday 28 Sep does.
    BC-DIR-059 4.7.1: the internal target is 6 days from Quality's acceptance."""
    clock.set_now(created)
    iid = desk.open()
    assert desk.open_tasks(iid)["quality_accept"].due_at == due
    desk.accept(iid)
    production_due = desk.open_tasks(iid)["prod_investigate"].due_at
    assert production_due == {datetime(2025, 10, 9, 10, 0): datetime(2025, 10, 10, 10, 0),
                              datetime(2025, 9, 28, 10, 0): datetime(2025, 9, 29, 10, 0)}[due]
    # six calendar days: to the end of the sixth day, China time (23:59:59 = 15:59:59 UTC)
    target = datetime.combine((created + timedelta(hours=8, days=6)).date(), datetime.min.time()) \
        + timedelta(hours=15, minutes=59, seconds=59)
    assert desk.case(iid).case_data["internal_due_at"].startswith(target.isoformat())


def test_complaint_numbers_per_month_bc_dir_059_4_5(desk):
    """BC-DIR-059 4.5 and 4.6.4: Quality numbers the complaint on acceptance as year-month-serial; the serial
    restarts each month (China time)."""
    first, second = desk.open(), desk.open()
    assert desk.case(first).business_key is None
    desk.accept(second)
    desk.accept(first)
    assert (desk.case(second).business_key, desk.case(first).business_key) == ("2025-09-0001", "2025-09-0002")
    assert desk.open_tasks(first)["prod_investigate"].business_key == "2025-09-0002"
    clock.set_now(datetime(2025, 9, 30, 16, 30))  # 1 October 00:30 in China
    third = desk.open()
    desk.accept(third)
    assert desk.case(third).business_key == "2025-10-0001"


def test_complaint_numbers_unique_under_concurrent_acceptance(desk):
    """BC-DIR-059 4.5: numbers stay unique and gap-free when Quality accepts several complaints at once."""
    cases = [desk.open() for _ in range(6)]
    errors = []

    def accept(iid):
        try:
            desk.accept(iid)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=accept, args=(iid,)) for iid in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(desk.case(iid).business_key for iid in cases) == [f"2025-09-{n:04d}" for n in range(1, 7)]


def test_numbering_service_keeps_kinds_and_periods_apart(db):
    """Contract and repair-case numbers use the same service: each kind and period has its own serial."""
    with db.session() as session:
        assert numbering.next_number(session, "contract", "2025") == "2025-0001"
        assert numbering.next_number(session, "contract", "2025") == "2025-0002"
        assert numbering.next_number(session, "repair", "2025", width=3) == "2025-001"
        assert numbering.next_number(session, "repair", "") == "0001"
        assert numbering.next_value(session, "contract", "2026") == 1


def test_customer_rejecting_the_result_opens_a_linked_complaint_bc_dir_059_4_6_8(desk):
    """BC-DIR-059 4.6.8: when the customer does not accept the result, a new complaint form is filed with the
    original attached; the new complaint is handled again from Quality's acceptance."""
    iid = desk.open()
    desk.to_approval(iid)
    desk.approve(iid, "approve_marketing", "marketing_head")
    desk.inform(iid, accepts=False, feedback="折让金额太低")
    assert desk.open_names(iid) == {"quality_close"}  # no remedy is carried out
    desk.close(iid)
    original = desk.case(iid)
    assert original.status == "completed"
    [child] = desk.children(iid)
    assert child.process_id == "complaint_handling" and child.status == "running"
    data = child.case_data
    assert data["original_complaint_no"] == "2025-09-0001" and data["customer"] == original.case_data["customer"]
    assert "折让金额太低" in data["grounds"]
    [linked] = _events(desk, iid, "linked_case_started")
    assert linked.data["instance_id"] == child.id
    desk.accept(child.id)
    assert desk.case(child.id).business_key == "2025-09-0002"


def test_english_labels_lanes_and_diagram_interchange(desk):
    """Every element has a Chinese name and an English label; every flow element is drawn; lanes do not overlap."""
    with desk.db.session() as session:
        version = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == "complaint_handling"))
        labels, catalog = version.meta["labels"]["en"], version.task_catalog
    root = ET.parse(PROCESSES / "complaint_handling.bpmn").getroot()
    named = {el.get("id") for el in root.iter() if el.get("name") and el.tag.startswith("{" + NS["bpmn"])}
    assert named - set(labels) == set()
    assert all(task["lane"] and task["documentation"] for task in catalog.values())
    assert catalog["approve_marketing"]["head_only"] and catalog["prod_investigate"]["due"] == "2WD"
    drawn = {el.get("bpmnElement") for el in root.iter() if el.tag.endswith(("BPMNShape", "BPMNEdge"))}
    undrawn = ("}definitions", "}collaboration", "}process", "}laneSet", "}timerEventDefinition", "}message",
               "}messageEventDefinition")  # definitions, not flow elements: BPMN DI draws none of them
    nodes = {el.get("id") for el in root.iter() if el.tag.startswith("{" + NS["bpmn"]) and el.get("id")
             and not el.tag.endswith(undrawn)}
    assert nodes - drawn == set()
    lanes = sorted((float(b.get("y")), float(b.get("y")) + float(b.get("height")))
                   for s in root.iter("{%s}BPMNShape" % NS["bpmndi"]) if s.get("bpmnElement").startswith("lane_")
                   for b in s.iter("{%s}Bounds" % NS["dc"]))
    assert all(upper[1] <= lower[0] for upper, lower in zip(lanes, lanes[1:]))


def test_publish_refuses_an_unsafe_refusal_rule(db):
    """A refuseWhen rule is checked like every diagram expression: an import is refused at publish time."""
    sources = product_sources(**COMPLAINT_SOURCES)
    text = sources.bpmn["complaint_handling.bpmn"].decode()
    sources.bpmn["complaint_handling.bpmn"] = text.replace(
        'credit_action == &quot;book&quot; and', '__import__(&quot;os&quot;) and').encode()
    with db.session() as session, pytest.raises(PublishRefused) as refused:
        publishing.publish(session, sources, "process_owner")
    assert any(p["element_id"] == "finance_credit" and "refuseWhen" in p["message"] for p in refused.value.problems)


def test_repository_processes_publish_with_the_cli(app):
    """`flask --app app publish` accepts the repository's processes/ with forms/ (every process at once)."""
    result = app.test_cli_runner().invoke(args=["publish", str(PROCESSES), "--forms", str(FORMS)])
    assert result.exit_code == 0, result.output
    assert "published complaint_handling version 1" in result.output
