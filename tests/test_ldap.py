"""Directory sign-in against a real OpenLDAP server (Debian's slapd) started on loopback with a seeded
directory: bind, user search, directory groups mapped to departments, heads and roles, alongside local
accounts. Skipped with a message where slapd is missing; a failure under CI."""
import base64
import hashlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from ldap3 import MODIFY_ADD, MODIFY_DELETE, Connection, Server
from sqlalchemy import select

from app.models import AdminAuditEvent, AuditEvent, HumanTask
from app.services.organisation import org
from tests.conftest import unavailable
from tests.web_helpers import login

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
SUFFIX = "dc=example,dc=cn"
ROOT_DN, ROOT_PW = f"cn=admin,{SUFFIX}", "root-secret"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"
PASSWORDS = {"wang.fang": "Directory-Pass-1", "chen.jie": "Directory-Pass-2", "sales": "Directory-Pass-3"}


def _ssha(password: str) -> str:
    salt = os.urandom(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()


def _seed() -> str:
    people = [("wang.fang", "王芳", "wang.fang@example.cn"), ("chen.jie", "陈杰", "chen.jie@example.cn"),
              ("sales", "目录里的同名人", "other@example.cn")]
    entries = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n",
               f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
               f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n"]
    for uid, name, mail in people:
        name64 = base64.b64encode(name.encode()).decode()
        entries.append(f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn:: {name64}\n"
                       f"sn: {uid}\ndisplayName:: {name64}\nmail: {mail}\nuserPassword: {_ssha(PASSWORDS[uid])}\n")
    groups = {"wf-sales": ["wang.fang", "chen.jie"], "wf-quality-heads": ["chen.jie"], "wf-auditors": ["chen.jie"],
              "canteen": ["wang.fang"]}
    for cn, members in groups.items():
        # groupOfNames needs a member: the directory's own admin entry keeps a group valid when emptied
        lines = f"member: {ROOT_DN}\n" + "".join(f"member: uid={m},{PEOPLE}\n" for m in members)
        entries.append(f"dn: cn={cn},{GROUPS}\nobjectClass: groupOfNames\ncn: {cn}\n{lines}")
    return "\n".join(entries)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    if not (os.access(SLAPD, os.X_OK) and os.access(SLAPADD, os.X_OK) and (MODULES / "back_mdb.so").exists()):
        unavailable("the LDAP directory tests", "OpenLDAP slapd is not installed (apt-get install slapd); "
                                               "directory sign-in tests skipped")
    root = tmp_path_factory.mktemp("slapd")
    (root / "data").mkdir()
    conf = root / "slapd.conf"
    conf.write_text("\n".join([
        *(f"include {SCHEMA / name}" for name in ("core.schema", "cosine.schema", "inetorgperson.schema")),
        f"modulepath {MODULES}", "moduleload back_mdb", f"pidfile {root / 'slapd.pid'}",
        "database mdb", f'suffix "{SUFFIX}"', f'rootdn "{ROOT_DN}"', f"rootpw {ROOT_PW}",
        f"directory {root / 'data'}", "maxsize 10485760",
        "access to attrs=userPassword by anonymous auth by * none", "access to * by * read", ""]))
    (root / "seed.ldif").write_text(_seed(), encoding="utf-8")
    subprocess.run([SLAPADD, "-f", str(conf), "-l", str(root / "seed.ldif")], check=True, capture_output=True)
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    process = subprocess.Popen([SLAPD, "-f", str(conf), "-h", url + "/", "-d", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None:
                pytest.fail("slapd did not start: " + process.stderr.read().decode(errors="replace")[-2000:])
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("slapd did not open its port within 15 s")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def ldap_app(app, directory):
    app.config.update(
        LDAP_URL=directory, LDAP_BIND_DN=ROOT_DN, LDAP_BIND_PASSWORD=ROOT_PW, LDAP_USER_BASE=PEOPLE,
        LDAP_USER_FILTER="(&(objectClass=inetOrgPerson)(uid={username}))", LDAP_GROUP_BASE=GROUPS,
        LDAP_GROUP_FILTER="(member={dn})", LDAP_GROUP_MAP='{"wf-sales": "sales"}',
        LDAP_HEAD_MAP='{"wf-quality-heads": "quality"}', LDAP_ROLE_MAP='{"wf-auditors": "auditor"}')
    return app


def _set_membership(directory_url: str, group: str, uid: str, present: bool):
    conn = Connection(Server(directory_url), ROOT_DN, ROOT_PW, auto_bind=True)
    change = [(MODIFY_ADD if present else MODIFY_DELETE, [f"uid={uid},{PEOPLE}"])]
    conn.modify(f"cn={group},{GROUPS}", {"member": change})
    assert conn.result["result"] == 0, conn.result
    conn.unbind()


def test_a_directory_person_signs_in_and_gets_departments_from_groups(ldap_app, db):
    browser = login(ldap_app.test_client(), "wang.fang", PASSWORDS["wang.fang"])
    assert browser.get("/").status_code == 200
    with db.session() as session:
        user = org.get_user(session, "wang.fang")
        assert (user.auth_source, user.display_name, user.email) == ("ldap", "王芳", "wang.fang@example.cn")
        assert user.group_codes == {"sales"} and not user.head_of and not user.role_names
        event = session.scalars(select(AdminAuditEvent).where(AdminAuditEvent.object_id == "wang.fang")).one()
        assert event.actor == "directory" and event.action == "user.created"


def test_heads_and_roles_follow_the_directory_at_each_sign_in(ldap_app, db, directory):
    api = ldap_app.test_client()
    token = api.post("/api/v1/auth/token", json={"username": "chen.jie", "password": PASSWORDS["chen.jie"]})
    assert token.status_code == 200
    with db.session() as session:
        user = org.get_user(session, "chen.jie")
        assert user.head_of == {"quality"} and user.group_codes == {"sales", "quality"}
        assert user.role_names == {"auditor"}
    _set_membership(directory, "wf-quality-heads", "chen.jie", present=False)
    try:
        login(ldap_app.test_client(), "chen.jie", PASSWORDS["chen.jie"])
        with db.session() as session:
            user = org.get_user(session, "chen.jie")
            assert user.head_of == set() and user.group_codes == {"sales"}
            change = session.scalars(select(AdminAuditEvent).where(AdminAuditEvent.object_id == "chen.jie",
                                                                   AdminAuditEvent.action == "user.changed")).one()
            assert change.before["head_of"] == ["quality"] and change.after["head_of"] == []
    finally:
        _set_membership(directory, "wf-quality-heads", "chen.jie", present=True)


def test_wrong_passwords_unknown_people_and_filter_tricks_are_refused(ldap_app, db):
    client = ldap_app.test_client()
    for username, password in (("wang.fang", "wrong"), ("wang.fang", ""), ("nobody", "x"), ("*", "x"),
                               ("wang.fang)(uid=*", PASSWORDS["wang.fang"])):
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 401, username
    with db.session() as session:
        assert session.scalars(select(AdminAuditEvent)).first() is None


def test_local_accounts_work_alongside_and_keep_their_own_password(ldap_app):
    # "sales" exists locally and in the directory: the local account and its password win
    login(ldap_app.test_client(), "sales", "demo")
    refused = ldap_app.test_client().post("/login", data={"username": "sales", "password": PASSWORDS["sales"]})
    assert refused.status_code == 401


def test_a_deactivated_directory_user_stays_out_and_cannot_change_the_password_here(ldap_app, api):
    login(ldap_app.test_client(), "wang.fang", PASSWORDS["wang.fang"])
    wang = api("wang.fang", PASSWORDS["wang.fang"])
    refused = wang.post("/api/v1/me/password", json={"current_password": PASSWORDS["wang.fang"],
                                                     "new_password": "Another-Pass-77"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "directory_account"
    admin = api("admin")
    assert admin.client.patch("/api/v1/users/wang.fang", headers=admin.headers,
                              json={"active": False}).status_code == 200
    assert ldap_app.test_client().post("/login", data={"username": "wang.fang",
                                                       "password": PASSWORDS["wang.fang"]}).status_code == 401


def test_an_unreachable_directory_refuses_the_sign_in_without_an_error_page(ldap_app):
    ldap_app.config["LDAP_URL"] = f"ldap://127.0.0.1:{_free_port()}"
    ldap_app.config["LDAP_TIMEOUT"] = "2"
    response = ldap_app.test_client().post("/login", data={"username": "wang.fang", "password": PASSWORDS["wang.fang"]})
    assert response.status_code == 401
    login(ldap_app.test_client(), "quality", "demo")


def test_tasks_go_back_when_the_directory_moves_a_person_out_of_the_department(ldap_app, api, db, directory,
                                                                               published):
    sales = api("sales")
    assert sales.post("/api/v1/processes/loop_review/instances",
                      json={"data": {"case_no": "L-1", "amount": 5, "rounds": 0, "customer": "ACME"}}).status_code == 201
    wang = api("wang.fang", PASSWORDS["wang.fang"])
    [draft] = wang.get("/api/v1/tasks").get_json()["tasks"]
    assert wang.post(f"/api/v1/tasks/{draft['id']}/claim").status_code == 200
    _set_membership(directory, "wf-sales", "wang.fang", present=False)
    try:
        login(ldap_app.test_client(), "wang.fang", PASSWORDS["wang.fang"])
        with db.session() as session:
            task = session.get(HumanTask, draft["id"])
            assert task.state == "ready" and task.claimed_by is None
            back = session.scalars(select(AuditEvent).where(AuditEvent.task_id == draft["id"],
                                                            AuditEvent.event_type == "unclaimed")).one()
            assert back.actor == "directory" and back.data["from"] == "wang.fang"
    finally:
        _set_membership(directory, "wf-sales", "wang.fang", present=True)
