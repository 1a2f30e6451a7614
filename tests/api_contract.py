"""Every JSON response the test suite receives from /api/v1 is checked against the OpenAPI document:
a success status must be documented for its route and its body must match the documented schema; an error
body must be the documented Error object. Installed on every test app by the `app` fixture (conftest.py);
validators are compiled once per operation and status, so the check is cheap."""
import re

from jsonschema import Draft202012Validator, FormatChecker

from app.api.openapi import SPEC

PREFIX = "/api/v1"
_ROUTES: list[tuple[re.Pattern, str]] = []
_VALIDATORS: dict = {}


def _routes():
    if not _ROUTES:
        templates = sorted(SPEC["paths"], key=lambda p: (p.count("{"), -len(p)))  # literal routes first
        for template in templates:
            pattern = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"
            _ROUTES.append((re.compile(pattern), template))
    return _ROUTES


def route_of(path: str) -> str | None:
    for pattern, template in _routes():
        if pattern.match(path):
            return template
    return None


def _validator(template: str, method: str, status: int):
    key = (template, method, status)
    if key not in _VALIDATORS:
        op = SPEC["paths"][template].get(method) or {}
        responses = op.get("responses") or {}
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if response is None and status >= 400:
            response = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        schema = (((response or {}).get("content") or {}).get("application/json") or {}).get("schema")
        if response is None:
            _VALIDATORS[key] = None
        elif schema is None:
            _VALIDATORS[key] = False  # documented without a JSON body
        else:
            root = {"components": SPEC["components"], "allOf": [schema]}
            _VALIDATORS[key] = Draft202012Validator(root, format_checker=FormatChecker())
    return _VALIDATORS[key]


def problems_of(method: str, path: str, status: int, content_type: str, body) -> list[str]:
    """What is wrong with one response against the document ([] when it conforms or the route is one the
    document does not describe - tests/test_api_contract.py checks every route is described)."""
    if not path.startswith(PREFIX + "/"):
        return []
    template = route_of(path[len(PREFIX):])
    if template is None or method.lower() not in SPEC["paths"][template]:
        return []
    validator = _validator(template, method.lower(), status)
    where = f"{method} {path} -> {status}"
    if validator is None:
        return [f"{where}: status {status} is not documented for {method} {template}"]
    if validator is False or "json" not in (content_type or ""):
        return []
    return [f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}"[:400]
            for e in validator.iter_errors(body)][:5]


def watch(app) -> list[str]:
    """Check every API response of this app; the returned list collects what did not conform."""
    found: list[str] = []

    @app.after_request
    def check_response(response):
        from flask import request
        if request.path.startswith(PREFIX + "/") and not response.direct_passthrough:
            body = response.get_json(silent=True) if response.is_json else None
            found.extend(problems_of(request.method, request.path, response.status_code, response.content_type,
                                     body))
        return response

    return found
