"""No case can hurt the others: every script, gateway condition, DMN expression, timer expression and
computed multi-instance count runs under the step's time and size budget. Going over fails the step
cleanly — the case shows as in error at the element, the stored case is exactly as before, the task row is
free again and other cases go on meanwhile. On SQLite and PostgreSQL."""
import threading
import time

import pytest
from sqlalchemy import select

from app.models import AuditEvent, HumanTask, ProcessInstance, WorkflowTask
from app.services.cases import instances, tasks
from app.services.errors import StepFailed
from app.services.modelling import publishing
from app.services.organisation import org
from bench import hostile

BUDGET = 0.5  # seconds per step in these tests (the product default is 1 s)
LONG_BUDGET = 2.5  # for watching other work go on while one step runs away
SLACK = 1.5   # time allowed beyond the budget for the rollback, the error flag and a slow shared machine

EXPECTED = {
    "endless_loop": "time budget", "caught_loop": "time budget", "exponential_recursion": "time budget",
    # a comprehension runs out of time or, on a fast machine, out of items first
    "nested_comprehension": "budget", "gateway_condition": "budget", "timer_expression": "budget",
    "dmn_input": "budget",
    "string_growth": "size budget", "huge_power": "size budget", "big_string": "size budget",
    "sum_range": "size budget", "case_data_growth": "size budget",
    "deep_recursion": "recursion", "set_value": "tags", "bytes_value": "raw", "range_value": "span",
    "computed_cardinality": "over the limit of 1,000",
}


@pytest.fixture
def hostile_db(db, monkeypatch):
    monkeypatch.setenv("STEP_TIME_BUDGET", str(BUDGET))
    sources = publishing.SourceSet({}, {}, {})
    for name, data in hostile.all_sources().items():
        publishing.add_file(sources, name, data)
    with db.session() as session:
        publishing.publish(session, sources, "process_owner")
    return db


def _user(db, name):
    with db.session() as session:
        return org.get_user(session, name)


def _enter_task(db, iid) -> str:
    with db.session() as session:
        return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid, HumanTask.task_name == "enter"))


def _stored(db, iid):
    with db.session() as session:
        inst = session.get(ProcessInstance, iid)
        rows = session.execute(select(WorkflowTask.task_id, WorkflowTask.state, WorkflowTask.payload)
                               .where(WorkflowTask.instance_id == iid).order_by(WorkflowTask.task_id)).all()
        return inst.lock_version, inst.state, inst.case_data, [tuple(r) for r in rows]


def test_each_hostile_step_fails_within_its_budget_and_leaves_the_case_as_it_was(hostile_db):
    db = hostile_db
    production = _user(db, "production")
    assert set(EXPECTED) == set(hostile.SCRIPTS) | set(hostile.OTHER)
    for name, expected in EXPECTED.items():
        iid = instances.start_instance(db, hostile.process_id(name), {}, "production")
        task_id = _enter_task(db, iid)
        tasks.claim(db, production, task_id)
        before = _stored(db, iid)
        began = time.monotonic()
        with pytest.raises(StepFailed) as failed:
            tasks.complete(db, production, task_id, hostile.enter_data(name))
        elapsed = time.monotonic() - began
        assert elapsed < BUDGET + SLACK, (name, elapsed)
        assert expected in failed.value.message.lower() if expected.islower() else expected in failed.value.message, \
            (name, failed.value.message)
        assert failed.value.details["element_id"] == "work", (name, failed.value.details)
        assert _stored(db, iid)[1:] == before[1:], name  # nothing half-saved (the error flag bumps the lock)
        with db.session() as session:
            inst = session.get(ProcessInstance, iid)
            assert inst.status == "error" and inst.error_element == "work", name
            assert expected.lower() in inst.error_message.lower(), (name, inst.error_message)
            task = session.get(HumanTask, task_id)
            assert task.state == "claimed" and task.completed_by is None, name
            assert session.scalars(select(AuditEvent.event_type).where(AuditEvent.instance_id == iid)).all()[-1] \
                == "error"
        # the task row is free again: its holder can hand it back at once
        began = time.monotonic()
        tasks.unclaim(db, production, task_id)
        assert time.monotonic() - began < 1.0, name


