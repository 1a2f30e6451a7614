"""The console pages for process owners: versions with running cases, upload/validate/publish, editor page,
diff and migration pages, the editors' front-end packages — and nobody else may use them."""
import io
import json
import re

import pytest

from app.services.cases import instances
from conftest import FIXTURES
from tests.web_helpers import login

COMP = FIXTURES / "console" / "compensation"


def _files(**replace):
    files = {p.name: p.read_bytes() for p in COMP.iterdir()}
    for name, (old, new) in replace.items():
        files[name] = files[name].replace(old.encode(), new.encode())
    return files


def _upload(client, files, action, **form):
    data = {"files": [(io.BytesIO(c), n) for n, c in files.items()], "action": action, **form}
    return client.post("/console/upload", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("username", ["sales", "auditor", "admin"])
def test_only_process_owners_may_use_the_console(client, username):
    login(client, username)
    for url in ("/console/", "/console/loop_review/edit", "/console/loop_review/diff", "/console/loop_review/migrate"):
        assert client.get(url).status_code == 403, url
    assert _upload(client, _files(), "publish").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/console/").status_code == 302


def test_upload_validate_publish_and_see_versions_with_running_cases(client, db):
    login(client, "process_owner")
    bad = _files(**{"complaint_comp.bpmn": ('name="gm_office"', 'name="nobody"')})
    page = _upload(client, bad, "validate")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert 'data-element="approve"' in text and "nobody" in text
    assert "complaint_comp" not in text.split("<tbody>")[1]  # nothing published
    page = _upload(client, _files(), "publish")
    assert page.status_code == 200
    instances.start_instance(db, "complaint_comp", {"case_no": "P1", "amount": 5}, "sales")
    _upload(client, _files(**{"complaint_comp.bpmn": ('name="审批"', 'name="总经理审批"')}), "publish")
    rows = re.findall(r'data-process="complaint_comp" data-version="(\d+)">.*?<td[^>]*><span class="person" title="(\w+)">.*?class="running"[^>]*>(\d+)<',
                      client.get("/console/").get_data(as_text=True), re.S)
    assert rows == [("2", "process_owner", "0"), ("1", "process_owner", "1")]


def test_editor_page_carries_the_working_set_and_serves_its_packages(client, db):
    login(client, "process_owner")
    _upload(client, _files(), "publish")
    page = client.get("/console/complaint_comp/edit").get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="editor-config">(.*?)</script>', page, re.S).group(1))
    assert config["processId"] == "complaint_comp" and config["api"] == "/api/v1"
    assert config["files"] == ["comp_note.schema.json", "comp_start.schema.json", "complaint_comp.bpmn", "complaint_comp.dmn"]
    assert config["locale"] == "zh" and config["messages"]["Name"]
    for url in re.findall(r'(?:src|href)="(/(?:vendor|console/vendor|static)/[^"]+)"', page) + [config["zhUrl"]]:
        assert client.get(url).status_code == 200, url
    assert client.get("/console/vendor/left-pad/index.js").status_code == 404
    assert client.get("/console/vendor/dmn-js/../../package.json").status_code == 404
    assert "gm_office" in page  # lane names offered from the organisation's groups


def test_diff_and_migration_pages(client, db):
    login(client, "process_owner")
    _upload(client, _files(), "publish")
    iid = instances.start_instance(db, "complaint_comp", {"case_no": "M1", "amount": 5}, "sales")
    _upload(client, _files(**{"complaint_comp.dmn": ("&gt; 5000", "&gt; 5000.0")}), "publish")
    diff = client.get("/console/complaint_comp/diff?from=1&to=2").get_data(as_text=True)
    assert "<code>authority</code>" in diff and "审批权限" in diff
    plan = client.get("/console/complaint_comp/migrate").get_data(as_text=True)
    assert f'data-instance="{iid}" class="movable"' in plan
    done = client.post("/console/complaint_comp/migrate", data={"to_version": "2", "instance_id": [str(iid)]})
    assert done.status_code == 200
    assert "版本 2" in done.get_data(as_text=True) or "version 2" in done.get_data(as_text=True)
    with db.session() as session:
        assert instances.instance_dict(session, instances.get_instance(session, iid))["version"] == 2
