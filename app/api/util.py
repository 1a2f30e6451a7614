from urllib.parse import urlencode

from flask import request

from ..i18n import _
from ..services.cases.listing import BadParameter, whole_number
from ..services.errors import ServiceError
from ..services.modelling.forms import not_finite


def json_body() -> dict:
    try:
        return _json_body()
    except RecursionError:  # thousands of nested levels: refused before anything looks at it
        raise ServiceError(_("The request body is nested too deeply."), code="invalid_data") from None


def _json_body() -> dict:
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


def page_args(default: int = 50, maximum: int = 200) -> tuple[int, int]:
    """limit (1..maximum) and offset (0..) from the query string, or a 400 naming the parameter."""
    limit = request.args.get("limit")
    offset = request.args.get("offset")
    return (whole_number("limit", limit, 1, maximum) if limit not in (None, "") else default,
            whole_number("offset", offset, 0, 10**9) if offset not in (None, "") else 0)


def next_link(limit: int, offset: int, total: int) -> str | None:
    """The URL of the next page (same filters), or None on the last page."""
    if offset + limit >= total:
        return None
    args = request.args.to_dict(flat=True)
    args.update(limit=str(limit), offset=str(offset + limit))
    return request.base_url + "?" + urlencode(args)


def cursor_link(cursor: str | None) -> str | None:
    """The URL of the next page of a keyset-paged list (same filters and limit, the cursor instead of an
    offset), or None on the last page."""
    if cursor is None:
        return None
    args = request.args.to_dict(flat=True)
    args.pop("offset", None)
    args["cursor"] = cursor
    return request.base_url + "?" + urlencode(args)


def check_known_args(known: tuple[str, ...]) -> None:
    """Every query parameter must be one the route reads: an unknown one is a 400 naming it."""
    for name in request.args:
        if name not in known:
            raise BadParameter(name, _("Unknown query parameter: %(name)s", name=name), code="unknown_parameter")
        if len(request.args.getlist(name)) > 1:
            raise BadParameter(name, _("%(name)s is given more than once.", name=name))
