"""Bulk import and export of users (xlsx and CSV): a dry run lists what would be created, changed and
refused, row by row with reasons, and changes nothing; applying does it in one transaction, skipping the
refused rows; the same through the API, the page and `flask --app app users import FILE [--dry-run]`."""
import base64
import csv
import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.models import AdminAuditEvent, User
from app.services.organisation import org
from tests.web_helpers import login

HEADER = ["用户名", "姓名", "邮箱", "部门", "负责部门", "角色", "启用"]
BAD_ROWS = {  # row number in the file -> what is wrong, and the words the reason must carry
    41: (["bad041", "员工41", "bad041@example.cn", "不存在的部门", "", "", "是"], "不存在的部门"),
    82: (["bad082", "员工82", "not-an-address", "quality", "", "", "是"], "电子邮件"),
    123: (["emp010", "重复", "dup@example.cn", "sales", "", "", "是"], "两次"),
    204: (["", "没有账号", "nobody@example.cn", "sales", "", "", "是"], "缺少用户名"),
    265: (["bad265", "员工265", "bad265@example.cn", "finance", "", "国王", "是"], "国王"),
}
DEPARTMENTS = ["业务部", "品质部", "生产部", "PMC", "财务部", "成品仓", "技术部"]


def _rows_300() -> list[list]:
    rows = []
    for number in range(2, 302):  # the file's rows 2..301 under the header
        if number in BAD_ROWS:
            rows.append(BAD_ROWS[number][0])
            continue
        index = number - 1
        department = DEPARTMENTS[index % len(DEPARTMENTS)]
        head = department if index % 50 == 0 else ""
        rows.append([f"emp{index:03d}", f"员工{index}", f"emp{index:03d}@example.cn", department, head,
                     "auditor" if index % 100 == 0 else "", "是"])
    return rows


def _xlsx(rows: list[list], header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _user_count(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count(User.id)))


