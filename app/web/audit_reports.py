"""Auditor pages: the SLA dashboard, every process version with its diagram and files, and the
verification of the audit hash chain."""
from flask import Response, render_template, request
from sqlalchemy import func, select

from .. import get_db
from ..i18n import _
from ..models import Group, ProcessInstance, ProcessVersion
from ..services.audit import audit_chain, reports
from ..services.cases import cases
from ..services.errors import NotFound
from ..services.modelling.publishing import latest_version
from ..services.paging import PageRequest, paginate
from .audit import bp
from .common import locale


@bp.get("/dashboard")
def dashboard():
    with get_db().session() as session:
        processes = list(session.scalars(select(ProcessVersion.process_id).distinct()
                                         .order_by(ProcessVersion.process_id)))
        chosen = request.args.get("process") or (reports.COMPLAINT_PROCESS if reports.COMPLAINT_PROCESS in processes
                                                 else (processes[0] if processes else None))
        if chosen and chosen not in processes:
            raise NotFound(_("No published process %(pid)s", pid=chosen))
        data = reports.dashboard(session, chosen)
        version = latest_version(session, chosen) if chosen else None
        has_layout = bool(version) and cases.has_layout(cases.diagram_source(version))
        group_names = {g.code: (g.name_en if locale() == "en" else g.name_zh) for g in session.scalars(select(Group))}
    return render_template("audit/dashboard.html", data=data, processes=processes, chosen=chosen,
                           version=version, has_layout=has_layout, group_names=group_names)


@bp.get("/versions")
def versions():
    with get_db().session() as session:
        counts = dict(session.execute(select(ProcessInstance.version_id, func.count())
                                      .group_by(ProcessInstance.version_id)).all())
        sorts = {"process": ProcessVersion.process_id, "published": ProcessVersion.published_at}
        req = PageRequest.from_args(request.args, sorts, default="process")
        rows = paginate(session, select(ProcessVersion).order_by(ProcessVersion.process_id,
                                                                 ProcessVersion.version.desc()),
                        req, sorts, tiebreak=ProcessVersion.id)
    return render_template("audit/versions.html", versions=rows, counts=counts)


def _version(version_id: int) -> ProcessVersion:
    with get_db().session() as session:
        version = session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound(_("No such process version."))
    return version


@bp.get("/versions/<int:version_id>")
def version(version_id):
    version = _version(version_id)
    with get_db().session() as session:
        heat = reports.waiting_by_element(session, version.process_id)
    return render_template("audit/version.html", version=version, heat=heat,
                           has_layout=cases.has_layout(cases.diagram_source(version)))


@bp.get("/versions/<int:version_id>/diagram.bpmn")
def version_diagram(version_id):
    source = cases.diagram_source(_version(version_id))
    if source is None:
        raise NotFound(_("This process has no diagram."))
    return Response(source, mimetype="application/xml")


@bp.get("/versions/<int:version_id>/files/<path:name>")
def version_file(version_id, name):
    sources = _version(version_id).sources or {}
    if name not in sources:
        raise NotFound(_("This version has no file %(name)s.", name=name))
    return Response(sources[name], mimetype="text/plain; charset=utf-8")


@bp.get("/verify")
def verify():
    with get_db().session() as session:
        result = audit_chain.verify(session)
    return render_template("audit/verify.html", result=result)
