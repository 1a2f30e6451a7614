"""SLA dashboard figures, computed from the instance and task tables (no workflow is rebuilt):
complaints closed within 10/15 days per month, overdue steps per department, cycle time per process,
and waiting time per diagram element (the heatmap)."""
from datetime import datetime
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import clock
from ...workcalendar import CHINA_OFFSET
from ...models import HumanTask, ProcessInstance

COMPLAINT_PROCESS = "complaint_handling"
COMPLAINT_LIMITS = (10, 15)  # calendar days from receipt to closing (domestic / overseas commitment)
DAY = 86400.0


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / DAY


def complaint_closure(session: Session, process_id: str = COMPLAINT_PROCESS,
                      limits: tuple[int, ...] = COMPLAINT_LIMITS) -> list[dict]:
    """Per month of closing: closed complaints and the share closed within each limit (in %)."""
    months: dict[str, list[float]] = {}
    for started, ended in session.execute(select(ProcessInstance.started_at, ProcessInstance.ended_at).where(
            ProcessInstance.process_id == process_id, ProcessInstance.status == "completed",
            ProcessInstance.ended_at.is_not(None))):
        months.setdefault(ended.strftime("%Y-%m"), []).append(_days(started, ended))
    out = []
    for month in sorted(months):
        durations = months[month]
        row = {"month": month, "closed": len(durations)}
        for limit in limits:
            row[f"within_{limit}"] = round(100.0 * sum(d <= limit for d in durations) / len(durations), 1)
        out.append(row)
    return out


def commitment_breaches(session: Session) -> list[dict]:
    """Per month (China month of the breach): cases that missed their commitment deadline, per process."""
    months: dict[tuple[str, str], int] = {}
    for process_id, at in session.execute(select(ProcessInstance.process_id, ProcessInstance.deadline_breached_at)
                                          .where(ProcessInstance.deadline_breached_at.is_not(None))):
        key = ((at + CHINA_OFFSET).strftime("%Y-%m"), process_id)
        months[key] = months.get(key, 0) + 1
    return [{"month": m, "process_id": p, "breached": n} for (m, p), n in sorted(months.items())]


def overdue_steps(session: Session, now: datetime | None = None) -> list[dict]:
    """Tasks finished after (or still open past) their due date, per department and step."""
    now = now or clock.now()
    late = HumanTask.due_at.is_not(None) & (func.coalesce(HumanTask.completed_at, now) > HumanTask.due_at)
    rows = session.execute(select(HumanTask.group_code, HumanTask.process_id, HumanTask.task_name,
                                  func.min(HumanTask.title), func.count())
                           .where(late).group_by(HumanTask.group_code, HumanTask.process_id, HumanTask.task_name)
                           .order_by(HumanTask.group_code, HumanTask.process_id, HumanTask.task_name)).all()
    return [{"group": g or "", "process_id": p, "element_id": t, "title": title, "overdue": n}
            for g, p, t, title, n in rows]


def overdue_by_department(rows: list[dict]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["group"]] = totals.get(r["group"], 0) + r["overdue"]
    return totals


def cycle_times(session: Session) -> list[dict]:
    """Days from start to close of every closed case, per process: count, mean, median, longest."""
    per: dict[str, list[float]] = {}
    for pid, started, ended in session.execute(select(ProcessInstance.process_id, ProcessInstance.started_at,
                                                      ProcessInstance.ended_at)
                                               .where(ProcessInstance.ended_at.is_not(None))):
        per.setdefault(pid, []).append(_days(started, ended))
    return [{"process_id": pid, "cases": len(d), "mean_days": round(sum(d) / len(d), 2),
             "median_days": round(median(d), 2), "max_days": round(max(d), 2)} for pid, d in sorted(per.items())]


def waiting_by_element(session: Session, process_id: str, now: datetime | None = None) -> dict[str, dict]:
    """Per diagram element of a process (all versions): tasks, mean and longest hours from ready to done
    (open tasks count until now)."""
    now = now or clock.now()
    per: dict[str, list[float]] = {}
    titles: dict[str, str] = {}
    for name, title, created, completed in session.execute(
            select(HumanTask.task_name, HumanTask.title, HumanTask.created_at, HumanTask.completed_at)
            .where(HumanTask.process_id == process_id, HumanTask.state != "cancelled")):
        per.setdefault(name, []).append(((completed or now) - created).total_seconds() / 3600)
        titles[name] = title
    out = {}
    for name, hours in per.items():
        out[name] = {"title": titles[name], "tasks": len(hours), "mean_hours": round(sum(hours) / len(hours), 1),
                     "max_hours": round(max(hours), 1)}
    return out


def dashboard(session: Session, heat_process: str | None = None) -> dict:
    steps = overdue_steps(session)
    return {"complaints": complaint_closure(session), "limits": list(COMPLAINT_LIMITS),
            "overdue_steps": steps, "overdue_by_department": overdue_by_department(steps),
            "cycle_times": cycle_times(session), "commitment_breaches": commitment_breaches(session),
            "heat": waiting_by_element(session, heat_process) if heat_process else {}}
