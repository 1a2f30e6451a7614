"""JSON API, versioned under /api/v1. Thin: parses requests, calls services, renders JSON."""
import logging

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import Conflict as HTTPConflict, HTTPException, InternalServerError, ServiceUnavailable

from ..services.errors import ServiceError, database_refusal

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError):
    body = {"error": {"code": exc.code, "message": exc.message, **exc.details}}
    return jsonify(body), exc.status


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    return jsonify({"error": {"code": code, "message": exc.description}}), exc.code


def wants_json() -> bool:
    return request.path.startswith(bp.url_prefix + "/")


def register_app_handlers(app):
    """Errors outside the blueprint's views (unknown URL, wrong method, crash) are JSON under /api/v1 too."""

    @app.errorhandler(HTTPException)
    def any_http_error(exc: HTTPException):
        if wants_json():
            return http_error(exc)
        return exc

    @app.errorhandler(Exception)
    def crash(exc: Exception):
        if isinstance(exc, HTTPException):
            return any_http_error(exc)
        refusal = database_refusal(exc)  # a held row or no database: 409/503 with a message, never a 500
        if refusal is not None:
            logging.getLogger(__name__).warning("%s on %s: %s", refusal.code, request.path, exc.__class__.__name__)
            if wants_json():
                return service_error(refusal)
            return (ServiceUnavailable if refusal.status == 503 else HTTPConflict)(refusal.message)
        logging.getLogger(__name__).exception("unhandled error on %s", request.path)
        if wants_json():
            return jsonify({"error": {"code": "internal_error",
                                      "message": "internal error; the change was not applied"}}), 500
        return InternalServerError()


from . import auth, instances, openapi, processes, tasks  # noqa: E402,F401  (route registration)
from . import escalations  # noqa: E402,F401  (escalations and notification settings)
from . import models  # noqa: E402,F401  (model files, versions, migrations)
from . import admin  # noqa: E402,F401  (users, departments, own password and tokens)
from . import cases_list, integration  # noqa: E402,F401  (case list, webhooks, messages, service accounts)
from . import contract  # noqa: E402,F401  (response schemas and error codes of the OpenAPI document)
from . import operations  # noqa: E402,F401  (incidents and case control)
from . import calendar  # noqa: E402,F401  (the company calendar)
