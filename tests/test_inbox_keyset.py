"""Keyset paging of the inbox: GET /api/v1/tasks and the queue page walk a department queue by cursor
(the position after the last task of a page) — every task once, in inbox order, the total right, the
filters kept, a task done between two pages shifting nothing, and a cursor that is not one of ours refused."""
import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update

from app import clock
from app.models import HumanTask
from tests.web_helpers import login

CASES = 120


def _start_many(sales, count=CASES):
    """count loop_review cases (a draft task each in the sales queue); the first half at one fixed instant,
    so those tasks share due and creation times and only their id orders them."""
    fixed = clock.now()
    clock.set_now(fixed)
    try:
        for n in range(count):
            if n == count // 2:
                clock.set_now(None)
            response = sales.post("/api/v1/processes/loop_review/instances",
                                  json={"data": {"case_no": f"Q-{n:03d}", "amount": 1, "rounds": 0,
                                                 "customer": "ACME"}})
            assert response.status_code == 201, response.get_json()
    finally:
        clock.set_now(None)


def _queue_in_order(db, undated=()):
    """The sales queue as the database orders it: tasks with a due time by (due, created, id), then those
    without by (created, id)."""
    with db.session() as session:
        if undated:
            session.execute(update(HumanTask).where(HumanTask.id.in_(undated)).values(due_at=None))
        found = session.scalars(select(HumanTask).where(HumanTask.group_code == "sales",
                                                        HumanTask.state == "ready")).all()
    return [t.id for t in sorted(found, key=lambda t: (t.due_at is None, t.due_at or t.created_at,
                                                       t.created_at, t.id))]


def _walk(user, url):
    pages = []
    while url:
        response = user.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        pages.append(body)
        url = body["next"]
        if url:
            parts = urlsplit(url)
            url = parts.path + "?" + parts.query
    return pages


def test_api_walks_the_queue_by_cursor_every_task_once_in_order(api, published, db):
    sales = api("sales")
    _start_many(sales)
    with db.session() as session:
        some = session.scalars(select(HumanTask.id).where(HumanTask.group_code == "sales")
                               .order_by(HumanTask.id).limit(15)).all()
    expected = _queue_in_order(db, undated=some)  # some tasks without due time: read after the dated ones

    pages = _walk(sales, "/api/v1/tasks?scope=queue&limit=25&process=loop_review")
    seen = [t["id"] for page in pages for t in page["tasks"]]
    assert seen == expected and len(set(seen)) == CASES
    assert [len(p["tasks"]) for p in pages] == [25, 25, 25, 25, 20]
    assert all(p["total"] == CASES for p in pages)
    first_next = parse_qs(urlsplit(pages[0]["next"]).query)
    assert first_next["scope"] == ["queue"] and first_next["limit"] == ["25"]
    assert first_next["process"] == ["loop_review"] and "offset" not in first_next
    assert pages[-1]["next"] is None

    # another process filter is kept on every page: nothing of loop_review then
    other = _walk(sales, "/api/v1/tasks?scope=queue&limit=25&process=other")
    assert [p["total"] for p in other] == [0] and other[0]["tasks"] == []


def test_a_task_done_between_pages_shifts_nothing(api, published, db):
    sales = api("sales")
    _start_many(sales, 60)
    expected = _queue_in_order(db)
    first = sales.get("/api/v1/tasks?scope=queue&limit=20").get_json()
    assert [t["id"] for t in first["tasks"]] == expected[:20]
    done = first["tasks"][3]["id"]
    answer = sales.post(f"/api/v1/tasks/{done}/complete", json={"data": {"text": "合同草稿"}})
    assert answer.status_code == 200, answer.get_json()

    second = sales.get(urlsplit(first["next"]).path + "?" + urlsplit(first["next"]).query).get_json()
    assert [t["id"] for t in second["tasks"]] == expected[20:40]  # with an offset, expected[20] would be skipped
    assert second["total"] == 59

    # the page offset still works and counts from the list as it is now
    by_offset = sales.get("/api/v1/tasks?scope=queue&limit=20&offset=20").get_json()
    assert [t["id"] for t in by_offset["tasks"]] == [i for i in expected if i != done][20:40]


