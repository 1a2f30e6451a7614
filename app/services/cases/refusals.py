"""Business refusals declared on a user task: ``refuseWhen`` (an expression on the task's data and the
submitted form) and ``refuseMessage`` (the reason shown). A refused submission completes nothing.

Example (BC-DIR-059 4.9.4): Finance may not book a credit when the returned quantity differs from the
approved one: refuseWhen = ``credit_action == "book" and received_quantity != return_quantity``.
"""
from ...engine import runner
from ...i18n import _
from ..errors import StepFailed, ValidationFailed


def check(live, task_id: str, props: dict, data: dict) -> None:
    expression = (props or {}).get("refuseWhen")
    if not expression:
        return
    try:
        refused = runner.evaluate_for_task(live, task_id, expression, data)
    except runner.TaskNotReady:
        return  # completing reports that the task is no longer waiting
    except runner.EngineError as exc:
        raise StepFailed(_("The refusal rule of this step could not be checked: %(msg)s", msg=exc.message),
                         element_id=exc.element_id) from exc
    if refused:
        reason = props.get("refuseMessage") or expression
        raise ValidationFailed(_("Refused: %(reason)s", reason=reason), {"_form": [reason]}, code="rule_refused")
