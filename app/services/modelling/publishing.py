"""Validate and publish diagrams with their DMN tables and forms as immutable process versions."""
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import clock
from ...engine.parsing import Problem, parse_sources
from ...i18n import _
from ...models import ProcessVersion
from ..audit import audit
from ...workcalendar import check_due_expression
from ..errors import PublishRefused
from ..organisation.targets import escalation_problems
from . import DOC_SUFFIX, foreign, group_fields, problem_text
from .forms import schema_problems
from .model_rules import rule_problems
from ..organisation.org import group_index, resolve_lane


@dataclass
class SourceSet:
    bpmn: dict[str, bytes]
    dmn: dict[str, bytes]
    forms: dict[str, bytes]
    # English labels: process id -> {element id: label}, from i18n/<process_id>.en.json beside the diagrams
    labels_en: dict[str, dict] = field(default_factory=dict)


def collect_paths(paths: list[Path], forms_dir: Path | None) -> SourceSet:
    """Files named or found in the given folders; forms from forms_dir plus any .json given."""
    sources = SourceSet({}, {}, {})
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    if forms_dir is not None and Path(forms_dir).is_dir():
        files += sorted(p for p in Path(forms_dir).glob("*.json"))
    for file in files:
        add_file(sources, file.name, file.read_bytes(), in_i18n=file.parent.name == "i18n")
    return sources


def add_file(sources: SourceSet, name: str, data: bytes, in_i18n: bool = False) -> bool:
    lower = name.lower()
    if in_i18n or lower.endswith(".en.json"):
        try:
            sources.labels_en[name[: -len(".en.json")]] = json.loads(data)
        except ValueError:
            sources.labels_en[name] = {}
        return True
    if lower.endswith(".bpmn") or lower.endswith(".bpmn20.xml"):
        sources.bpmn[name] = data
    elif lower.endswith(".dmn"):
        sources.dmn[name] = data
    elif lower.endswith(".json"):
        sources.forms[name] = data
    else:
        return False
    return True


def validate(session: Session | None, sources: SourceSet):
    """Every problem at once: what another tool's export needs fixed, parse errors, unknown lanes,
    missing/invalid forms, bad due expressions. Without a session (no database) lanes are checked against
    the organisation file and escalation targets are not checked."""
    problems, bpmn = foreign.errors_and_trial(sources.bpmn)  # the rest is checked as if fixed
    parsed, found = parse_sources(bpmn, sources.dmn)
    processes, problems = parsed, problems + found
    problems += rule_problems(bpmn, sources.dmn)
    lanes = group_index(session) if session is not None else foreign.offline_lane_index()
    for name, text in sources.forms.items():
        problems += [Problem(name, "", m) for m in schema_problems(name, text)]
    for proc in processes:
        bpmn_file = sorted(proc.bpmn_files)[0]
        for element, task in proc.task_catalog.items():
            if not task["lane"]:
                problems.append(Problem(bpmn_file, element, "user task is not in a lane: no department's inbox "
                                                            "would show it"))
            elif resolve_lane(lanes, task["lane"]) is None:
                problems.append(Problem(bpmn_file, element, f"lane {task['lane']!r} is not a known group"))
            if task["kind"] == "user" and not task["form"]:
                problems.append(Problem(bpmn_file, element, "user task has no form (formJsonSchemaFilename)"))
            if task["form"] and task["form"] not in sources.forms:
                problems.append(Problem(bpmn_file, element, f"form {task['form']} not found"))
            if msg := check_due_expression(task["due"]):
                problems.append(Problem(bpmn_file, element, msg))
        if session is not None:
            problems += [Problem(bpmn_file, element, msg) for element, msg in escalation_problems(session, proc.spec)]
        problems += [Problem(bpmn_file, element, msg) for element, msg
                     in group_fields.publish_problems(proc.task_catalog, proc.forms, sources.forms, lanes)]
        problems += _language_file_problems(proc, bpmn, sources.labels_en.get(proc.process_id) or {})
        start_form = proc.start.get("form")
        if start_form and start_form not in sources.forms:
            problems.append(Problem(bpmn_file, proc.start.get("element_id", ""), f"form {start_form} not found"))
    return processes, problem_text.localised(problems)


