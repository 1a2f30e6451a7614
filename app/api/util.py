from flask import request

from ..i18n import _
from ..services.errors import ServiceError
from ..services.modelling.forms import not_finite


def json_body() -> dict:
    body = request.get_json(silent=True)
    if body is None:
        if request.content_length:
            raise ServiceError(_("The request body is not valid JSON."))
        return {}
    if not isinstance(body, dict):
        raise ServiceError(_("The request body must be a JSON object."))
    if any(not_finite(body)):  # NaN / Infinity: accepted by Python's JSON reader, not JSON, not storable
        raise ServiceError(_("The request body is not valid JSON."))
    return body


def flag(name: str) -> bool | None:
    value = request.args.get(name)
    if value is None:
        return None
    return value.lower() in ("1", "true", "yes")


def count_arg(name: str, default: int, maximum: int) -> int:
    """A non-negative whole number from the query string (larger ones count as maximum), or a clear 400."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ServiceError(_("%(name)s must be a whole number of at least 0.", name=name))
    return min(value, maximum)
