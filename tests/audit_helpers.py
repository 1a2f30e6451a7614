"""Helpers shared by the auditor-workspace tests: a full run of the basic fixture case and an attacker
with direct database access (append-only triggers switched off for one statement)."""
from sqlalchemy import select, text

from app.models import HumanTask, User
from app.services.cases import instances, tasks


def user(db, username):
    with db.session() as session:
        return session.scalar(select(User).where(User.username == username))


def open_task(db, instance_id):
    with db.session() as session:
        return session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.state.in_(("ready", "claimed"))))


def run_basic_case(db, case_no="C-1", customer="ACME", finish=True, **extra) -> int:
    """Start the loop_review fixture as sales, draft, reject once, draft again, approve."""
    data = {"case_no": case_no, "amount": 5, "rounds": 0, "customer": customer, **extra}
    iid = instances.start_instance(db, "loop_review", data, "sales")
    sales, quality = user(db, "sales"), user(db, "quality")
    tasks.claim(db, sales, open_task(db, iid).id)
    tasks.complete(db, sales, open_task(db, iid).id, {"text": "第一稿"})
    tasks.complete(db, quality, open_task(db, iid).id, {"approved": False, "opinion": "补充"})
    tasks.complete(db, sales, open_task(db, iid).id, {"text": "第二稿"})
    if finish:
        tasks.complete(db, quality, open_task(db, iid).id, {"approved": True})
    return iid


def tamper(db, statement: str, **params) -> None:
    """Run one UPDATE/DELETE on audit_events the way someone with database access could."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update"))
            conn.execute(text(statement), params)
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
            conn.execute(text(statement), params)


def publish_audit_fixture(db):
    """audit_review: the review loop with diagram layout and contact fields (contactFields property)."""
    from pathlib import Path
    from app.services.modelling import publishing
    fixtures = Path(__file__).parent / "fixtures"
    with db.session() as session:
        return publishing.publish(session, publishing.collect_paths([fixtures / "audit"], fixtures / "basic"),
                                  "process_owner")


def run_audit_case(db, case_no="A-1", approve_first=True, finish=True) -> int:
    data = {"case_no": case_no, "customer": "华东机械", "contact_phone": "13812345678", "email": "li@example.cn"}
    iid = instances.start_instance(db, "audit_review", data, "sales")
    sales, quality = user(db, "sales"), user(db, "quality")
    tasks.complete(db, sales, open_task(db, iid).id, {"text": "草稿"})
    if finish:
        tasks.complete(db, quality, open_task(db, iid).id, {"approved": approve_first})
    return iid


def login(client, username, password="demo"):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.data[:500]
    return client
