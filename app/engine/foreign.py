"""Diagrams drawn in other modelling tools (Camunda Modeler, Signavio, Bizagi, Visio, Yaoqiang, ARIS, ...):
what in them stops or changes publishing, and the fixes that can be applied to the XML before it is parsed.

Findings are XML-level (before the engine parses anything): codes with the element to highlight, whether
they stop publishing ("error") or not ("warning"), and the fix that removes them, if any:

- not_executable (error, fix mark_executable): no process is marked isExecutable="true".
- vendor_element (error, fix drop_vendor): an element of another tool's namespace outside
  extensionElements, which the BPMN schema does not allow.
- vendor_extension (warning, fix drop_vendor): another tool's extension elements; the engine ignores them.
- data_store (error, fix drop_data_stores): data stores the engine cannot connect to anything.
- undefined_reference (error): an event refers to a message, signal, error or escalation the file does
  not define.
- message_start (warning): a process starts on a message: its cases start when another system posts that
  message (POST /api/v1/messages/{name}), not from the start list.
- form_less_user_task (error, fix manual_without_form): a user task without a form of this product (its
  form lives in the other tool); the fix makes it a manual task (done with one click in the inbox).
- unquoted_timer (error, fix quote_timers): a timer written as a bare ISO 8601 value, as other tools do;
  timer values are expressions here, so the fix puts the value in quotes.
- foreign_expression (error, fix convert_expressions when the result is a valid expression): a condition
  in another tool's expression language (JUEL/SpEL `${amount > 5000}`); the fix unwraps it and writes
  &&, ||, ! as and, or, not.
- plain_task (warning): a task without a type runs as a manual task in the inbox of its lane.
- no_layout (warning): no diagram interchange; the process runs but cannot be drawn.
"""
import ast
import re
from dataclasses import dataclass, field

from lxml import etree

from .bpmn_lint import ISO_LIKE

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
OWN_NAMESPACES = {BPMN_NS, "http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/20100524/DC",
                  "http://www.omg.org/spec/DD/20100524/DI", "http://www.w3.org/2001/XMLSchema-instance",
                  "http://spiffworkflow.org/bpmn/schema/1.0/core", "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
                  "https://www.omg.org/spec/DMN/20191111/MODEL/"}
FIXES = ("mark_executable", "drop_vendor", "drop_data_stores", "manual_without_form", "quote_timers",
         "convert_expressions")
WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)
JUEL_OPERATORS = ((re.compile(r"&&"), " and "), (re.compile(r"\|\|"), " or "), (re.compile(r"!(?!=)"), " not "),
                  (re.compile(r"\beq\b"), "=="), (re.compile(r"\bne\b"), "!="), (re.compile(r"\bnull\b"), "None"),
                  (re.compile(r"\btrue\b"), "True"), (re.compile(r"\bfalse\b"), "False"))
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
FORM_PROPERTY = "formJsonSchemaFilename"
TIMER_TAGS = ("timeDate", "timeDuration", "timeCycle")
REFERENCES = {"messageEventDefinition": ("messageRef", "message"), "signalEventDefinition": ("signalRef", "signal"),
              "errorEventDefinition": ("errorRef", "error"), "escalationEventDefinition": ("escalationRef", "escalation")}
DATA_STORE_TAGS = ("dataStore", "dataStoreReference")


@dataclass
class Finding:
    file: str
    element_id: str
    code: str
    severity: str  # "error" stops publishing, "warning" does not
    fix: str | None = None
    params: dict = field(default_factory=dict)


def _parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=False)


def _tree(data: bytes):
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError:
        return None  # the parser checks report malformed XML


