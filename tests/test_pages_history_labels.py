"""A step renamed in a new version: cases waiting at that step may still migrate, and the history shows
each step under the name it had in the version the case ran at that moment (the migration does not
rewrite earlier events' labels)."""
from sqlalchemy import select

from app.models import ProcessInstance, User
from app.services.audit import case_history
from app.services.cases import migration, summary
from app.services.labels import Labels
from app.services.cases.cases import timeline
from tests.complaint_helpers import COMPLAINT_SOURCES, ComplaintDesk
from tests.process_helpers import product_sources, publish

OLD, NEW = "品质部受理、编号并登记", "品质部受理并登记投诉"
NEW_EN = "Quality accepts and registers the complaint"


def test_label_only_change_migrates_and_history_keeps_the_old_name(db):
    sources = product_sources(**COMPLAINT_SOURCES)
    publish(db, sources)
    desk = ComplaintDesk(db)
    case = desk.open()
    assert "quality_accept" in desk.open_tasks(case)
    renamed = product_sources(**COMPLAINT_SOURCES)
    renamed.bpmn["complaint_handling.bpmn"] = renamed.bpmn["complaint_handling.bpmn"].replace(
        f'name="{OLD}"'.encode(), f'name="{NEW}"'.encode())
    old_en = renamed.labels_en["complaint_handling"]["quality_accept"]
    renamed.labels_en["complaint_handling"]["quality_accept"] = NEW_EN
    publish(db, renamed)
    with db.session() as session:
        plan = migration.dry_run(session, "complaint_handling")
    row = next(r for r in plan["instances"] if r["id"] == case)
    assert row["can_migrate"], row["reasons"]
    results = migration.migrate_instances(db, "complaint_handling", [case], "process_owner")
    assert results[0]["migrated"], results
    desk.accept(case)
    with db.session() as session:
        instance = session.get(ProcessInstance, case)
        names = Labels(session, "zh")
        events = summary.labelled_events(names, instance, timeline(session, case))
    ready = [e["element"] for e in events if e["type"] == "task_ready" and e["element_id"] == "quality_accept"]
    done = [e["element"] for e in events if e["type"] == "completed" and e["element_id"] == "quality_accept"]
    assert ready == [OLD]  # the task appeared under its old name, before the migration
    assert done == [NEW]  # and was completed under the new one
    # the auditor's case page: history and steps table, in each language
    for locale, old_name, new_name in (("zh", OLD, NEW), ("en", old_en, NEW_EN)):
        with db.session() as session:
            instance = session.get(ProcessInstance, case)
            auditor = session.scalar(select(User).where(User.username == "auditor"))
            view = case_history.case_view(session, auditor, instance, locale)
        ready = [e["element"] for e in view["events"] if e["type"] == "task_ready"
                 and e["element_id"] == "quality_accept"]
        done = [e["element"] for e in view["events"] if e["type"] == "completed"
                and e["element_id"] == "quality_accept"]
        assert (ready, done) == ([old_name], [new_name]), locale
        assert [s["title"] for s in view["steps"] if s["element_id"] == "quality_accept"] == [old_name], locale
