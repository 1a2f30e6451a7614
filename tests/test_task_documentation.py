"""The rule a step follows is shown on its task page as the diagram documents it, minus the engine's words:
staff read the regulation it cites, a declared field under its form label, and no internal variable names,
decision-table ids or diagram property names."""
import re

from app.models import ProcessInstance, ProcessVersion
from app.services.labels import staff_text
from tests.complaint_helpers import ComplaintDesk, publish_complaints
from tests.web_helpers import page_session

INTERNAL = ("internal_due_at", "customer_priority", "commitment_due_at", "commitment_breached_at", "dueIn",
            "caseDeadlineField", "[decision]", "DMN")


def _documentation(html: str) -> str:
    found = re.search(r'<p class="doc[^"]*"[^>]*>(.*?)</p>', html, re.S)
    assert found, "the task page shows the step's documentation"
    return found.group(1)


def test_the_quality_intake_page_cites_the_regulation_without_internal_variable_names(app, db):
    publish_complaints(db)
    desk = ComplaintDesk(db)
    case = desk.open()
    task = desk.open_tasks(case)["quality_accept"]
    with db.session() as session:
        version = session.get(ProcessVersion, session.get(ProcessInstance, case).version_id)
        authored = version.task_catalog["quality_accept"]["documentation"]
    assert "internal_due_at" in authored and "customer_priority" in authored  # what the modeller wrote
    page = page_session(db, app.test_client(), "quality").get(f"/tasks/{task.id}").get_data(as_text=True)
    shown = _documentation(page)
    assert "BC-DIR-059 4.6.4" in shown and "4.7.1 自受理起6天内结案（内部目标；重点顾客更短）" in shown
    for word in INTERNAL:
        assert word not in shown, word


def test_declared_fields_read_as_their_labels_and_the_rest_leaves_no_stray_punctuation():
    text = ("BC-DIR-059 4.6.8：附原投诉表（original_complaint_no）。接到日期（received_on）为中国日期 today()，"
            "超期时间（commitment_breached_at，审计记录 timer_fired 与升级记录）。[decision] DMN complaint_routing。"
            "分送规则（决策表 complaint_routing 的结果）；各步时限见各任务 dueIn（BC-DIR-059 4.7.2）。")
    shown = staff_text(text, {"original_complaint_no": "原投诉编号", "received_on": "接到日期"})
    assert shown == ("BC-DIR-059 4.6.8：附原投诉表（原投诉编号）。接到日期为中国日期，"
                     "超期时间（审计记录与升级记录）。分送规则（决策表的结果）；各步时限见各任务（BC-DIR-059 4.7.2）。")