def _ns(element) -> str:
    tag = element.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _local(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _bpmn(root, local: str):
    return root.iter(f"{{{BPMN_NS}}}{local}")


def _is_vendor(element) -> bool:
    ns = _ns(element)
    return isinstance(element.tag, str) and bool(ns) and ns not in OWN_NAMESPACES


def _in_extensions(element) -> bool:
    parent = element.getparent()
    while parent is not None:
        if _local(parent) == "extensionElements" and _ns(parent) == BPMN_NS:
            return True
        parent = parent.getparent()
    return False


def _owner_id(element) -> str:
    node = element
    while node is not None:
        if node.get("id") and _ns(node) == BPMN_NS:
            return node.get("id")
        node = node.getparent()
    return ""


def _runnable_processes(root) -> list:
    """Processes with flow content (a collaboration's black-box participants have none)."""
    return [p for p in _bpmn(root, "process")
            if any(_ns(c) == BPMN_NS and _local(c) not in ("laneSet", "documentation", "extensionElements")
                   for c in p)]


def findings(name: str, data: bytes) -> list[Finding]:
    """What another tool's export needs before it can run here (see the module doc)."""
    root = _tree(data)
    if root is None or _ns(root) != BPMN_NS or _local(root) != "definitions":
        return []
    out: list[Finding] = []
    processes = _runnable_processes(root)
    if processes and not any(p.get("isExecutable") == "true" for p in processes):
        out += [Finding(name, p.get("id", ""), "not_executable", "error", "mark_executable",
                        {"name": p.get("name") or p.get("id", "")}) for p in processes]
    outside, inside = {}, {}
    for element in root.iter():
        if not _is_vendor(element) or (element.getparent() is not None and _is_vendor(element.getparent())):
            continue
        (inside if _in_extensions(element) else outside).setdefault(_owner_id(element), set()).add(
            etree.QName(element).localname)
    out += [Finding(name, owner, "vendor_element", "error", "drop_vendor", {"elements": ", ".join(sorted(tags))})
            for owner, tags in sorted(outside.items())]
    if inside:
        tags = sorted({t for group in inside.values() for t in group})
        out.append(Finding(name, "", "vendor_extension", "warning", "drop_vendor",
                           {"elements": ", ".join(tags[:8]) + (" …" if len(tags) > 8 else ""), "count": len(inside)}))
    for tag in DATA_STORE_TAGS:
        out += [Finding(name, e.get("id", ""), "data_store", "error", "drop_data_stores",
                        {"name": e.get("name") or e.get("id", "")}) for e in _bpmn(root, tag)]
    defined = {kind: {e.get("id") for e in _bpmn(root, kind)} for _a, kind in REFERENCES.values()}
    for definition, (attribute, kind) in REFERENCES.items():
        for element in _bpmn(root, definition):
            ref = element.get(attribute)
            if ref and ref not in defined[kind]:
                event = element.getparent()
                out.append(Finding(name, event.get("id", ""), "undefined_reference", "error", None,
                                   {"name": event.get("name") or event.get("id", ""), "kind": kind, "ref": ref}))
    for task in _form_less_user_tasks(root):
        out.append(Finding(name, task.get("id", ""), "form_less_user_task", "error", "manual_without_form",
                           {"name": task.get("name") or task.get("id", "")}))
    for expression in _unquoted_timers(root):
        event = expression.getparent().getparent()
        out.append(Finding(name, event.get("id", ""), "unquoted_timer", "error", "quote_timers",
                           {"name": event.get("name") or event.get("id", ""), "value": expression.text.strip()}))
    for condition in _wrapped_conditions(root):
        flow = condition.getparent()
        converted = convert_expression(condition.text)
        out.append(Finding(name, flow.get("id", ""), "foreign_expression", "error",
                           "convert_expressions" if converted else None,
                           {"expression": condition.text.strip(), "converted": converted or ""}))
    for process in processes:
        for start in process.findall(f"{{{BPMN_NS}}}startEvent"):
            if start.find(f"{{{BPMN_NS}}}messageEventDefinition") is not None:
                out.append(Finding(name, start.get("id", ""), "message_start", "warning", None,
                                   {"name": start.get("name") or start.get("id", "")}))
        for task in process.iter(f"{{{BPMN_NS}}}task"):
            out.append(Finding(name, task.get("id", ""), "plain_task", "warning", None,
                               {"name": task.get("name") or task.get("id", "")}))
    if processes and next(root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram"), None) is None:
        out.append(Finding(name, "", "no_layout", "warning"))
    return out


TRIAL_ONLY = "drop_dangling_references"  # lets validation go on past an undefined reference; never published


def apply_fixes(data: bytes, fixes) -> bytes:
    """The file with the chosen fixes applied (unchanged bytes when none applies)."""
    fixes = set(fixes or ()) & {*FIXES, TRIAL_ONLY}
    root = _tree(data) if fixes else None
    if root is None or _ns(root) != BPMN_NS:
        return data
    changed = False
    if "mark_executable" in fixes:
        processes = _runnable_processes(root)
        if processes and not any(p.get("isExecutable") == "true" for p in processes):
            for process in processes:
                process.set("isExecutable", "true")
            changed = True
    if "drop_vendor" in fixes:
        vendor = [e for e in root.iter() if _is_vendor(e)]
        for element in vendor:
            parent = element.getparent()
            if parent is not None and not _is_vendor(parent):
                parent.remove(element)
                changed = True
        for ext in list(_bpmn(root, "extensionElements")):
            if len(ext) == 0 and not (ext.text or "").strip():
                ext.getparent().remove(ext)
    if "drop_data_stores" in fixes:
        changed |= _drop_data_stores(root)
    if "manual_without_form" in fixes:
        for task in _form_less_user_tasks(root):
            task.tag = f"{{{BPMN_NS}}}manualTask"
            changed = True
    if TRIAL_ONLY in fixes:
        defined = {kind: {e.get("id") for e in _bpmn(root, kind)} for _a, kind in REFERENCES.values()}
        for definition, (attribute, kind) in REFERENCES.items():
            for element in _bpmn(root, definition):
                if element.get(attribute) and element.get(attribute) not in defined[kind]:
                    del element.attrib[attribute]
                    changed = True
    if "convert_expressions" in fixes:
        for condition in _wrapped_conditions(root):
            converted = convert_expression(condition.text)
            if converted:
                condition.text = converted
                changed = True
    if "quote_timers" in fixes:
        for expression in _unquoted_timers(root):
            expression.text = '"%s"' % expression.text.strip()
            changed = True
    if not changed:
        return data
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _drop_data_stores(root) -> bool:
    stores = [e for tag in DATA_STORE_TAGS for e in _bpmn(root, tag)]
    if not stores:
        return False
    gone = {e.get("id") for e in stores}
    for association in [*_bpmn(root, "dataInputAssociation"), *_bpmn(root, "dataOutputAssociation")]:
        refs = {(r.text or "").strip() for r in association if _local(r) in ("sourceRef", "targetRef")}
        if refs & gone:
            gone.add(association.get("id"))
            association.getparent().remove(association)
    for element in stores:
        element.getparent().remove(element)
    for shape in list(root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape",
                                "{http://www.omg.org/spec/BPMN/20100524/DI}BPMNEdge")):
        if shape.get("bpmnElement") in gone:
            shape.getparent().remove(shape)
    return True


def _form_less_user_tasks(root) -> list:
    return [task for task in _bpmn(root, "userTask")
            if not any(p.get("name") == FORM_PROPERTY for p in task.iter(f"{{{SPIFF_NS}}}property"))]


def _unquoted_timers(root) -> list:
    return [e for tag in TIMER_TAGS for e in _bpmn(root, tag)
            if e.text and ISO_LIKE.match(e.text.strip()) and _local(e.getparent()) == "timerEventDefinition"]


def _wrapped_conditions(root) -> list:
    return [c for c in _bpmn(root, "conditionExpression") if c.text and WRAPPED.match(c.text)]


def convert_expression(text: str) -> str | None:
    """`${a > 1 && !b}` -> `a > 1 and not b`; None when the result is not a valid expression."""
    match = WRAPPED.match(text or "")
    if not match:
        return None
    body = match.group(1)
    for pattern, replacement in JUEL_OPERATORS:
        body = pattern.sub(replacement, body)
    body = " ".join(body.split())
    try:
        ast.parse(body, mode="eval")
    except SyntaxError:
        return None
    return body
