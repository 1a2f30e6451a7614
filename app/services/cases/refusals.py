"""Business refusals declared on a user task: ``refuseWhen`` (an expression on the task's data and the
submitted form) and ``refuseMessage`` (the reason shown). A refused submission completes nothing.

Example (BC-DIR-059 4.9.4): Finance may not book a credit when the returned quantity differs from the
approved one: refuseWhen = ``credit_action == "book" and received_quantity != return_quantity``.
Several rules on one task: ``refuseWhen2``/``refuseMessage2`` and so on; every rule that holds is named.
"""
from ...engine import runner
from ...i18n import _
from ..errors import StepFailed, ValidationFailed


def rules(props: dict) -> list[tuple[str, str]]:
    """(expression, message) of every refusal rule: refuseWhen/refuseMessage, refuseWhen2/refuseMessage2, ..."""
    props = props or {}
    return [(props[name], props.get("refuseMessage" + name[len("refuseWhen"):]) or props[name])
            for name in sorted(props) if name.startswith("refuseWhen") and props[name]]


def check(live, task_id: str, props: dict, data: dict) -> None:
    """Refuse the submission when any rule holds, naming every rule that does."""
    reasons = []
    for expression, message in rules(props):
        try:
            refused = runner.evaluate_for_task(live, task_id, expression, data)
        except runner.TaskNotReady:
            return  # completing reports that the task is no longer waiting
        except runner.EngineError as exc:
            raise StepFailed(_("The refusal rule of this step could not be checked: %(msg)s", msg=exc.message),
                             element_id=exc.element_id) from exc
        if refused:
            reasons.append(message)
    if reasons:
        raise ValidationFailed(_("Refused: %(reason)s", reason="; ".join(reasons)), {"_form": reasons},
                               code="rule_refused")
