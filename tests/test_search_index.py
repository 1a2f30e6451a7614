"""The inbox's search box reads a substring index (SQLite FTS5 trigram table, PostgreSQL pg_trgm): a part
of a case number or of a Chinese customer name anywhere in the value is found, short fragments and
fragments with quotes or LIKE wildcards are matched literally, a changed business key is found by its new
value only, and the found tasks are exactly those a plain ILIKE finds."""
import pytest
import random
import uuid
from datetime import timedelta

from sqlalchemy import delete, select, update

from app import clock
from app.models import HumanTask, Membership, ProcessInstance, ProcessVersion, User
from app.models.task_search import like_pattern
from app.services.cases import inbox

NAMES = ("深圳华强电子有限公司", "东莞市长安精密五金厂", "Acme Trading GmbH", "宁波港务物流", "ACME 华南分公司")


def _member(group="sales") -> User:
    user = User(username=f"{group}_reader", display_name="reader", password_hash="-", locale="zh")
    user.memberships.append(Membership(group_code=group, is_head=False))
    return user


def _add_tasks(db, published, rows: list[tuple[str, str | None]], group="sales") -> list[str]:
    """One case with an open task in the group's queue per (business key, customer); the task ids."""
    now, ids = clock.now(), []
    with db.session() as session:
        version = session.scalars(select(ProcessVersion)).first()
        for n, (key, customer) in enumerate(rows):
            instance = ProcessInstance(process_id=version.process_id, version_id=version.id,
                                       status="running", business_key=key, summary={"customer": customer},
                                       started_by="sales", started_at=now, lock_version=1, state={}, case_data={})
            session.add(instance)
            session.flush()
            task_id = str(uuid.uuid4())
            session.add(HumanTask(id=task_id, instance_id=instance.id, process_id=instance.process_id,
                                  business_key=key, task_name="review", title="审核", lane=group, group_code=group,
                                  state="ready", due_at=now + timedelta(minutes=n), created_at=now,
                                  customer=customer))
            ids.append(task_id)
        session.commit()
    return ids


def _found(db, **filters) -> set[str]:
    with db.session() as session:
        return {t.id for t in session.scalars(inbox.filtered_query(_member(), "queue", **filters))}


def _plain_ilike(db, column, text) -> set[str]:
    with db.session() as session:
        query = inbox.filtered_query(_member(), "queue").where(column.ilike(like_pattern(text), escape="\\"))
        return {t.id for t in session.scalars(query)}


def test_middle_of_a_business_key_finds_its_task_only(db, published):
    wanted, other = _add_tasks(db, published, [("HT-2024-0815-77", "宁波港务物流"), ("HT-2024-0916-77", "宁波港务物流")])
    assert _found(db, search="4-0815") == {wanted}
    assert _found(db, search="ht-2024-08") == {wanted}  # whatever the case
    assert _found(db, search="-77") == {wanted, other}


def test_part_of_a_chinese_customer_name(db, published):
    ids = _add_tasks(db, published, [("C-1", NAMES[0]), ("C-2", NAMES[1]), ("C-3", NAMES[4])])
    assert _found(db, customer="华强电子") == {ids[0]}
    assert _found(db, customer="长安精密") == {ids[1]}
    assert _found(db, customer="华南") == {ids[2]}  # two characters: below the trigram index, still found
    assert _found(db, customer="acme 华") == {ids[2]}


def test_one_and_two_character_fragments(db, published):
    ids = _add_tasks(db, published, [("XQ-9", "甲"), ("AB-7", "乙方"), ("ZZ-1", None)])
    assert _found(db, search="q") == {ids[0]}
    assert _found(db, search="b-") == {ids[1]}
    assert _found(db, search="7") == {ids[1]}
    assert _found(db, customer="甲") == {ids[0]}
    assert _found(db, customer="乙方") == {ids[1]}


