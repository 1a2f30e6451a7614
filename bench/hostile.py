"""Hostile diagrams and inputs: what one misbehaving case or client tries, to prove it hurts nobody else.

Each hostile process waits at a harmless user task `enter` (lane production) and runs its hostile part when
that task is completed, so the attack happens inside a step: a script, a gateway condition, a timer
expression, a DMN input expression or a computed multi-instance count. Shared by tests/test_budgets.py and
bench/dos.py.
"""
from xml.sax.saxutils import escape

# script tasks: the time or size budget stops them; values JSON cannot store fail the step naming the field
SCRIPTS = {
    "endless_loop": "while True:\n    pass",
    "caught_loop": "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass",
    "string_growth": "s = 'ab'\nwhile True:\n    s = s + s",
    "huge_power": "x = 10 ** 10 ** 8",
    "deep_recursion": "def f(n):\n    return f(n + 1) + 1\nx = f(0)",
    "exponential_recursion": "def f(n):\n    return 1 if n == 0 else f(n - 1) + f(n - 1)\nx = f(90)",
    "big_string": "x = 'a' * 50_000_000",
    "sum_range": "x = str(sum(range(10 ** 9)))",
    "nested_comprehension": "x = len([1 for a in range(10 ** 6) for b in range(10 ** 6)])",
    "case_data_growth": "x = ['y' * 1000 for i in range(2000)]",
    "set_value": "tags = {1, 2, 3}",
    "bytes_value": "raw = b'abc'",
    "range_value": "span = range(10)",
}
SLOW = "len([1 for a in range(n) for b in range(n)])"  # n from the case data: 10**6 never ends in time
OTHER = ("gateway_condition", "timer_expression", "dmn_input", "computed_cardinality")
FORM = "hostile_enter.schema.json"
FORM_SCHEMA = ('{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", '
               '"properties": {"n": {"type": "integer", "title": "n"}}, "additionalProperties": true}')

_NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
       'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"')


def process_id(name: str) -> str:
    return f"hostile_{name}"


def _user_task(element_id: str) -> str:
    return (f'<bpmn:userTask id="{element_id}" name="{element_id}"><bpmn:extensionElements><spiffworkflow:properties>'
            f'<spiffworkflow:property name="formJsonSchemaFilename" value="{FORM}" />'
            f'</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')


def _diagram(pid: str, middle: str, chain: list[str], extra_flows: str = "") -> bytes:
    flows = "".join(f'<bpmn:sequenceFlow id="f{n}" sourceRef="{a}" targetRef="{b}" />'
                    for n, (a, b) in enumerate(zip(chain, chain[1:])))
    lane_nodes = "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for node in ("enter", "after"))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {_NS} id="defs_{pid}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{pid}" name="{pid}" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane_production" name="production">{lane_nodes}</bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />{_user_task("enter")}{middle}{_user_task("after")}
    <bpmn:endEvent id="end" />{flows}{extra_flows}
  </bpmn:process>
</bpmn:definitions>""".encode()


def script_diagram(name: str) -> bytes:
    script = f'<bpmn:scriptTask id="work" name="work"><bpmn:script>{escape(SCRIPTS[name])}</bpmn:script></bpmn:scriptTask>'
    return _diagram(process_id(name), script, ["start", "enter", "work", "after", "end"])


def other_diagram(name: str) -> bytes:
    pid = process_id(name)
    if name == "gateway_condition":
        middle = '<bpmn:exclusiveGateway id="work" default="f_else" />'
        extra = (f'<bpmn:sequenceFlow id="f_cond" sourceRef="work" targetRef="after">'
                 f'<bpmn:conditionExpression>{escape(SLOW)} &gt; 0</bpmn:conditionExpression></bpmn:sequenceFlow>'
                 '<bpmn:sequenceFlow id="f_else" sourceRef="work" targetRef="after" />')
        return _diagram(pid, middle, ["start", "enter", "work"], extra + _tail())
    if name == "timer_expression":
        middle = (f'<bpmn:intermediateCatchEvent id="work"><bpmn:timerEventDefinition><bpmn:timeDuration>'
                  f"'PT' + str({escape(SLOW)}) + 'S'</bpmn:timeDuration></bpmn:timerEventDefinition>"
                  '</bpmn:intermediateCatchEvent>')
    elif name == "dmn_input":
        middle = ('<bpmn:businessRuleTask id="work" name="work"><bpmn:extensionElements>'
                  '<spiffworkflow:calledDecisionId>hostile_decision</spiffworkflow:calledDecisionId>'
                  '</bpmn:extensionElements></bpmn:businessRuleTask>')
    elif name == "computed_cardinality":
        middle = ('<bpmn:scriptTask id="work" name="work"><bpmn:multiInstanceLoopCharacteristics>'
                  '<bpmn:loopCardinality>n</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>'
                  '<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>')
    else:
        raise KeyError(name)
    return _diagram(pid, middle, ["start", "enter", "work", "after", "end"])


def _tail() -> str:
    return '<bpmn:sequenceFlow id="f_after" sourceRef="after" targetRef="end" />'


DMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_hostile_decision" name="hostile"
    namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="hostile_decision" name="hostile">
    <decisionTable id="hostile_table" hitPolicy="FIRST">
      <input id="in0" label="slow"><inputExpression id="in0_expr" typeRef="number"><text>{escape(SLOW)}</text></inputExpression></input>
      <output id="out0" label="result" name="result" typeRef="string" />
      <rule id="r1"><inputEntry id="r1_i0"><text>&gt;= 0</text></inputEntry><outputEntry id="r1_o0"><text>"done"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="r2_i0"><text>&lt; 0</text></inputEntry><outputEntry id="r2_o0"><text>"none"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>""".encode()


def all_sources() -> dict[str, bytes]:
    """file name -> content: every hostile diagram, the decision table and the form."""
    files = {f"{process_id(n)}.bpmn": script_diagram(n) for n in SCRIPTS}
    files.update({f"{process_id(n)}.bpmn": other_diagram(n) for n in OTHER})
    files["hostile_decision.dmn"] = DMN
    files[FORM] = FORM_SCHEMA.encode()
    return files


def enter_data(name: str) -> dict:
    """What the hostile case's first task is completed with (n drives the computed attacks)."""
    return {"n": 100_000 if name == "computed_cardinality" else 10 ** 6}
