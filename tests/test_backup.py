"""A backup restores to a database where a running case continues (SQLite and PostgreSQL)."""
from sqlalchemy import select

from app.models import HumanTask, ProcessInstance
from app.services.cases import instances, tasks
from app.services.organisation import org
from app.services.operations.backup import backup, restore


def _open(db, iid):
    with db.session() as session:
        return {t.task_name: t.id for t in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == iid, HumanTask.state.in_(["ready", "claimed"])))}


def test_restore_a_backup_and_continue_the_running_case(app, db, published, tmp_path):
    with db.session() as session:
        sales, quality = org.get_user(session, "sales"), org.get_user(session, "quality")
    iid = instances.start_instance(db, "loop_review", {"case_no": "B-1", "amount": 3, "rounds": 0}, "sales")
    tasks.complete(db, sales, _open(db, iid)["draft"], {"text": "first draft"})
    path = backup(db, tmp_path / "backup.dump")
    assert path.stat().st_size > 0

    # work done after the backup is lost by the restore ...
    tasks.complete(db, quality, _open(db, iid)["review"], {"approved": True})
    with db.session() as session:
        assert session.get(ProcessInstance, iid).status == "completed"
    restore(db, path)
    with db.session() as session:
        restored = session.get(ProcessInstance, iid)
        assert restored.status == "running" and restored.case_data["text"] == "first draft"
    # ... and the case continues from where the backup left it
    open_ = _open(db, iid)
    assert list(open_) == ["review"]
    tasks.complete(db, quality, open_["review"], {"approved": True})
    with db.session() as session:
        assert session.get(ProcessInstance, iid).status == "completed"


def test_backup_command(app, published, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(tmp_path / "cli.dump")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli.dump").stat().st_size > 0
    missing = runner.invoke(args=["restore", "--yes", str(tmp_path / "nope.dump")])
    assert missing.exit_code == 1 and "no backup file" in missing.output
