"""The OpenAPI 3.1 description of the JSON API."""
from . import bp

_ERROR = {"$ref": "#/components/schemas/Error"}


def _op(summary, *, body=None, responses=None, params=None, auth=True):
    op = {"summary": summary, "responses": {"200": {"description": "OK"}}}
    for code, desc in (responses or {}).items():
        op["responses"][str(code)] = {"description": desc, "content": {"application/json": {"schema": _ERROR}}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    if not auth:
        op["security"] = []
    return op


def _path_param(name, kind="string"):
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _query(name, kind="string"):
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}}


DATA_BODY = {"type": "object", "properties": {"data": {"type": "object"}}}

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Workflow inbox API", "version": "1.0.0"},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": {"type": "object", "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "field_errors": {"type": "object"}, "problems": {"type": "array"}}}}}},
    },
    "paths": {
        "/auth/token": {"post": _op("Exchange username and password for a bearer token", auth=False, body={
            "type": "object", "required": ["username", "password"],
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}}},
            responses={401: "wrong credentials"})},
        "/processes": {"get": _op("Processes and their versions", responses={401: "not signed in"})},
        "/processes/{process_id}/instances": {"post": _op(
            "Start an instance with the start form's data", body=DATA_BODY, params=[_path_param("process_id")],
            responses={401: "not signed in", 404: "no such process", 422: "invalid start data"})},
        "/tasks": {"get": _op("The caller's tasks and their groups' unclaimed tasks", params=[
            _query("process"), _query("state"), _query("overdue", "boolean"), _query("business_key"),
            _query("scope"), _query("limit", "integer"), _query("offset", "integer")],
            responses={401: "not signed in"})},
        "/tasks/{task_id}": {"get": _op("A task with its form's JSON Schema", params=[_path_param("task_id")],
                                        responses={403: "not allowed", 404: "no such task"})},
        "/tasks/{task_id}/claim": {"post": _op("Claim a task", params=[_path_param("task_id")],
                                               responses={403: "not allowed", 409: "already taken"})},
        "/tasks/{task_id}/unclaim": {"post": _op("Release a claimed task", params=[_path_param("task_id")],
                                                 responses={403: "not allowed", 409: "not claimed"})},
        "/tasks/{task_id}/complete": {"post": _op(
            "Complete a task with its form's data", body=DATA_BODY, params=[_path_param("task_id")],
            responses={403: "not allowed", 409: "completed concurrently", 422: "form errors"})},
        "/instances/{instance_id}": {"get": _op("A case", params=[_path_param("instance_id", "integer")],
                                                responses={404: "no such case"})},
        "/instances/{instance_id}/events": {"get": _op(
            "A case's audit events", params=[_path_param("instance_id", "integer")],
            responses={404: "no such case"})},
    },
}


@bp.get("/openapi.json")
def openapi():
    return SPEC
