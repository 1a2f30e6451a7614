"""Engine glue without a database: sandboxed scripts, the 1,000-level guard, incremental saves."""
import time

import pytest

from app.engine import runner, state
from app.engine.parsing import parse_sources
from app.engine.scripting import RestrictedEnvironment, ScriptRefused, check_script
from app.engine.specs import spec_from_dict
from conftest import FIXTURES


@pytest.fixture(scope="module")
def loop_bundle():
    data = (FIXTURES / "basic" / "loop_review.bpmn").read_bytes()
    processes, problems = parse_sources({"loop_review.bpmn": data}, {})
    assert problems == []
    return spec_from_dict("loop_review", processes[0].spec)


@pytest.mark.parametrize("script", [
    "import os", "from os import path", "x = ().__class__.__bases__", "open('/etc/passwd')",
    "__import__('os')", "eval('1+1')", "exec('x=1')", "getattr(len, '__self__')", "x = compile('1','f','eval')",
])
def test_scripts_cannot_escape_the_sandbox(script):
    env = RestrictedEnvironment()
    with pytest.raises((ScriptRefused, NameError, SyntaxError)):
        env.execute(script, {})


def test_refused_scripts_are_reported_at_publish_time():
    assert check_script("import os") == ["import is not allowed in diagram scripts"]
    assert "_" in check_script("y = x.__dict__")[0]
    assert check_script("total = sum(x * 2 for x in items)") == []


def test_sandboxed_scripts_compute_with_task_data():
    env = RestrictedEnvironment()
    data = {"items": [1, 2, 3], "d": {}}
    env.execute("total = sum(items)\nd['k'] = total * 2\nlate = deadline('P10D') > now_iso()", data)
    assert data["total"] == 6 and data["d"] == {"k": 12} and data["late"] is True
    assert "deadline" not in data and "__builtins__" not in data


def _run_loop(bundle, rounds, saves=None):
    live = runner.start(bundle, {"case_no": "X", "amount": 1, "rounds": 0})
    for i in range(rounds):
        for name, data in (("draft", {"text": "t"}), ("review", {"approved": False})):
            [task] = [t for t in runner.ready_human_tasks(live) if t["element_id"] == name]
            started = time.time()
            runner.complete(live, task["id"], data)
            if saves is not None:
                saves.append(len(state.collect_changes(live).upserts))
                state.mark_saved(live, started)
    return live


def test_without_compaction_a_deep_loop_is_refused_not_silently_completed(loop_bundle, monkeypatch):
    """SpiffWorkflow's TaskIterator stops at depth 1,000: the ready task vanishes and the workflow
    reports itself complete. The step must be refused with a clear error instead."""
    monkeypatch.setattr(runner, "compact", lambda live: 0)
    with pytest.raises(runner.EngineError) as refused:
        _run_loop(loop_bundle, 400)
    assert "too deep" in refused.value.message


def test_with_compaction_400_rounds_keep_a_shallow_tree(loop_bundle):
    saves = []
    live = _run_loop(loop_bundle, 400, saves)
    assert not runner.is_completed(live)
    assert [t["element_id"] for t in runner.ready_human_tasks(live)] == ["draft"]
    assert len(live.workflow.tasks) < 200
    # the rows written per save do not grow with the length of the history
    assert max(saves[-100:]) <= 1.5 * max(saves[5:55])
