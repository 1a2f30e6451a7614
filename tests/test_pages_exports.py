"""Exports speak the business's language: the auditor's case list and a case's history (xlsx and CSV)
hold no enum code, process id, element id or UTC/ISO timestamp — labels, names and China times instead;
internal variables (fields no form declares) only in their own labelled column of the history."""
import csv
import io
import re
from datetime import datetime

from openpyxl import load_workbook

from tests import page_checks
from tests.complaint_helpers import ComplaintDesk, publish_complaints
from tests.web_helpers import login

ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|[+-]00:00\b|\d{2}:\d{2}:\d{2}\.\d+")


def _cells_csv(body: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


def _cells_xlsx(body: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(body)).active
    # date cells are typed (shown with the cell's yyyy-mm-dd hh:mm format), text cells as written
    return [c.value.strftime("%Y-%m-%d %H:%M") if isinstance(c.value, datetime) else str(c.value)
            for row in sheet.iter_rows() for c in row if c.value is not None]


def _codes_in(cells: list[str], codes: set[str]) -> list[str]:
    found = []
    for cell in cells:
        found += [c for c in codes if re.search(rf"(?<![\w/.-]){re.escape(c)}(?![\w/.-])", cell)]
    return sorted(set(found))


def test_exports_hold_labels_names_and_china_times(app, db):
    publish_complaints(db)
    desk = ComplaintDesk(db)
    first = desk.open(channel="email", origin="domestic", claimed_amount=12345.6)
    desk.accept(first, cause="quality")
    desk.open(customer="第二客户")
    # auditors see internal variables too, in their own labelled column; everything else is labelled
    codes = page_checks.engine_identifiers(db, undeclared=False) | {"email", "domestic", "complaint_handling", "running"}
    auditor = login(app.test_client(), "auditor")
    exports = {path: auditor.get(path) for path in (
        "/audit/export/cases.csv", "/audit/export/cases.xlsx",
        f"/audit/cases/{first}/history.csv", f"/audit/cases/{first}/history.xlsx")}
    for path, response in exports.items():
        assert response.status_code == 200, path
        cells = _cells_csv(response.data) if path.endswith(".csv") else _cells_xlsx(response.data)
        assert cells, path
        assert not _codes_in(cells, codes), (path, _codes_in(cells, codes))
        assert not [c for c in cells if ISO.search(c)], (path, [c for c in cells if ISO.search(c)][:5])
    history = " ".join(_cells_csv(exports[f"/audit/cases/{first}/history.csv"].data))
    assert "客户投诉处理" in " ".join(_cells_csv(exports["/audit/export/cases.csv"].data))
    assert "电子邮件" in history or "邮件" in history  # the option's title, not "email"
    assert "¥12,345.60" in history  # money as money
    assert "业务部员工" in history  # people by name
