"""JSON API, versioned under /api/v1. Thin: parses requests, calls services, renders JSON."""
from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

from ..services.errors import ServiceError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError):
    body = {"error": {"code": exc.code, "message": exc.message, **exc.details}}
    return jsonify(body), exc.status


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    return jsonify({"error": {"code": code, "message": exc.description}}), exc.code


from . import auth, instances, openapi, processes, tasks  # noqa: E402,F401  (route registration)
