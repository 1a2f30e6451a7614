"""Translation helpers usable inside and outside a request."""
from flask import has_app_context
from flask_babel import gettext as _babel_gettext


def _(message: str, **kwargs) -> str:
    if has_app_context():
        try:
            return _babel_gettext(message, **kwargs)
        except (KeyError, RuntimeError):
            pass
    return message % kwargs if kwargs else message


def current_locale() -> str:
    """The page language of the current request ("zh" or "en"); "zh" outside a request."""
    from flask import has_request_context
    from flask_babel import get_locale
    if has_request_context():
        return "en" if str(get_locale() or "zh").startswith("en") else "zh"
    return "zh"
