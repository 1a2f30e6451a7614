"""Model files from uploads, drafts and published versions: checked and published as one set.

Used by the JSON API (uploads) and by the console (a process's working set: its latest version with the
owner's unpublished drafts on top). Checking never raises: every problem is returned as a list.
"""
import logging
import posixpath

from sqlalchemy.orm import Session

from ...engine.parsing import MAX_SOURCE_BYTES, Problem
from ...i18n import _
from ..errors import PublishRefused
from . import foreign
from .publishing import SourceSet, add_file, latest_version, publish, validate

log = logging.getLogger(__name__)
EXTENSIONS = (".bpmn", ".bpmn20.xml", ".dmn", ".json")


def allowed_name(name: str) -> bool:
    base = posixpath.basename(name or "")
    folder = posixpath.dirname(name or "")
    return bool(base) and folder in ("", "i18n") and not base.startswith(".") \
        and base.lower().endswith(EXTENSIONS) and "\\" not in name and len(name) <= 200


def build_sources(files: dict[str, bytes]) -> tuple[SourceSet, list[Problem]]:
    """A source set from named file contents; unsupported, oversized or non-UTF-8 files become problems."""
    sources, problems = SourceSet({}, {}, {}), []
    for name, data in files.items():
        if not allowed_name(name):
            problems.append(Problem(name or "-", "", _("Only .bpmn, .dmn and .json files can be uploaded.")))
            continue
        if len(data) > MAX_SOURCE_BYTES:
            problems.append(Problem(name, "", _("The file is larger than %(mb)s MB.", mb=MAX_SOURCE_BYTES // 2**20)))
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(name, "", _("The file is not UTF-8 encoded; save it as UTF-8 and upload it again.")))
            continue
        folder, base = posixpath.split(name)
        add_file(sources, base, data, in_i18n=folder == "i18n")
    return sources, problems


def complete_from_version(session: Session, files: dict[str, bytes], process_id: str | None) -> dict[str, bytes]:
    """The files of the process's latest published version, replaced by the given ones of the same name."""
    if not process_id:
        return files
    version = latest_version(session, process_id)
    if version is None:
        return files
    merged = {name: text.encode("utf-8") for name, text in version.sources.items()}
    merged.update(files)
    return merged


def check(session: Session | None, files: dict[str, bytes], fixes=()) -> list[dict]:
    """Every problem of the set (file, element id, message; "fix" when a console fix removes it) after the
    chosen fixes (foreign.FIXES) are applied; an empty list means it would publish."""
    files = foreign.apply(files, fixes)
    sources, problems = build_sources(files)
    if not files:
        return [Problem("-", "", _("No files were given.")).as_dict()]
    try:
        _processes, found = validate(session, sources)
    except Exception:  # a checker failing on strange input must still give an answer, not a crash
        log.exception("model check failed")
        found = [Problem(", ".join(sorted(files))[:200], "", _("The files could not be checked; they look damaged."))]
    return [p.as_dict() for p in problems + found]


def warnings(files: dict[str, bytes], fixes=()) -> list[dict]:
    """What does not stop publishing but runs differently or is ignored (after the chosen fixes)."""
    return foreign.review(foreign.apply(files, fixes))[1]


def review(session: Session | None, files: dict[str, bytes], fixes=()) -> dict:
    """Problems, warnings and the fixes offered for them: what the console and the API show."""
    problems = check(session, files, fixes)
    notes = warnings(files, fixes)
    return {"valid": not problems, "problems": problems, "warnings": notes,
            "fixes": foreign.offered(problems, notes)}


def publish_files(session: Session, files: dict[str, bytes], actor: str, fixes=()) -> list[dict]:
    """Publish the set with the chosen fixes applied; raises PublishRefused with every problem, publishing
    nothing, if any is found."""
    files = foreign.apply(files, fixes)
    sources, problems = build_sources(files)
    if problems or not files:
        raise PublishRefused(_("The models are invalid; nothing was published."),
                             [p.as_dict() for p in problems] or check(session, files))
    try:
        return publish(session, sources, actor)
    except PublishRefused:
        raise
    except Exception:  # see check(): strange input gets an answer, not a crash
        log.exception("publishing failed")
        problems = check(session, files)
        if not problems:
            raise
        raise PublishRefused(_("The models are invalid; nothing was published."), problems)
