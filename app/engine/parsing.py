"""Parse and check BPMN/DMN sources with SpiffWorkflow's spiff parser.

Input is a set of named sources; output is, per executable process, its serialized spec, the files it
depends on and a catalog of its human tasks — or the list of problems (file, element id, message).
"""
import ast
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.specs.mixins import ScriptTaskMixin, UserTaskMixin, ManualTaskMixin, NoneTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from . import budget
from .dmn_check import expression_problems as dmn_expression_problems
from .scripting import check_expression, check_script
from .specs import spec_to_dict
from .timer_checks import check_timer

MAX_SOURCE_BYTES = 5 * 1024 * 1024
# flow elements (tasks, events, gateways, flows, ...) in one upload: keeps one validation under a second
MAX_ELEMENTS = 3_000  # 12 times the largest diagram of processes/; one validation stays within about a second
_COUNTED = ("Task", "Event", "Gateway", "sequenceFlow", "subProcess", "callActivity", "transaction",
            "decision", "rule")
FORM_PROPERTY = "formJsonSchemaFilename"


@dataclass
class Problem:
    file: str
    element_id: str
    message: str

    def as_dict(self):
        return {"file": self.file, "element_id": self.element_id, "message": self.message}


@dataclass
class ParsedProcess:
    process_id: str
    name: str
    bpmn_files: set
    dmn_files: set
    spec: dict
    task_catalog: dict  # element id -> {title, lane, form, due, head_only, group_field, documentation, kind}
    start: dict  # {"form": ..., "properties": {...}}
    properties: dict = field(default_factory=dict)

    @property
    def forms(self) -> set:
        refs = {t["form"] for t in self.task_catalog.values() if t.get("form")}
        if self.start.get("form"):
            refs.add(self.start["form"])
        return refs


class _RecordingParser(SpiffBpmnParser):
    """Remembers which DMN decisions a process uses while its spec is built."""

    def __init__(self):
        super().__init__(validator=BpmnValidator())
        self.used_decisions = set()
        self.table_files = {}  # decision table id -> DMN file (also for specs built earlier and reused)

    def get_engine(self, decision_ref, node):
        self.used_decisions.add(decision_ref)
        engine = super().get_engine(decision_ref, node)
        self.table_files[engine.decision_table.id] = self.dmn_parsers[decision_ref].filename
        return engine

    def decision_files(self, specs) -> set:
        """DMN files of every business rule task in the given specs (called processes included)."""
        return {self.table_files[ts.dmnEngine.decision_table.id] for spec in specs
                for ts in spec.task_specs.values()
                if getattr(ts, "dmnEngine", None) is not None and ts.dmnEngine.decision_table.id in self.table_files}


def _element_count(root) -> int:
    return sum(1 for e in root.iter() if isinstance(e.tag, str) and e.tag.rsplit("}", 1)[-1].endswith(_COUNTED))


def check_xml_safety(name: str, data: bytes) -> list[Problem]:
    """Refuse oversized input, DTDs (external entities, entity-expansion bombs), non-XML and diagrams with
    more flow elements than one validation can check within its time."""
    if len(data) > MAX_SOURCE_BYTES:
        return [Problem(name, "", f"file is larger than {MAX_SOURCE_BYTES // 1024 // 1024} MB")]
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        if _element_count(root) > MAX_ELEMENTS:
            return [Problem(name, "", f"the file has more than {MAX_ELEMENTS:,} elements; split the process "
                                      "into called processes")]
    except DefusedXmlException as exc:
        return [Problem(name, "", f"refused: document type declarations and entities are not allowed ({exc.__class__.__name__})")]
    except SafeET.ParseError as exc:
        return [Problem(name, "", f"not well-formed XML: {exc}")]
    return []


TOO_LONG_CHAIN = ("the process has a chain of more elements than the engine can follow (about 450 in a row "
                  "without a wait); split it into called processes")


UNREADABLE = ("an element could not be read: it uses a construct the engine does not support, or refers to "
              "something the file does not define")


