"""The monthly after-sales report (售后服务报告; seed 000 S17 「每月…收集、统计售后服务数据，并撰写售后服务报告」,
S16 「包括问题类型、解决时间、客户满意度等指标」, S2 L95 交付准时率): for one China month

- cases received, by process and problem type (complaint: cause classification; repair: service type;
  follow-up: service followed up);
- cases closed: resolution time in working days (official calendar) as median and 90th percentile, and the
  SLA met or breached (a complaint's customer commitment, or any task finished or still open past its due time);
- satisfaction by aspect (the score_* fields of the follow-up survey form);
- key customers with their cases;
- on-time delivery rate: orders delivered as required ÷ orders (export shipments against the contract's
  shipment deadline, and deliveries accepted with the follow-up's "delivered as required").
The GM office reviews and publishes it in the standing process after_sales_report."""
import math
import re
from datetime import date, datetime, timedelta
from statistics import median

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ... import clock, workcalendar
from ...i18n import _
from ...models import Customer, CustomerCase, HumanTask, ProcessInstance, ProcessVersion
from ..errors import ValidationFailed
from ..labels import Labels

SERVICE_PROCESSES = ("complaint_handling", "overseas_repair", "customer_followup")
PROBLEM_FIELDS = {"complaint_handling": "cause_category", "overseas_repair": "service_type",
                  "customer_followup": "service_type"}
SURVEY_PREFIX = "score_"
EXPORT_PROCESS = "export_licence"
REPORT_PROCESS = "after_sales_report"
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> tuple[datetime, datetime]:
    """(start, end) of a China month as naive UTC."""
    m = MONTH.match(str(text or ""))
    if not m:
        raise ValidationFailed(_("Enter a month as YYYY-MM."), {"month": _("Enter a month as YYYY-MM.")})
    first = date(int(m[1]), int(m[2]), 1)
    start = workcalendar.china_midnight(first)
    return start, workcalendar.month_start(start, 1)


def previous_month(now: datetime) -> str:
    local = now + workcalendar.CHINA_OFFSET
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def working_days(start: datetime, end: datetime) -> int:
    """Working days from the China date of start (not counted) to the China date of end (counted)."""
    first, last = workcalendar.china_today(start), workcalendar.china_today(end)
    count, day = 0, first + timedelta(days=1)
    while day <= last:
        count += workcalendar.is_working_day(day)
        day += timedelta(days=1)
    return count


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _breached(case: ProcessInstance, tasks: list[HumanTask], now: datetime) -> bool:
    if (case.case_data or {}).get("commitment_breached"):
        return True
    for task in tasks:
        if task.due_at is None or task.state == "cancelled":
            continue
        finished = task.completed_at or (None if task.state in ("ready", "claimed") else task.due_at)
        if (finished or now) > task.due_at:
            return True
    return False


def monthly(session: Session, month: str, locale: str = "zh", now: datetime | None = None) -> dict:
    start, end = parse_month(month)
    now = now or clock.now()
    labels = Labels(session, locale)
    in_month = lambda col: (col >= start) & (col < end)  # noqa: E731

    received = list(session.scalars(select(ProcessInstance).where(
        ProcessInstance.process_id.in_(SERVICE_PROCESSES), in_month(ProcessInstance.started_at))))
    by_type: dict[tuple, int] = {}
    for case in received:
        field = PROBLEM_FIELDS.get(case.process_id)
        value = (case.case_data or {}).get(field) if field else None
        problem = labels.option(case.version_id, field, value) if value not in (None, "") else _("Not classified")
        key = (labels.process(case.process_id, case.version_id), problem)
        by_type[key] = by_type.get(key, 0) + 1

    closed = list(session.scalars(select(ProcessInstance).where(
        ProcessInstance.process_id.in_(SERVICE_PROCESSES), ProcessInstance.status == "completed",
        in_month(ProcessInstance.ended_at))))
    tasks_of: dict[int, list[HumanTask]] = {}
    if closed:
        for task in session.scalars(select(HumanTask).where(HumanTask.instance_id.in_([c.id for c in closed]))):
            tasks_of.setdefault(task.instance_id, []).append(task)
    resolution: dict[str, dict] = {}
    for case in closed:
        name = labels.process(case.process_id, case.version_id)
        row = resolution.setdefault(name, {"process": name, "days": [], "met": 0, "breached": 0})
        row["days"].append(working_days(case.started_at, case.ended_at))
        row["breached" if _breached(case, tasks_of.get(case.id, []), now) else "met"] += 1
    all_days = [d for row in resolution.values() for d in row["days"]]
    resolution_rows = [{"process": r["process"], "closed": len(r["days"]), "median": median(r["days"]),
                        "p90": percentile(r["days"], 90), "met": r["met"], "breached": r["breached"]}
                       for r in sorted(resolution.values(), key=lambda r: r["process"])]

    surveys = [c for c in session.scalars(select(ProcessInstance).where(
        ProcessInstance.process_id == "customer_followup", ProcessInstance.started_at < end,
        or_(ProcessInstance.ended_at.is_(None), ProcessInstance.ended_at >= start)))
        if _in_month_iso((c.case_data or {}).get("survey_at"), start, end)]
    aspects: dict[str, dict] = {}
    for case in surveys:
        data = case.case_data or {}
        for aspect, score in (data.get("survey_scores") or {}).items():
            if not isinstance(score, (int, float)) or isinstance(score, bool):
                continue
            row = aspects.setdefault(aspect, {"aspect": labels.field(case.version_id, SURVEY_PREFIX + aspect),
                                              "scores": []})
            row["scores"].append(score)
    satisfaction = [{"aspect": r["aspect"], "responses": len(r["scores"]),
                     "average": round(sum(r["scores"]) / len(r["scores"]), 2),
                     "low": sum(1 for s in r["scores"] if s <= 2)} for r in aspects.values()]
    low_score_cases = sum(1 for c in surveys if (c.case_data or {}).get("corrective_action"))

    key_rows = []
    for customer in session.scalars(select(Customer).where(Customer.key_customer.is_(True)).order_by(Customer.name)):
        linked = list(session.scalars(select(ProcessInstance).join(
            CustomerCase, CustomerCase.instance_id == ProcessInstance.id).where(
            CustomerCase.customer_id == customer.id, ProcessInstance.started_at < end)))
        key_rows.append({"customer": customer.name, "customer_id": customer.id,
                         "received": sum(1 for c in linked if start <= c.started_at < end),
                         "closed": sum(1 for c in linked if c.ended_at and start <= c.ended_at < end),
                         "open": sum(1 for c in linked if c.status != "completed")})

    delivery = _delivery(session, start, end)
    return {
        "month": month, "received_total": len(received), "closed_total": len(closed),
        "by_type": [{"process": p, "problem_type": t, "cases": n} for (p, t), n in sorted(by_type.items())],
        "resolution": resolution_rows,
        "resolution_all": {"closed": len(all_days), "median": median(all_days) if all_days else None,
                           "p90": percentile(all_days, 90)},
        "sla": {"met": sum(r["met"] for r in resolution_rows), "breached": sum(r["breached"] for r in resolution_rows)},
        "satisfaction": sorted(satisfaction, key=lambda r: r["aspect"]), "surveys": len(surveys),
        "low_score_cases": low_score_cases, "key_customers": key_rows, "delivery": delivery,
        "publication": publication(session, month),
    }