def _import(api, content: bytes, name: str, dry_run: bool):
    return api.client.post("/api/v1/users/import", headers=api.headers,
                           query_string={"dry_run": "true" if dry_run else "false"},
                           data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_xlsx_import_of_300_users_with_5_refused_rows(api, app, db):
    admin = api("admin")
    content = _xlsx(_rows_300())
    before = _user_count(db)

    dry = _import(admin, content, "hr.xlsx", dry_run=True)
    assert dry.status_code == 200, dry.get_json()
    report = dry.get_json()
    assert (report["dry_run"], report["created"], report["changed"], report["refused"]) == (True, 295, 0, 5)
    refused = {r["row"]: r for r in report["rows"] if r["status"] == "refused"}
    assert set(refused) == set(BAD_ROWS)
    for number, (_cells, words) in BAD_ROWS.items():
        assert words in " ".join(refused[number]["reasons"]), (number, refused[number])
    assert _user_count(db) == before  # a dry run changes nothing
    with db.session() as session:
        assert session.scalar(select(func.count(AdminAuditEvent.id))) == 0

    applied = _import(admin, content, "hr.xlsx", dry_run=False)
    assert applied.status_code == 200
    result = applied.get_json()
    assert (result["applied"], result["created"], result["refused"]) == (True, 295, 5)
    assert _user_count(db) == before + 295
    with db.session() as session:
        emp050 = org.get_user(session, "emp050")
        assert emp050.display_name == "员工50" and emp050.head_of == {"quality"} and emp050.group_codes == {"quality"}
        assert org.get_user(session, "emp100").has_role("auditor")
        assert session.scalar(select(func.count(AdminAuditEvent.id))
                              .where(AdminAuditEvent.action == "user.created")) == 295
        assert session.scalar(select(User).where(User.username == "bad041")) is None
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0

    again = _import(admin, content, "hr.xlsx", dry_run=True).get_json()
    assert (again["created"], again["changed"], again["unchanged"], again["refused"]) == (0, 0, 295, 5)


def test_csv_in_gb18030_with_chinese_headers_changes_existing_users(api, db):
    text = "用户名,姓名,部门,负责部门,启用\nsales,张业务,业务部；品质部,,是\nfinance,,财务部,财务部,否\n"
    admin = api("admin")
    dry = _import(admin, text.encode("gb18030"), "hr.csv", dry_run=True).get_json()
    by_user = {r["username"]: r for r in dry["rows"]}
    assert by_user["sales"]["status"] == "changed"
    assert by_user["sales"]["before"] == {"display_name": "业务部员工", "groups": ["sales"]}
    assert by_user["sales"]["after"] == {"display_name": "张业务", "groups": ["quality", "sales"]}
    assert by_user["finance"]["after"] == {"active": False, "head_of": ["finance"]}
    applied = _import(admin, text.encode("gb18030"), "hr.csv", dry_run=False).get_json()
    assert applied["changed"] == 2
    with db.session() as session:
        assert org.get_user(session, "sales").group_codes == {"sales", "quality"}
        assert not org.get_user(session, "finance").is_active


def test_export_reads_back_unchanged(api):
    admin = api("admin")
    for kind in ("xlsx", "csv"):
        exported = admin.get("/api/v1/users/export", query_string={"format": kind})
        assert exported.status_code == 200
        report = _import(admin, exported.data, f"users.{kind}", dry_run=True).get_json()
        assert report["created"] == report["changed"] == report["refused"] == 0 and report["unchanged"] > 30
    sheet = load_workbook(io.BytesIO(admin.get("/api/v1/users/export?format=xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    sales_head = next(r for r in rows if r[0] == "sales_head")
    assert sales_head[5] == "sales" and sales_head[6] == "sales"


def test_a_file_without_a_username_column_or_not_a_spreadsheet_is_refused(api, db):
    admin = api("admin")
    no_column = _import(admin, _xlsx([["x"]], header=["姓名"]), "a.xlsx", dry_run=True)
    assert no_column.status_code == 400 and "用户名" in no_column.get_json()["error"]["message"]
    garbage = _import(admin, b"PK\x03\x04 not really", "a.xlsx", dry_run=False)
    assert garbage.status_code == 400
    assert api("sales").post("/api/v1/users/import").status_code == 403


def test_cli_import_dry_run_and_apply(app, db, tmp_path):
    path = tmp_path / "staff.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "display_name", "groups", "roles"])
        writer.writerow(["wang.wu", "王五", "warehouse", ""])
        writer.writerow(["zhao.liu", "赵六", "nowhere", ""])
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["users", "import", str(path), "--dry-run"])
    assert dry.exit_code == 1 and "row 2 wang.wu: created" in dry.output and "row 3 zhao.liu: refused" in dry.output
    assert "would be applied" in dry.output
    with db.session() as session:
        assert session.scalar(select(User).where(User.username == "wang.wu")) is None
    applied = runner.invoke(args=["users", "import", str(path)])
    assert "1 created" in applied.output and applied.exit_code == 1
    with db.session() as session:
        assert org.get_user(session, "wang.wu").group_codes == {"warehouse"}
        event = session.scalars(select(AdminAuditEvent).where(AdminAuditEvent.object_id == "wang.wu")).one()
        assert event.actor == "cli" and event.reason == "导入第 2 行" or event.reason == "import row 2"


def test_import_page_dry_run_then_one_click_apply(app, db):
    admin = login(app.test_client(), "admin")
    content = _xlsx([["zhou.qi", "周七", "zhou@example.cn", "成品仓", "", "", "是"],
                     ["sales", "业务部员工", "", "sales", "", "", "maybe"]])
    checked = admin.post("/admin/users/import", data={"action": "dry_run", "file": (io.BytesIO(content), "hr.xlsx")},
                         content_type="multipart/form-data")
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and 'class="row-created"' in html and 'class="row-refused"' in html
    assert "maybe" in html
    with db.session() as session:
        assert session.scalar(select(User).where(User.username == "zhou.qi")) is None
    file_data = html.split('name="file_data" value="')[1].split('"')[0]
    assert base64.b64decode(file_data) == content
    applied = admin.post("/admin/users/import", data={"action": "apply", "file_name": "hr.xlsx", "file_data": file_data})
    assert applied.status_code == 200 and "导入完成" in applied.get_data(as_text=True)
    with db.session() as session:
        assert org.get_user(session, "zhou.qi").group_codes == {"warehouse"}


def test_the_import_benchmark_runs():
    """bench/user_import.py at its smoke-test size, on every backend it finds (figures only, no timing)."""
    from bench import user_import as bench
    result = bench.run("tiny")
    for figures in result["results"]:
        row = figures["sizes"][50]
        assert (row["created"], row["refused"], row["unchanged_after"]) == (45, 5, 45)
    assert "dry run s" in bench.describe(result)