def test_quotes_and_wildcards_are_matched_literally(db, published):
    ids = _add_tasks(db, published, [('Q-"A"-1', "O'Neil"), ("50%_OFF", "x_y"), ("500-OFF", "xy"), ("K-\\-2", "a*b")])
    assert _found(db, search='"a"') == {ids[0]}
    assert _found(db, search='-"a"-') == {ids[0]}
    assert _found(db, search='"') == {ids[0]}
    assert _found(db, customer="o'ne") == {ids[0]}
    assert _found(db, search="0%_") == {ids[1]}
    assert _found(db, search="%") == {ids[1]}
    assert _found(db, search="_") == {ids[1]}
    assert _found(db, customer="x_y") == {ids[1]}
    assert _found(db, search="-\\-") == {ids[3]}
    assert _found(db, customer="a*b") == {ids[3]}
    for operator_text in ("OR", "AND NOT", "NEAR(a b)", "business_key:", "*", "^q", "()"):
        assert _found(db, search=operator_text) == set()


def test_changed_business_key_is_found_by_the_new_key_not_the_old(db, published):
    task_id, = _add_tasks(db, published, [("OLD-ALPHA-1", "甲方")])
    with db.session() as session:
        session.execute(update(HumanTask).where(HumanTask.id == task_id).values(business_key="NEW-OMEGA-1"))
        session.commit()
    assert _found(db, search="alpha") == set()
    assert _found(db, search="omega") == {task_id}
    with db.session() as session:  # claiming (another column) leaves the index as it is
        session.execute(update(HumanTask).where(HumanTask.id == task_id).values(lane="其他"))
        session.commit()
    assert _found(db, search="ega-1") == {task_id}
    with db.session() as session:
        session.execute(delete(HumanTask).where(HumanTask.id == task_id))
        session.commit()
    assert _found(db, search="omega") == set()
    _add_tasks(db, published, [("NEW-OMEGA-2", "甲方")])  # the next task is indexed under its own key
    assert len(_found(db, search="omega")) == 1


def test_results_equal_plain_ilike_on_a_few_hundred_tasks(db, published):
    rng = random.Random(4)
    rows = [(f"{rng.choice(['BK', 'ht', 'Ex'])}-{rng.randint(0, 99999):05d}-{rng.choice('AbC')}",
             rng.choice(NAMES) + rng.choice(["", "二厂", " Ltd"])) for _ in range(300)]
    _add_tasks(db, published, rows)
    _add_tasks(db, published, rows[:40], group="quality")  # another department's tasks are never found
    fragments = ["12", "0", "123", "-4", "bk-0", "HT-", "ex-9", "-a", "5-c", "999", "00000", "-b"]
    fragments += [key[i:i + n] for key, _ in rng.sample(rows, 15) for i, n in [(rng.randint(0, 6), rng.randint(1, 6))]]
    for text in fragments:
        assert _found(db, search=text) == _plain_ilike(db, HumanTask.business_key, text), text
    for text in ["华强", "电子有限", "五金", "acme", "GMBH", "二厂", "ltd", "物流二", "有限公司 "]:
        found = _found(db, customer=text)
        assert found == _plain_ilike(db, HumanTask.customer, text), text
    assert _found(db, search="bk-0") and _found(db, customer="电子有限")  # the comparisons saw some rows


def test_postgres_queue_search_indexes_are_keyed_by_department(backend, database_url):
    """PostgreSQL: each searched column's trigram index starts with the department, so a department's queue
    search reads its own matching tasks (not a bitmap of the whole queue); the migration goes back to the
    trigram-only indexes and forward again."""
    if backend != "postgres":
        pytest.skip("PostgreSQL's GIN indexes; SQLite searches its FTS5 table")
    from alembic import command
    from sqlalchemy import create_engine, text
    from app.migrate import alembic_config

    def indexes() -> dict:
        engine = create_engine(database_url)
        with engine.connect() as conn:
            found = dict(conn.execute(text("SELECT indexname, indexdef FROM pg_indexes "
                                           "WHERE tablename = 'human_tasks' AND indexdef LIKE '%gin_trgm_ops%'")).all())
        engine.dispose()
        return found

    keyed = indexes()
    assert set(keyed) == {"ix_human_tasks_business_key_group_trgm", "ix_human_tasks_customer_group_trgm"}
    assert "(group_code, business_key gin_trgm_ops)" in keyed["ix_human_tasks_business_key_group_trgm"]
    command.downgrade(alembic_config(database_url), "perf_0005_search_statistics")
    assert set(indexes()) == {"ix_human_tasks_business_key_trgm", "ix_human_tasks_customer_trgm"}
    command.upgrade(alembic_config(database_url), "heads")
    assert indexes() == keyed
