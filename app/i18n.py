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
