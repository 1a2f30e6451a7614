"""Modelling rules beyond what the parser checks: structure (bpmnlint-style), timer values and DMN ranges.

Every finding becomes a problem (file, element id, message in the user's language) so the console can
list them all at once and highlight the element.
"""
from ...engine.bpmn_lint import lint_bpmn
from ...engine.dmn_check import check_dmn
from ...engine.parsing import Problem
from ...i18n import _

MESSAGES = {
    "start_event_required": lambda p: _("Process %(name)s has no start event.", **p),
    "end_event_required": lambda p: _("Process %(name)s has no end event.", **p),
    "flow_unknown_ref": lambda p: _("The sequence flow refers to %(ref)s, which is not an element of this process.", **p),
    "default_not_outgoing": lambda p: _("The default flow %(flow)s of %(name)s is not one of its outgoing flows.", **p),
    "default_flow_condition": lambda p: _("The default flow of %(name)s must not have a condition.", **p),
    "flow_without_condition": lambda p: _("This flow leaves gateway %(name)s without a condition and is not its default flow.", **p),
    "single_conditional_flow": lambda p: _("Gateway %(name)s has a single conditional outgoing flow and no default flow: the case stops when the condition is false.", **p),
    "unreachable": lambda p: _("%(name)s cannot be reached from a start event.", **p),
    "timer_empty": lambda p: _("Timer %(name)s has no expression.", **p),
    "timer_not_quoted": lambda p: _("Timer %(name)s: timer values are expressions here; write the ISO 8601 value %(expr)s in quotes.", **p),
    "timer_not_string": lambda p: _("Timer %(name)s must give an ISO 8601 text, not %(expr)s.", **p),
    "timer_invalid": lambda p: _("Timer %(name)s cannot be evaluated: %(expr)s is not a valid ISO 8601 value.", **p),
    "dmn_gap": lambda p: _("Decision %(decision)s: no rule matches %(input)s %(range)s.", **p),
    "dmn_overlap": lambda p: _("Decision %(decision)s: rules %(rules)s both match %(input)s %(range)s.", **p),
}


def rule_problems(bpmn: dict[str, bytes], dmn: dict[str, bytes]) -> list[Problem]:
    findings = lint_bpmn(bpmn) + check_dmn(dmn)
    return [Problem(f.file, f.element_id, MESSAGES[f.code](f.params)) for f in findings]
