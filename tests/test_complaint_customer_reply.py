"""The customer's reply to the result of a complaint (BC-DIR-059 4.6.5: 向客户说明、交涉并将处理结果填入表中;
4.6.8: a customer who does not accept the conclusion gets a new complaint) arrives from the customer's system
as the message complaint_customer_reply (POST /api/v1/messages/complaint_customer_reply, correlated by the
complaint number) - or Sales records it by hand when it comes by phone. On SQLite and PostgreSQL."""
import re

from sqlalchemy import select

from app.models import AuditEvent
from tests.complaint_helpers import desk  # noqa: F401 (fixture)
from tests.test_messages_in import Bearer, _service
from tests.web_helpers import page_session

URL = "/api/v1/messages/complaint_customer_reply"
REPLY = {"customer_accepts": True, "replied_via": "email", "replied_on": "2025-09-30",
         "customer_feedback": "同意折让方案"}


def _told(desk) -> int:
    """An upheld complaint whose approved result Sales has told the customer: it waits for the reply."""
    iid = desk.open()
    desk.to_approval(iid)
    desk.approve(iid, "approve_marketing", "marketing_head")
    desk.do("sales", iid, "sales_inform", {"result_text": "折让 800 元", "informed_via": "letter",
                                           "within_authority": True})
    assert desk.open_names(iid) == {"sales_customer_reply"}
    return iid


def _gateway(api, client):
    admin = api("admin")
    return Bearer(client, _service(admin, "customer-portal", messages=["complaint_customer_reply"])["token"])


def _received(db, iid) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                             AuditEvent.event_type == "message_received")))


def _text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_customers_reply_arrives_by_message(desk, api, client):
    gateway = _gateway(api, client)
    iid = desk.open()
    desk.to_approval(iid)
    complaint_no = desk.case(iid).business_key
    body = {"correlation": {"complaint_no": complaint_no}, "data": REPLY}
    # before Sales has told the customer the result, nobody waits for a reply
    early = gateway.post(URL, json=body, headers={"Idempotency-Key": "reply-early"})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "no_receiver"

    desk.approve(iid, "approve_marketing", "marketing_head")
    desk.do("sales", iid, "sales_inform", {"result_text": "折让 800 元", "informed_via": "letter",
                                           "within_authority": True})
    assert desk.open_names(iid) == {"sales_customer_reply"}
    first = gateway.post(URL, json=body, headers={"Idempotency-Key": "reply-1"})
    assert first.status_code == 200, first.get_json()
    answer = first.get_json()
    assert answer["state"] == "delivered" and answer["instance_id"] == iid and not answer["replayed"]
    # the case moved on: Sales records nothing, the Marketing head reviews the result with the reply
    assert desk.open_names(iid) == {"marketing_review"}
    data = desk.case(iid).case_data
    assert {k: data[k] for k in REPLY} == REPLY

    again = gateway.post(URL, json=body, headers={"Idempotency-Key": "reply-1"})
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert len(_received(desk.db, iid)) == 1 and desk.open_names(iid) == {"marketing_review"}

    # the reply is on the case page under the form's labels, in the page language
    page = _text(page_session(desk.db, client, "sales").get(f"/cases/{iid}").get_data(as_text=True))
    for shown in ("客户接受处理结果", "答复方式", "电子邮件", "同意折让方案"):
        assert shown in page, shown
    assert "replied_via" not in page and "customer_accepts" not in page
    # and in the audit history, the message with what it brought under the same labels
    history = page_session(desk.db, client, "auditor").get(f"/audit/cases/{iid}").get_data(as_text=True)
    [row] = re.findall(r'<tr class="ev-message_received".*?</tr>', history, flags=re.S)
    row = _text(row)
    for shown in ("收到外部系统消息", "客户接受处理结果", "答复方式", "电子邮件", "同意折让方案"):
        assert shown in row, (shown, row)
    assert "customer_accepts" not in row and "replied_via" not in row

    # once answered, a further reply for the same complaint has no receiver
    late = gateway.post(URL, json={**body, "data": {**REPLY, "customer_feedback": "再确认"}},
                        headers={"Idempotency-Key": "reply-2"})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "no_receiver"
    desk.do("marketing_head", iid, "marketing_review", {"review_comment": "已核阅"})
    assert desk.open_names(iid) == {"sales_allowance"}  # accepted: the allowance is issued


def test_a_refusal_by_message_closes_and_raises_a_new_complaint(desk, api, client):
    """BC-DIR-059 4.6.8: the customer does not accept the conclusion: the case closes and a new complaint is
    raised with the customer's words."""
    gateway = _gateway(api, client)
    iid = _told(desk)
    complaint_no = desk.case(iid).business_key
    reply = {"customer_accepts": False, "replied_via": "portal", "customer_feedback": "折让金额不足"}
    response = gateway.post(URL, json={"correlation": {"business_key": complaint_no}, "data": reply},
                            headers={"Idempotency-Key": "reply-no"})
    assert response.status_code == 200, response.get_json()
    desk.do("marketing_head", iid, "marketing_review", {"review_comment": "已核阅"})
    assert desk.open_names(iid) == {"quality_close"}
    desk.close(iid)
    [child] = desk.children(iid)
    assert child.case_data["original_complaint_no"] == complaint_no
    assert "折让金额不足" in child.case_data["grounds"]


def test_bad_reply_data_is_refused_and_changes_nothing(desk, api, client):
    gateway = _gateway(api, client)
    iid = _told(desk)
    bad = gateway.post(URL, json={"correlation": {"complaint_no": desk.case(iid).business_key},
                                  "data": {"customer_accepts": "yes", "replied_via": "fax"}},
                       headers={"Idempotency-Key": "reply-bad"})
    assert bad.status_code == 422
    assert {"customer_accepts", "replied_via"} <= set(bad.get_json()["error"]["field_errors"])
    assert desk.open_names(iid) == {"sales_customer_reply"} and not _received(desk.db, iid)


def test_sales_records_a_reply_by_phone_and_the_message_is_then_refused(desk, api, client):
    gateway = _gateway(api, client)
    iid = _told(desk)
    desk.reply(iid, accepts=True, feedback="电话确认接受", via="phone")
    assert desk.open_names(iid) == {"marketing_review"}
    assert desk.case(iid).case_data["customer_feedback"] == "电话确认接受"
    late = gateway.post(URL, json={"correlation": {"complaint_no": desk.case(iid).business_key}, "data": REPLY},
                        headers={"Idempotency-Key": "reply-late"})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "no_receiver"
    assert desk.case(iid).case_data["customer_feedback"] == "电话确认接受"
