"""Structural checks of BPMN diagrams (bpmnlint-style rules) on the XML of executable processes.

Each finding names the file, the element to highlight, a rule code and the values its message needs;
the service layer turns codes into messages in the user's language.
"""
import ast
import re
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeET
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
NOT_FLOW_NODES = {"sequenceFlow", "laneSet", "dataObject", "dataObjectReference", "dataStoreReference",
                  "textAnnotation", "association", "extensionElements", "documentation", "ioSpecification",
                  "property", "group", "category", "dataInputAssociation", "dataOutputAssociation",
                  "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "incoming", "outgoing"}
CONDITIONAL_GATEWAYS = {"exclusiveGateway", "inclusiveGateway"}
ISO_LIKE = re.compile(r"^(R\d*/)?P[0-9YMWDTHS.,]+$|^\d{4}-\d{2}-\d{2}", re.IGNORECASE)


@dataclass
class Finding:
    file: str
    element_id: str
    code: str
    params: dict = field(default_factory=dict)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Container:
    """A process or sub-process: its flow nodes and sequence flows."""

    def __init__(self, element):
        self.element = element
        self.nodes = {}
        self.flows = {}
        for child in element:
            kind = _local(child.tag)
            cid = child.get("id")
            if not cid or kind in NOT_FLOW_NODES and kind != "sequenceFlow":
                continue
            if kind == "sequenceFlow":
                self.flows[cid] = child
            else:
                self.nodes[cid] = child
        # flows by source and by target: one lookup per node keeps the checks linear in the diagram's size
        self._out, self._in = {}, {}
        for flow in self.flows.values():
            self._out.setdefault(flow.get("sourceRef"), []).append(flow)
            self._in.setdefault(flow.get("targetRef"), []).append(flow)

    def outgoing(self, node_id):
        return list(self._out.get(node_id, ()))

    def incoming(self, node_id):
        return list(self._in.get(node_id, ()))


def _name(element) -> str:
    return element.get("name") or element.get("id") or ""


def lint_bpmn(files: dict[str, bytes]) -> list[Finding]:
    findings: list[Finding] = []
    for file_name, data in sorted(files.items()):
        try:
            root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except Exception:  # nosec B112 # unsafe or malformed input is reported by the parser checks
            continue
        for process in root.iter(BPMN + "process"):
            if process.get("isExecutable") != "true":
                continue
            findings += _lint_container(file_name, _Container(process), top=True)
    return findings


def _lint_container(file_name: str, box: _Container, top: bool) -> list[Finding]:
    out: list[Finding] = []
    el_id = box.element.get("id", "")
    starts = [n for n in box.nodes.values() if _local(n.tag) == "startEvent"]
    event_subs = [n for n in box.nodes.values() if _local(n.tag) in ("subProcess", "transaction")
                  and n.get("triggeredByEvent") == "true"]
    if not starts:
        out.append(Finding(file_name, el_id, "start_event_required", {"name": _name(box.element)}))
    if not any(_local(n.tag) == "endEvent" for n in box.nodes.values()) and starts:
        out.append(Finding(file_name, el_id, "end_event_required", {"name": _name(box.element)}))
    for flow_id, flow in box.flows.items():
        for side in ("sourceRef", "targetRef"):
            if flow.get(side) not in box.nodes:
                out.append(Finding(file_name, flow_id, "flow_unknown_ref", {"ref": flow.get(side) or "", "side": side}))
    out += _gateway_rules(file_name, box)
    out += _reachability(file_name, box, starts, event_subs)
    for node_id, node in box.nodes.items():
        out += _timer_rules(file_name, node_id, node)
        if _local(node.tag) in ("subProcess", "transaction", "adHocSubProcess"):
            out += _lint_container(file_name, _Container(node), top=False)
    return out


def _gateway_rules(file_name: str, box: _Container) -> list[Finding]:
    out = []
    for node_id, node in box.nodes.items():
        kind = _local(node.tag)
        outgoing = box.outgoing(node_id)
        default = node.get("default")
        if default and default not in {f.get("id") for f in outgoing}:
            out.append(Finding(file_name, node_id, "default_not_outgoing", {"name": _name(node), "flow": default}))
        for flow in outgoing:
            if flow.get("id") == default and flow.find(BPMN + "conditionExpression") is not None:
                out.append(Finding(file_name, flow.get("id"), "default_flow_condition", {"name": _name(node)}))
        if kind not in CONDITIONAL_GATEWAYS:
            continue
        conditional = [f for f in outgoing if f.find(BPMN + "conditionExpression") is not None]
        if len(outgoing) > 1 and kind == "inclusiveGateway":  # the parser checks exclusive gateways
            for flow in outgoing:
                if flow.get("id") != default and flow not in conditional:
                    out.append(Finding(file_name, flow.get("id"), "flow_without_condition", {"name": _name(node)}))
        elif len(outgoing) == 1 and conditional and not default:
            out.append(Finding(file_name, node_id, "single_conditional_flow", {"name": _name(node)}))
    return out


def _reachability(file_name: str, box: _Container, starts, event_subs) -> list[Finding]:
    if not starts:
        return []
    attached: dict[str, list[str]] = {}
    for node_id, node in box.nodes.items():
        if _local(node.tag) == "boundaryEvent" and node.get("attachedToRef"):
            attached.setdefault(node.get("attachedToRef"), []).append(node_id)
    seen = set()
    queue = [n.get("id") for n in starts] + [n.get("id") for n in event_subs]
    while queue:
        current = queue.pop()
        if current in seen:
            continue
        seen.add(current)
        queue += [f.get("targetRef") for f in box.outgoing(current) if f.get("targetRef") in box.nodes]
        queue += attached.get(current, [])
    return [Finding(file_name, node_id, "unreachable", {"name": _name(node)})
            for node_id, node in box.nodes.items() if node_id not in seen]


def _timer_rules(file_name: str, node_id: str, node) -> list[Finding]:
    out = []
    for definition in node.iter(BPMN + "timerEventDefinition"):
        for kind in ("timeDuration", "timeDate", "timeCycle"):
            expr_el = definition.find(BPMN + kind)
            if expr_el is None:
                continue
            text = (expr_el.text or "").strip()
            if not text:
                out.append(Finding(file_name, node_id, "timer_empty", {"name": _name(node)}))
                continue
            code = timer_literal_problem(kind, text)
            if code:
                out.append(Finding(file_name, node_id, code, {"name": _name(node), "expr": text}))
    return out


def timer_literal_problem(kind: str, text: str) -> str | None:
    """Evaluate a constant timer expression as the engine will: a problem code, or None when it works
    (or depends on the case data, which is only known when it runs)."""
    if ISO_LIKE.match(text):
        return "timer_not_quoted"
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(value, str):
        return "timer_not_string"
    try:
        if kind == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        elif kind == "timeDate":
            TimerEventDefinition.parse_time_or_duration(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # the engine's parsers raise plain exceptions
        return "timer_invalid"
    return None