def test_all_scope_merges_held_and_queued_tasks_across_pages(api, published, db):
    sales = api("sales")
    _start_many(sales, 30)
    expected = _queue_in_order(db)
    held = expected[5:12]
    for task_id in held:
        assert sales.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    pages = _walk(sales, "/api/v1/tasks?limit=7")
    seen = [t["id"] for page in pages for t in page["tasks"]]
    assert seen == expected and all(p["total"] == 30 for p in pages)
    mine = _walk(sales, "/api/v1/tasks?limit=3&scope=mine")
    assert [t["id"] for p in mine for t in p["tasks"]] == held


def test_a_cursor_not_given_out_is_a_400_naming_it(api, published, db):
    sales = api("sales")
    _start_many(sales, 3)
    for bad in ("nonsense", "W10", "eyJ0IjoxfQ", "WyJ4IiwieSIsInoiXQ"):  # not base64 JSON; [10]; {}; ["x","y","z"]
        response = sales.get(f"/api/v1/tasks?cursor={bad}")
        assert response.status_code == 400, bad
        error = response.get_json()["error"]
        assert error["parameter"] == "cursor" and "cursor" in error["message"]
    first = sales.get("/api/v1/tasks?limit=1").get_json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    combined = sales.get(f"/api/v1/tasks?cursor={cursor}&offset=1")
    assert combined.status_code == 400 and combined.get_json()["error"]["parameter"] == "cursor"
    assert sales.get("/api/v1/tasks?after=1").status_code == 400  # unknown parameters stay refused


def test_queue_page_next_link_carries_the_cursor_and_keeps_filters(app, client, published, db):
    sales_api = app.test_client()
    from tests.conftest import Api
    _start_many(Api(sales_api, "sales"), 60)
    expected = _queue_in_order(db)
    sales = login(client, "sales")
    first = sales.get("/queue?size=25&customer=acme").get_data(as_text=True)
    assert all(task_id in first for task_id in expected[:25]) and expected[25] not in first
    link = next(part for part in first.split('rel="next" href="?')[1:2]).split('"')[0].replace("&amp;", "&")
    args = parse_qs(link)
    assert args["cursor"] and args["page"] == ["2"] and args["customer"] == ["acme"] and args["size"] == ["25"]
    second = sales.get("/queue?" + link).get_data(as_text=True)
    assert all(task_id in second for task_id in expected[25:50])
    assert not any(task_id in second for task_id in expected[:25] + expected[50:])
    assert "26–50" in second.replace("&ndash;", "–")
    # a sorted column pages by number: no cursor in its links
    by_customer = sales.get("/queue?size=25&sort=customer&dir=desc").get_data(as_text=True)
    assert "cursor=" not in by_customer and 'rel="next"' in by_customer
    assert sales.get("/queue?cursor=nonsense").status_code == 400


def test_totals_past_the_cap_say_more(app, client, api, published, db, monkeypatch):
    """Lists count up to a cap (10,000 in the product, 50 here): past it the API says total_capped and the
    pages "50+"; below it the count is exact."""
    import app.api.tasks as api_tasks
    from app.services.cases import inbox, lists
    for module in (api_tasks, lists, inbox):
        monkeypatch.setattr(module, "COUNT_CAP", 50)
    sales = api("sales")
    _start_many(sales, 60)
    body = sales.get("/api/v1/tasks?limit=10").get_json()
    assert body["total"] == 50 and body["total_capped"] is True
    exact = sales.get("/api/v1/tasks?limit=10&process=other").get_json()
    assert exact["total"] == 0 and exact["total_capped"] is False
    page = login(client, "sales").get("/queue?size=25").get_data(as_text=True)
    assert re.search(r'class="total">[^<]*50\+', page)
    head = login(app.test_client(), "sales_head").get("/workload").get_data(as_text=True)
    assert "50+" in head


def test_workload_list_walks_held_and_waiting_tasks_by_cursor(app, client, api, published, db):
    sales = api("sales")
    _start_many(sales, 30)
    expected = _queue_in_order(db)
    for task_id in expected[3:9]:  # held tasks are read from their own index entries, merged in due order
        assert sales.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    head = login(client, "sales_head")
    url, seen = "/workload?size=10", []
    while url:
        page = head.get(url).get_data(as_text=True)
        seen += [task_id for task_id in expected if task_id in page]
        following = page.split('rel="next" href="?')[1].split('"')[0].replace("&amp;", "&")
        url = "/workload?" + following if "cursor=" in following else None  # the last page gives no cursor
    assert seen == expected and len(seen) == 30
