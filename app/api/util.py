from flask import request

from ..i18n import _
from ..services.errors import ServiceError


def json_body() -> dict:
    body = request.get_json(silent=True)
    if body is None:
        if request.content_length:
            raise ServiceError(_("The request body is not valid JSON."))
        return {}
    if not isinstance(body, dict):
        raise ServiceError(_("The request body must be a JSON object."))
    return body


def flag(name: str) -> bool | None:
    value = request.args.get(name)
    if value is None:
        return None
    return value.lower() in ("1", "true", "yes")
