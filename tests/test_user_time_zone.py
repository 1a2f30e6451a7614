"""One clock: a person chooses a time zone on their settings page, and every time shown to them — case page,
audit history, exports, the printable report, e-mails — is in that zone; everyone else keeps China time.
The published-versions pages show times through the same filter as every other audit page."""
import csv
import io
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from app import clock
from app.models import AdminAuditEvent, User
from app.services.organisation import org

from audit_helpers import login, run_basic_case

INSTANT = datetime(2026, 11, 28, 23, 30)  # UTC: 07:30 on the 29th in China, 00:30 on the 29th in Berlin


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.set_now(None)


def _zone(db, username):
    with db.session() as session:
        return session.scalar(select(User.timezone).where(User.username == username))


def test_the_settings_page_offers_readable_zones_with_china_time_first_and_refuses_others(client, db):
    login(client, "auditor")
    page = client.get("/account/settings").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="timezone".*?</select>', page, re.S).group(0)
    options = re.findall(r'<option value="([^"]+)"([^>]*)>([^<]+)</option>', select_html)
    assert options[0][0] == "Asia/Shanghai" and "selected" in options[0][1]  # the company zone by default
    assert options[0][2] == "北京时间 (UTC+8)"
    assert ("Europe/Berlin", "中欧（柏林） (UTC+1/+2)") in [(zone, name) for zone, _sel, name in options]
    assert not any(re.search(r"[A-Za-z]+/[A-Za-z]", name) for _z, _sel, name in options)  # not IANA codes

    refused = client.post("/account/settings", data={"locale": "zh", "timezone": "Mars/Olympus"})
    assert refused.status_code == 422 and "请从列表中选择时区" in refused.get_data(as_text=True)
    assert _zone(db, "auditor") is None  # nothing changed


def test_a_zone_change_is_in_the_administrative_trail(client, db):
    login(client, "auditor")
    saved = client.post("/account/settings", data={"locale": "zh", "timezone": "Europe/Berlin"})
    assert saved.status_code == 302
    assert _zone(db, "auditor") == "Europe/Berlin"
    with db.session() as session:
        event = session.scalars(select(AdminAuditEvent).where(AdminAuditEvent.object_id == "auditor")
                                .order_by(AdminAuditEvent.id.desc())).first()
        assert (event.actor, event.action) == ("auditor", "user.changed")
        assert event.before == {"timezone": None} and event.after == {"timezone": "Europe/Berlin"}
    page = client.get("/account/settings").get_data(as_text=True)
    assert re.search(r'<option value="Europe/Berlin" selected', page)


def _everything_shown(client, iid) -> dict[str, str]:
    history = client.get(f"/audit/cases/{iid}/history.csv").data.decode("utf-8-sig")
    cases = client.get("/audit/export/cases.csv").data.decode("utf-8-sig")
    return {"case page": client.get(f"/cases/{iid}").get_data(as_text=True),
            "audit history": client.get(f"/audit/cases/{iid}").get_data(as_text=True),
            "printable report": client.get(f"/audit/cases/{iid}/report").get_data(as_text=True),
            "history export": history, "case export": cases,
            "history started": next(r for r in csv.reader(io.StringIO(history)) if r and r[0] == "1")[1],
            "case started": list(csv.reader(io.StringIO(cases)))[1]}


def test_the_same_event_shows_at_berlin_time_for_a_berlin_user_and_china_time_for_everyone_else(app, db, published):
    clock.set_now(INSTANT)
    iid = run_basic_case(db)
    clock.set_now(None)
    berlin = login(app.test_client(), "auditor")
    assert berlin.post("/account/settings", data={"locale": "zh", "timezone": "Europe/Berlin"}).status_code == 302
    with db.session() as session:
        org.create_user(session, "auditor_cn", "pw", roles=["auditor"])  # no zone of their own
    china = login(app.test_client(), "auditor_cn", "pw")

    seen_in_berlin, seen_in_china = _everything_shown(berlin, iid), _everything_shown(china, iid)
    for where in ("case page", "audit history", "printable report"):
        assert "2026/11/29 00:30" in seen_in_berlin[where], where
        assert "07:30" not in seen_in_berlin[where], where
        assert "2026/11/29 07:30" in seen_in_china[where], where
        assert "00:30" not in seen_in_china[where], where
    assert seen_in_berlin["history started"] == "2026-11-29 00:30:00"
    assert seen_in_china["history started"] == "2026-11-29 07:30:00"
    assert "2026-11-29 00:30:00" in seen_in_berlin["case started"]
    assert "2026-11-29 07:30:00" in seen_in_china["case started"]


def test_an_e_mail_gives_the_due_time_in_the_recipients_zone(app, db):
    from app.models import OutboxMessage
    from app.services.notifications import mailer
    row = OutboxMessage(kind="overdue", title="评审", business_key="C-9", due_at=INSTANT)
    with app.app_context(), mailer._in_locale("zh"):  # as the worker writes to a Chinese reader
        china = mailer._line(row, User(username="a", locale="zh", timezone=None))
        berlin = mailer._line(row, User(username="b", locale="zh", timezone="Europe/Berlin"))
    assert "2026/11/29 07:30" in china and "北京时间" in china
    assert "2026/11/29 00:30" in berlin and "中欧（柏林）" in berlin and "07:30" not in berlin


ISO_OR_UTC = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\bUTC\b|[+-]\d{2}:\d{2}\b|\d{2}:\d{2}:\d{2}\.\d+")


def test_audit_pages_show_no_iso_or_utc_times(client, db, published):
    clock.set_now(INSTANT)
    iid = run_basic_case(db)
    clock.set_now(None)
    login(client, "auditor")
    with db.session() as session:
        from app.models import ProcessVersion
        version_id = session.scalar(select(ProcessVersion.id))
    pages = ["/audit/", "/audit/versions", f"/audit/versions/{version_id}", f"/audit/cases/{iid}",
             f"/audit/cases/{iid}/report", "/audit/dashboard", "/audit/verify"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = re.sub(r"<(script|style)\b.*?</\1>", "", response.get_data(as_text=True), flags=re.S)
        visible = re.sub(r"<[^>]+>", " ", text)
        assert not ISO_OR_UTC.search(visible), (url, ISO_OR_UTC.search(visible).group(0))
    versions = client.get("/audit/versions").get_data(as_text=True)
    assert re.search(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}", versions)  # published at, in China time
    assert "loop_review" not in re.sub(r"<[^>]+>", " ", versions)  # the process by its name, not its id