def _in_month_iso(text, start: datetime, end: datetime) -> bool:
    if not text:
        return False
    try:
        at = datetime.fromisoformat(str(text))
    except ValueError:
        return False
    if at.tzinfo is not None:
        at = (at - at.utcoffset()).replace(tzinfo=None)
    return start <= at < end


def _delivery(session: Session, start: datetime, end: datetime) -> dict:
    """Orders delivered as required ÷ orders (S2 L95)."""
    month = workcalendar.china_today(start).isoformat()[:7]
    orders = on_time = 0
    exports = session.scalars(select(ProcessInstance).where(
        ProcessInstance.process_id == EXPORT_PROCESS, ProcessInstance.started_at < end,
        or_(ProcessInstance.ended_at.is_(None), ProcessInstance.ended_at >= start)))
    for case in exports:
        ship = str((case.case_data or {}).get("ship_date") or "")
        if not ship.startswith(month):
            continue
        parent = session.get(ProcessInstance, case.parent_instance_id) if case.parent_instance_id else None
        deadline = str(((parent.case_data if parent else None) or {}).get("shipment_deadline")
                       or (case.case_data or {}).get("shipment_deadline") or "")
        if not deadline:
            continue
        orders += 1
        on_time += ship[:10] <= deadline[:10]
    accepted = session.scalars(select(ProcessInstance).where(
        ProcessInstance.process_id == "customer_followup", (ProcessInstance.started_at >= start)
        & (ProcessInstance.started_at < end)))
    for case in accepted:
        data = case.case_data or {}
        if data.get("service_type") == "delivery" and isinstance(data.get("delivered_as_required"), bool):
            orders += 1
            on_time += data["delivered_as_required"]
    return {"orders": orders, "on_time": on_time,
            "rate": round(on_time / orders * 100, 1) if orders else None}


def publication(session: Session, month: str) -> dict | None:
    """Who published the month's report and when (the GM office's review task of after_sales_report)."""
    task = session.scalar(select(HumanTask).where(
        HumanTask.process_id == REPORT_PROCESS, HumanTask.business_key == month,
        HumanTask.task_name == "gm_review", HumanTask.state == "completed").order_by(HumanTask.completed_at.desc()))
    if task is None:
        return None
    case = session.get(ProcessInstance, task.instance_id)
    data = case.case_data or {}
    return {"by": task.completed_by, "at": task.completed_at, "published_on": data.get("published_on"),
            "findings": data.get("review_findings"), "instance_id": case.id}


def xlsx(report: dict) -> bytes:
    from ..audit.exports import to_xlsx
    rows = []
    rows.append({"section": _("Cases received"), "item": _("All"), "count": report["received_total"]})
    for r in report["by_type"]:
        rows.append({"section": _("Cases by process and problem type"), "item": f"{r['process']} · {r['problem_type']}",
                     "count": r["cases"]})
    for r in report["resolution"]:
        rows.append({"section": _("Resolution time (working days)"), "item": r["process"], "count": r["closed"],
                     "value": r["median"], "extra": r["p90"]})
    rows.append({"section": _("SLA"), "item": _("Met"), "count": report["sla"]["met"]})
    rows.append({"section": _("SLA"), "item": _("Breached"), "count": report["sla"]["breached"]})
    for r in report["satisfaction"]:
        rows.append({"section": _("Satisfaction by aspect"), "item": r["aspect"], "count": r["responses"],
                     "value": r["average"], "extra": r["low"]})
    for r in report["key_customers"]:
        rows.append({"section": _("Key customers"), "item": r["customer"], "count": r["received"],
                     "value": r["closed"], "extra": r["open"]})
    d = report["delivery"]
    rows.append({"section": _("On-time delivery rate"), "item": _("Orders delivered as required ÷ orders"),
                 "count": d["orders"], "value": d["on_time"], "extra": d["rate"]})
    columns = [("section", _("Section")), ("item", _("Item")), ("count", _("Count")),
               ("value", _("Median / average / on time")), ("extra", _("90th percentile / low scores / open / %"))]
    return to_xlsx(_("After-sales report") + " " + report["month"], columns, rows)
