"""The printable case report as a real PDF for auditors who file evidence: the same report, Chinese text set in
embedded CJK fonts and readable back from the file; staff cannot download it."""
import io

import pytest
from pypdf import PdfReader

from app.services.audit import pdf_report
from tests.audit_helpers import login
from tests.complaint_helpers import desk  # noqa: F401 (fixture)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(page.extract_text() for page in reader.pages)


def _fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_auditor_downloads_the_case_report_as_pdf_with_chinese(desk, client):
    iid = desk.open(origin="domestic", received_on="2025-09-28")
    login(client, "auditor")
    case_page = client.get(f"/audit/cases/{iid}").get_data(as_text=True)
    assert f'href="/audit/cases/{iid}/report.pdf"' in case_page and "报告（PDF）" in case_page
    report_page = client.get(f"/audit/cases/{iid}/report").get_data(as_text=True)
    assert f'href="/audit/cases/{iid}/report.pdf"' in report_page and "下载 PDF" in report_page
    response = client.get(f"/audit/cases/{iid}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f'case-{iid}-report.pdf' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"%PDF-")
    text = _text(response.data)
    assert f"案件报告 #{iid}" in text.replace("\n", " ")
    assert "武汉重工机械有限公司" in text and "刃口崩裂" in text  # what Sales entered, in Chinese
    assert any("CJK" in name for name in _fonts(response.data))


def test_staff_cannot_download_the_pdf(desk, client):
    iid = desk.open()
    login(client, "sales")
    assert client.get(f"/audit/cases/{iid}/report.pdf").status_code == 403


def test_the_renderer_reads_only_the_products_own_files(tmp_path):
    (tmp_path / "a.css").write_text("body { color: red }")
    (tmp_path.parent / "secret.css").write_text("x")
    fetch = pdf_report.local_fetcher({"/static/": tmp_path})
    assert "string" in fetch("http://localhost/static/a.css") or "file_obj" in fetch("http://localhost/static/a.css")
    for url in ("http://localhost/static/../secret.css", "http://example.com/evil.css", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetch(url)
