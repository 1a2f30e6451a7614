"""Diagrams from other modelling tools: what stops them from running here (errors), what runs differently
or is ignored (warnings), and the fixes the console offers before publishing (mark the process executable,
drop vendor-only elements, drop data stores). See app/engine/foreign.py for the findings themselves.

A plain `bpmn:task` (no type) runs as a manual task: it waits in the inbox of its lane until someone marks
it done, like a `bpmn:manualTask`.
"""
import json

from ...engine import foreign
from ...engine.parsing import Problem
from ...i18n import _
from ..organisation.org import GROUPS_FILE, lane_index

FIXES = foreign.FIXES
MESSAGES = {
    "not_executable": lambda p: _("Process %(name)s is not marked executable (isExecutable=\"true\"); "
                                  "the fix marks it so.", **p),
    "vendor_element": lambda p: _("Elements of another modelling tool (%(elements)s) stand outside "
                                  "extensionElements, which BPMN does not allow; the fix removes them.", **p),
    "vendor_extension": lambda p: _("Extension elements of other modelling tools (%(elements)s) on %(count)s "
                                    "elements are ignored here; the fix removes them.", **p),
    "data_store": lambda p: _("Data store %(name)s cannot be connected to anything here; the fix removes it "
                              "and its associations.", **p),
    "undefined_reference": lambda p: _("Event %(name)s refers to %(kind)s %(ref)s, which the file does not "
                                       "define.", **p),
    "message_start": lambda p: _("Start event %(name)s waits for a message: cases start when another system "
                                 "posts it (POST /api/v1/messages/…), not from the start list.", **p),
    "form_less_user_task": lambda p: _("User task %(name)s has no form of this product; the fix makes it a "
                                       "manual task that is marked done in the inbox.", **p),
    "unquoted_timer": lambda p: _("Timer %(name)s is written as %(value)s; timer values are expressions here, "
                                  "so the fix puts it in quotes.", **p),
    "foreign_expression": lambda p: (
        _("The condition %(expression)s is written in another tool's expression language; the fix writes it "
          "as %(converted)s.", **p) if p["converted"] else
        _("The condition %(expression)s is written in another tool's expression language; write it as an "
          "expression on the case data, e.g. amount > 5000.", **p)),
    "plain_task": lambda p: _("Task %(name)s has no type: it runs as a manual task in the inbox of its lane.",
                              **p),
    "no_layout": lambda p: _("The file has no diagram layout: the process runs, but cannot be drawn."),
}
FIX_LABELS = {
    "mark_executable": lambda: _("Mark the processes executable"),
    "drop_vendor": lambda: _("Remove other tools' extension elements"),
    "drop_data_stores": lambda: _("Remove data stores"),
    "manual_without_form": lambda: _("Make user tasks without a form manual tasks"),
    "quote_timers": lambda: _("Put timer values in quotes"),
    "convert_expressions": lambda: _("Rewrite conditions from other tools' expression language"),
}


def _as_dict(f: foreign.Finding) -> dict:
    out = Problem(f.file, f.element_id, MESSAGES[f.code](f.params)).as_dict()
    out["code"] = f.code
    if f.fix:
        out["fix"] = f.fix
    return out


def clean_fixes(fixes) -> list[str]:
    """The known fix names of a list or a comma-separated text; others are ignored."""
    if isinstance(fixes, str):
        fixes = fixes.split(",")
    return [f.strip() for f in (fixes or []) if isinstance(f, str) and f.strip() in FIXES]


def apply(files: dict[str, bytes], fixes) -> dict[str, bytes]:
    """The BPMN files with the chosen fixes applied; other files unchanged."""
    fixes = clean_fixes(fixes)
    if not fixes:
        return files
    return {name: foreign.apply_fixes(data, fixes) if name.lower().endswith((".bpmn", ".xml")) else data
            for name, data in files.items()}


def review(files: dict[str, bytes]) -> tuple[list[dict], list[dict]]:
    """(errors, warnings) of the BPMN files as another tool exported them; each may name its fix."""
    errors, warnings = [], []
    for name, data in sorted(files.items()):
        if not name.lower().endswith((".bpmn", ".xml")):
            continue
        for finding in foreign.findings(name, data):
            (errors if finding.severity == "error" else warnings).append(_as_dict(finding))
    return errors, warnings


def offered(problems: list[dict], warnings: list[dict]) -> list[dict]:
    """The fixes that would remove some of the listed problems or warnings, with their labels."""
    names = {p["fix"] for p in [*problems, *warnings] if p.get("fix")}
    return [{"fix": name, "label": FIX_LABELS[name]()} for name in FIXES if name in names]


def offline_lane_index() -> dict[str, str]:
    """Every lane name the organisation file knows (code, names, aliases) -> group code: used when
    diagrams are checked without a database (a pipeline's `publish --check`)."""
    return lane_index((g["code"], g["name_zh"], g["name_en"], g.get("aliases"))
                      for g in json.loads(GROUPS_FILE.read_text(encoding="utf-8")))


class FixableProblem(Problem):
    """A problem that names its finding's code and the fix that removes it."""

    def __init__(self, file: str, element_id: str, message: str, code: str, fix: str | None):
        super().__init__(file, element_id, message)
        self.code, self.fix = code, fix

    def as_dict(self):
        return {**super().as_dict(), "code": self.code, **({"fix": self.fix} if self.fix else {})}


def errors_and_trial(bpmn: dict[str, bytes]) -> tuple[list[Problem], dict[str, bytes]]:
    """The findings that stop publishing, and the BPMN files with their fixes applied, so that the rest
    of the validation can report what else is wrong at the same time."""
    problems, fixes = [], set()
    for name, data in sorted(bpmn.items()):
        for f in foreign.findings(name, data):
            if f.severity == "error":
                problems.append(FixableProblem(f.file, f.element_id, MESSAGES[f.code](f.params), f.code, f.fix))
                if f.fix:
                    fixes.add(f.fix)
                elif f.code == "undefined_reference":
                    fixes.add(foreign.TRIAL_ONLY)
    trial = {name: foreign.apply_fixes(data, fixes) for name, data in bpmn.items()} if fixes else bpmn
    return problems, trial