def _language_file_problems(proc, bpmn: dict[str, bytes], labels: dict) -> list[Problem]:
    """An element's documentation in a language file ("<element id>.documentation") names an element of
    the process's diagrams and is text."""
    keys = [key for key in labels if isinstance(key, str) and key.endswith(DOC_SUFFIX)]
    if not keys:
        return []
    ids = set()
    for name in proc.bpmn_files:
        try:
            ids |= {el.get("id") for el in ElementTree.fromstring(bpmn.get(name) or b"").iter() if el.get("id")}
        except ElementTree.ParseError:
            return []  # the parser has said what is wrong with the file
    where = f"i18n/{proc.process_id}.en.json"
    return [Problem(where, key[: -len(DOC_SUFFIX)],
                    f"documentation {key!r} names no element of the diagram" if key[: -len(DOC_SUFFIX)] not in ids
                    else f"documentation {key!r} is not text")
            for key in sorted(keys)
            if key[: -len(DOC_SUFFIX)] not in ids or not isinstance(labels[key], str)]


def _content_hash(files: dict[str, str]) -> str:
    canonical = json.dumps(sorted(files.items()), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()


def publish(session: Session, sources: SourceSet, actor: str | None, check_only: bool = False) -> list[dict]:
    """Publish every executable process in sources. Refuses everything if anything is invalid."""
    processes, problems = validate(session, sources)
    if problems:
        raise PublishRefused(_("The models are invalid; nothing was published."),
                             [p.as_dict() for p in problems])
    results = []
    for proc in processes:
        files = {}
        for name in sorted(proc.bpmn_files):
            files[name] = sources.bpmn[name].decode("utf-8")
        for name in sorted(proc.dmn_files):
            files[name] = sources.dmn[name].decode("utf-8")
        for name in sorted(proc.forms):
            files[name] = sources.forms[name].decode("utf-8")
        labels = {}
        for called in sorted({t.get("process") for t in proc.task_catalog.values()} - {proc.process_id, None}):
            labels.update(sources.labels_en.get(called, {}))  # labels of called processes' tasks
        labels.update(sources.labels_en.get(proc.process_id, {}))
        if labels:
            files[f"i18n/{proc.process_id}.en.json"] = json.dumps(labels, ensure_ascii=False, sort_keys=True, indent=1)
        digest = _content_hash(files)
        existing = session.scalar(select(ProcessVersion).where(
            ProcessVersion.process_id == proc.process_id, ProcessVersion.content_hash == digest))
        if existing is not None:
            results.append({"process_id": proc.process_id, "version": existing.version, "created": False})
            continue
        if check_only:
            results.append({"process_id": proc.process_id, "version": None, "created": False})
            continue
        latest = session.scalar(select(func.max(ProcessVersion.version))
                                .where(ProcessVersion.process_id == proc.process_id)) or 0
        version = ProcessVersion(
            process_id=proc.process_id, version=latest + 1, name=proc.name, content_hash=digest,
            sources=files, spec=proc.spec, task_catalog=proc.task_catalog,
            meta={"start": proc.start, "labels": {"en": labels}}, published_by=actor, published_at=clock.now())
        session.add(version)
        session.flush()
        audit.record(session, "version_published", actor=actor,
                     data={"process_id": proc.process_id, "version": version.version, "content_hash": digest})
        results.append({"process_id": proc.process_id, "version": version.version, "created": True})
    return results


def latest_version(session: Session, process_id: str) -> ProcessVersion | None:
    return session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                          .order_by(ProcessVersion.version.desc()).limit(1))


def list_processes(session: Session) -> list[dict]:
    rows = session.execute(select(ProcessVersion.process_id, ProcessVersion.version, ProcessVersion.name,
                                  ProcessVersion.published_at, ProcessVersion.published_by, ProcessVersion.meta)
                           .order_by(ProcessVersion.process_id, ProcessVersion.version)).all()
    out: dict[str, dict] = {}
    for row in rows:
        entry = out.setdefault(row.process_id, {"process_id": row.process_id, "versions": []})
        entry["name"] = row.name
        entry["latest_version"] = row.version
        entry["start_form"] = (row.meta or {}).get("start", {}).get("form")
        entry["versions"].append({"version": row.version, "published_at": clock.iso(row.published_at),
                                  "published_by": row.published_by})
    return list(out.values())
