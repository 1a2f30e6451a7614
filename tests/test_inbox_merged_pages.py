"""The inbox read in one statement per page: held and waiting tasks, with and without a due time, come page
after page by cursor every task once in inbox order with the right total, and a head's workload counts each
member's held tasks (overdue among them) of the department only, with the queue beside them."""
from datetime import timedelta

from sqlalchemy import select, update

from app import clock
from app.models import HumanTask, User
from app.services.cases import inbox
from tests.test_inbox_keyset import _start_many, _walk


def _inbox_order(tasks):
    return [t.id for t in sorted(tasks, key=lambda t: (t.due_at is None, t.due_at or t.created_at,
                                                       t.created_at, t.id))]


def _sales_tasks(db):
    with db.session() as session:
        return session.scalars(select(HumanTask).where(HumanTask.group_code == "sales")).all()


def _sales_queue(api, db, cases: int, claimed: slice):
    """The sales member's client and the sales queue in inbox order, the tasks at `claimed` claimed by them."""
    sales = api("sales")
    _start_many(sales, cases)
    queue = _inbox_order(_sales_tasks(db))
    for task_id in queue[claimed]:
        assert sales.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    return sales, queue


def test_held_and_waiting_tasks_without_due_time_come_last_page_after_page(api, published, db):
    sales, queue = _sales_queue(api, db, 20, slice(4, 10))
    held = queue[4:10]
    undated = [held[0], held[3], held[5], queue[1], queue[12], queue[19]]  # held and waiting ones
    with db.session() as session:
        session.execute(update(HumanTask).where(HumanTask.id.in_(undated)).values(due_at=None))
    expected = _inbox_order(_sales_tasks(db))
    assert set(expected[-len(undated):]) == set(undated)

    for size in (1, 3, 7):
        pages = _walk(sales, f"/api/v1/tasks?limit={size}")
        assert [t["id"] for page in pages for t in page["tasks"]] == expected
        assert all(page["total"] == 20 for page in pages)
    mine = _walk(sales, "/api/v1/tasks?limit=2&scope=mine")
    assert [t["id"] for page in mine for t in page["tasks"]] == [t for t in expected if t in held]
    assert all(page["total"] == len(held) for page in mine)


def test_workload_counts_each_members_held_and_overdue_tasks_of_the_department(api, published, db):
    _sales, queue = _sales_queue(api, db, 9, slice(0, 5))
    late = clock.now() - timedelta(days=1)
    with db.session() as session:
        session.execute(update(HumanTask).where(HumanTask.id.in_(queue[:2])).values(due_at=late))
        # held by sales but in another department: not sales' workload
        session.execute(update(HumanTask).where(HumanTask.id == queue[4]).values(group_code="quality"))
        # held by someone outside the department: not listed among its members, not in its queue
        session.execute(update(HumanTask).where(HumanTask.id == queue[5])
                        .values(state="claimed", claimed_by="quality"))
        session.execute(update(HumanTask).where(HumanTask.id == queue[6]).values(due_at=late))  # waiting, late
        head = session.scalar(select(User).where(User.username == "sales_head"))
        found = inbox.workload(session, head)
    assert [d["code"] for d in found] == ["sales"]
    sales_dept = found[0]
    people = {m["username"]: (m["held"], m["overdue"]) for m in sales_dept["members"]}
    assert people == {"sales": (4, 2), "sales_head": (0, 0)}
    assert (sales_dept["queue"], sales_dept["queue_overdue"]) == (3, 1)
    assert not sales_dept["queue_more"] and not sales_dept["queue_overdue_more"]


def test_navigation_counts_my_tasks_and_my_queue(api, published, db):
    _sales_queue(api, db, 6, slice(0, 2))
    with db.session() as session:
        member = session.scalar(select(User).where(User.username == "sales"))
        assert inbox.counts(session, member) == {"mine": 2, "queue": 4}
