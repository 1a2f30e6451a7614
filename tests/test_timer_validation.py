"""A timer expression that cannot be evaluated is refused when the diagram is published, with the element
and the reason; an expression that needs case data is accepted."""
import pytest

from app.services.modelling import publishing
from app.services.errors import PublishRefused

from deadline_helpers import (  # noqa: F401  (fixtures)
    TIMER_FIXTURES, USE, real_clock_afterwards, no_outside_smtp,
)

pytestmark = [USE, pytest.mark.parametrize("backend", ["sqlite"])]  # parsing, not storage

GOOD = b'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">deadline("PT240H", received_at)</bpmn:timeDate>'


def _publish(db, timer_xml: bytes):
    sources = publishing.collect_paths([TIMER_FIXTURES], None)
    text = sources.bpmn["complaint_sla.bpmn"]
    assert GOOD in text
    sources.bpmn["complaint_sla.bpmn"] = text.replace(GOOD, timer_xml)
    with db.session() as session:
        return publishing.publish(session, sources, "process_owner", check_only=True)


def _date(expression: str) -> bytes:
    return f'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDate>'.encode()


def _duration(expression: str) -> bytes:
    return f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDuration>'.encode()


@pytest.mark.parametrize("timer_xml", [
    _date('deadline("P10D", received_at)'),  # case data: known when the case runs
    _date('deadline("2WD")'),
    _date('"2026-03-01T09:00:00+08:00"'),
    _duration('"PT24H"'),
    _duration('"P15D" if overseas else "P10D"'),
])
def test_valid_timer_expressions_are_accepted(db, timer_xml):
    assert {r["process_id"] for r in _publish(db, timer_xml)} == {"complaint_sla", "first_reply"}


@pytest.mark.parametrize("timer_xml, reason", [
    (_date('deadline("P10X", received_at)'), "P10X"),
    (_date('deadline("ten days")'), "ten days"),
    (_date('deadlin("P10D")'), "unknown function deadlin()"),
    (_date('deadline("P10D"'), "SyntaxError"),
    (_date('"soon"'), "soon"),
    (_duration('deadline("2WD")'), "is not an ISO 8601 duration"),  # a date where a duration belongs
    (_duration('str(24) + " hours"'), "'24 hours' is not an ISO 8601 duration"),
    (_date('1 / 0'), "ZeroDivisionError"),
])
def test_a_timer_that_cannot_be_evaluated_is_refused_at_publish_time(db, timer_xml, reason):
    with pytest.raises(PublishRefused) as refused:
        _publish(db, timer_xml)
    [problem] = refused.value.problems
    assert problem["file"] == "complaint_sla.bpmn" and problem["element_id"] == "commitment"
    assert reason in problem["message"]
