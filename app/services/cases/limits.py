"""Case data a client hands in (start data, task data, corrections): a JSON object, at most 64 levels deep,
within the size budget, with nothing PostgreSQL or JSON cannot store — else a 400 in the user's language
naming the field, and nothing changes. The rule itself lives in app/engine/budget.py (one rule for what
clients send and what scripts leave)."""
from ...engine import budget
from ...i18n import _
from ..errors import ServiceError

_MESSAGES = {
    "not_object": lambda e: _("The data must be a JSON object (field names and values)."),
    "too_deep": lambda e: _("The data is nested more than %(n)s levels deep.", n=budget.MAX_DEPTH),
    "too_large": lambda e: _("The data is larger than the allowed %(kb)s KB.", kb=budget.size_budget() // 1024),
    "bad_text": lambda e: _("The field %(field)s contains a character that cannot be stored "
                            "(NUL or an unpaired surrogate).", field=e.field),
    "bad_key": lambda e: _("A field name cannot be stored: %(field)s", field=e.field or "-"),
    "not_finite": lambda e: _("The field %(field)s is not a finite number.", field=e.field),
    "not_json": lambda e: _("The field %(field)s holds a value that cannot be stored as JSON.", field=e.field or "-"),
}


def check_case_data(data) -> dict:
    """The data, if it can be stored as case data; else ServiceError (400, code invalid_data, field)."""
    try:
        budget.check_data(data)
    except budget.DataRefused as exc:
        message = _MESSAGES.get(exc.kind, _MESSAGES["not_json"])(exc)
        raise ServiceError(message, code="invalid_data", field=exc.field) from None
    return data