def _from_recursion(exc: BaseException) -> bool:
    """The parser ran out of stack (it follows a chain of elements recursively), possibly wrapped."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, RecursionError) or str(exc).startswith("RecursionError("):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _problem_from(exc: Exception, default_file: str) -> Problem:
    if _from_recursion(exc):
        return Problem(getattr(exc, "file_name", "") or default_file, "", TOO_LONG_CHAIN)
    file = getattr(exc, "file_name", "") or default_file
    element = getattr(exc, "id", "") or ""
    spec = getattr(exc, "task_spec", None)
    if not element and spec is not None:
        element = getattr(spec, "bpmn_id", None) or getattr(spec, "name", "")
    line = getattr(exc, "line_number", "")
    message = str(exc)
    if not isinstance(exc, SpiffWorkflowException):  # a parser bug's text (TypeError, KeyError ...) helps nobody
        message = UNREADABLE
    if line:
        message = f"{message} (line {line})"
    return Problem(file, element or "", message)


def parse_sources(bpmn: dict[str, bytes], dmn: dict[str, bytes]) -> tuple[list[ParsedProcess], list[Problem]]:
    problems: list[Problem] = []
    parser = _RecordingParser()
    for sources, add in ((dmn, parser.add_dmn_str), (bpmn, parser.add_bpmn_str)):  # tables first
        for name, data in sorted(sources.items()):
            bad = check_xml_safety(name, data)
            if bad:
                problems += bad
                continue
            try:
                add(data, filename=name)
            except Exception as exc:  # the parser raises many kinds; each becomes a readable problem
                problems.append(_problem_from(exc, name))
    problems += [Problem(*p) for p in dmn_expression_problems(dmn)]
    if problems:
        return [], problems

    processes = []
    executable = [pid for pid, pp in parser.process_parsers.items() if pp.node.get("isExecutable") == "true"]
    for pid in executable:
        pparser = parser.process_parsers[pid]
        parser.used_decisions = set()
        try:
            spec = parser.get_spec(pid)
            subs = parser.get_subprocess_specs(pid)
        except RecursionError:
            problems.append(Problem(pparser.filename, pid, TOO_LONG_CHAIN))
            continue
        except (SpiffWorkflowException, Exception) as exc:
            problems.append(_problem_from(exc, pparser.filename))
            continue
        dmn_files = {parser.dmn_parsers[d].filename for d in parser.used_decisions}
        dmn_files |= parser.decision_files([spec, *subs.values()])
        bpmn_files = {pparser.filename} | {parser.process_parsers[s].filename
                                          for s in subs if s in parser.process_parsers}
        catalog, start, spec_problems = _describe(spec, subs, pparser.filename)
        problems += spec_problems
        processes.append(ParsedProcess(
            process_id=pid, name=pparser.get_name() or pid, bpmn_files=bpmn_files, dmn_files=dmn_files,
            spec=spec_to_dict(spec, subs), task_catalog=catalog, start=start,
        ))
    if bpmn and not executable and not problems:
        problems.append(Problem(", ".join(sorted(bpmn)) or "-", "", "no executable process (isExecutable=\"true\") found"))
    return processes, problems


def _describe(spec, subs: dict, filename: str):
    """Catalog the human tasks and check scripts, conditions and timer expressions."""
    catalog, start, problems = {}, {}, []
    for process_spec in [spec, *subs.values()]:
        for ts in process_spec.task_specs.values():
            element = getattr(ts, "bpmn_id", None)
            if element is None:
                continue
            ext = getattr(ts, "extensions", {}) or {}
            props = ext.get("properties", {}) or {}
            for kind, script in (("script", getattr(ts, "script", None)) if isinstance(ts, ScriptTaskMixin) else (None, None),
                                 ("preScript", ext.get("preScript")), ("postScript", ext.get("postScript"))):
                if kind and script:
                    problems += [Problem(filename, element, f"{kind}: {m}") for m in check_script(script)]
            cardinality = getattr(ts, "cardinality", None)
            if cardinality:
                problems += [Problem(filename, element, m) for m in _cardinality_problems(cardinality)]
            for name in sorted(n for n in props if n.startswith("refuseWhen") and props[n]):  # refuseWhen, refuseWhen2...
                problems += [Problem(filename, element, f"{name}: {m}") for m in check_expression(props[name])]
            if isinstance(ts, (ExclusiveGateway, InclusiveGateway)):
                for cond, _target in getattr(ts, "cond_task_specs", []):
                    text = cond.args[0] if cond is not None and getattr(cond, "args", None) else None
                    if text:
                        problems += [Problem(filename, element, f"condition {text!r}: {m}") for m in check_expression(text)]
            if isinstance(ts, CatchingEvent) and isinstance(ts.event_definition, TimerEventDefinition):
                problems += [Problem(filename, element, f"timer expression: {m}")
                             for m in check_timer(ts.event_definition)]
            if isinstance(ts, (UserTaskMixin, ManualTaskMixin, NoneTaskMixin)):  # plain tasks: manual
                catalog[element] = {
                    "title": ts.bpmn_name or element,
                    "lane": ts.lane,
                    "form": props.get(FORM_PROPERTY),
                    "due": props.get("dueIn"),
                    "head_only": str(props.get("headOnly", "")).lower() == "true",
                    "group_field": (props.get("groupField") or "").strip() or None,  # case field naming the group
                    "documentation": ts.documentation or "",
                    "kind": "user" if isinstance(ts, UserTaskMixin) else "manual",
                    "process": process_spec.name,
                    "properties": props,
                }
            if isinstance(ts, StartEvent) and process_spec is spec and not start:
                start = {"element_id": element, "form": props.get(FORM_PROPERTY), "properties": props}
    return catalog, start, problems


def _cardinality_problems(expression: str) -> list[str]:
    """A multi-instance count: a valid expression; a literal count within MULTI_INSTANCE_LIMIT."""
    problems = check_expression(expression)
    if problems:
        return [f"loop cardinality: {m}" for m in problems]
    try:
        value = ast.literal_eval(expression.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return []  # computed from the case data: checked when the step runs
    if isinstance(value, int) and value > budget.cardinality_limit():
        return [f"loop cardinality {value:,} is over the limit of {budget.cardinality_limit():,} instances"]
    return []