def test_a_runaway_step_does_not_hold_up_other_cases(hostile_db, monkeypatch):
    monkeypatch.setenv("STEP_TIME_BUDGET", str(LONG_BUDGET))
    db = hostile_db
    production = _user(db, "production")
    runaway = instances.start_instance(db, hostile.process_id("endless_loop"), {}, "production")
    other = instances.start_instance(db, hostile.process_id("set_value"), {}, "production")
    outcome = {}

    def attack():
        began = time.monotonic()
        try:
            tasks.complete(db, production, _enter_task(db, runaway), {})
        except StepFailed as exc:
            outcome["message"] = exc.message
        outcome["seconds"] = time.monotonic() - began

    thread = threading.Thread(target=attack)
    thread.start()
    time.sleep(0.1)
    began = time.monotonic()
    with db.session() as session:
        inbox = tasks.list_tasks(session, production)
    tasks.claim(db, production, _enter_task(db, other))
    tasks.unclaim(db, production, _enter_task(db, other))
    meanwhile = time.monotonic() - began
    thread.join(LONG_BUDGET + SLACK + 5)
    assert not thread.is_alive()
    assert "time budget" in outcome["message"] and outcome["seconds"] < LONG_BUDGET + SLACK
    assert {t["instance_id"] for t in inbox} >= {runaway, other}
    # the other case was served while the runaway step still ran (in the same process, sharing its CPU)
    assert meanwhile < LONG_BUDGET - 0.5, meanwhile


def test_an_ordinary_script_still_computes_and_the_case_goes_on(hostile_db):
    """A step that stays within the budget is unaffected (guards only refuse what would exceed it)."""
    from app.engine.scripting import RestrictedEnvironment
    data = {"items": [3, 4]}
    RestrictedEnvironment().execute(
        "total = sum(i * i for i in items)\nlabel = f'{total:>6}' + '-' * 3\n"
        "big = 2 ** 100\ntry:\n    1 / 0\nexcept:\n    caught = True\nwords = ','.join(str(i) for i in range(5))",
        data)
    assert data["total"] == 25 and data["label"] == "    25---" and data["big"] == 2 ** 100
    assert data["caught"] is True and data["words"] == "0,1,2,3,4"


def test_a_cycle_without_any_expression_stops_at_the_time_budget(monkeypatch):
    """Gateways that only pass the case on to each other: no script runs, the engine itself checks."""
    from app.engine import runner
    from app.engine.parsing import parse_sources
    from app.engine.specs import spec_from_dict
    monkeypatch.setenv("STEP_TIME_BUDGET", str(BUDGET))
    cycle = f"""<?xml version="1.0"?><bpmn:definitions {hostile._NS} id="d" targetNamespace="t">
      <bpmn:process id="cycle" isExecutable="true"><bpmn:startEvent id="start" />
      <bpmn:exclusiveGateway id="a" default="fa" /><bpmn:exclusiveGateway id="b" default="fb" />
      <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="a" />
      <bpmn:sequenceFlow id="fa" sourceRef="a" targetRef="b" /><bpmn:sequenceFlow id="fb" sourceRef="b" targetRef="a" />
      </bpmn:process></bpmn:definitions>""".encode()
    [process], problems = parse_sources({"cycle.bpmn": cycle}, {})
    began = time.monotonic()
    with pytest.raises(runner.EngineError, match="time budget") as failed:
        runner.start(spec_from_dict("cycle", process.spec), {})
    assert time.monotonic() - began < BUDGET + SLACK
    assert failed.value.element_id in ("a", "b")


def test_a_multi_instance_collection_over_the_limit_fails_before_any_instance_is_made():
    from app.engine import runner
    from app.engine.parsing import parse_sources
    from app.engine.specs import spec_from_dict
    each = f"""<?xml version="1.0"?><bpmn:definitions {hostile._NS} id="d" targetNamespace="t">
      <bpmn:process id="each" isExecutable="true"><bpmn:startEvent id="start" />
      <bpmn:scriptTask id="per_item"><bpmn:multiInstanceLoopCharacteristics isSequential="false">
      <bpmn:loopDataInputRef>items</bpmn:loopDataInputRef><bpmn:inputDataItem id="item" name="item" />
      </bpmn:multiInstanceLoopCharacteristics><bpmn:script>y = item</bpmn:script></bpmn:scriptTask>
      <bpmn:endEvent id="end" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="per_item" />
      <bpmn:sequenceFlow id="f1" sourceRef="per_item" targetRef="end" /></bpmn:process></bpmn:definitions>""".encode()
    [process], _problems = parse_sources({"each.bpmn": each}, {})
    bundle = spec_from_dict("each", process.spec)
    assert runner.is_completed(runner.start(bundle, {"items": list(range(200))}))
    began = time.monotonic()
    with pytest.raises(runner.EngineError, match="1,001 items, over the limit of 1,000") as failed:
        runner.start(bundle, {"items": list(range(1001))})
    assert failed.value.element_id == "per_item" and time.monotonic() - began < 0.5
