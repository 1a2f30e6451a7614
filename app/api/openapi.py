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
ASSIGNEE_BODY = {"type": "object", "required": ["assignee"],
                 "properties": {"assignee": {"type": "string", "description": "username"}}}

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
            _query("scope"), _query("limit", "integer"), _query("offset", "integer"),
            {**_query("cursor"), "description": "the position after the previous page, as given in its `next` "
                                                "link (opaque; not with offset or instance_id)"}],
            responses={401: "not signed in"})},
        "/tasks/{task_id}": {"get": _op("A task with its form's JSON Schema", params=[_path_param("task_id")],
                                        responses={403: "not allowed", 404: "no such task"})},
        "/tasks/{task_id}/claim": {"post": _op("Claim a task", params=[_path_param("task_id")],
                                               responses={403: "not allowed", 409: "already taken"})},
        "/tasks/{task_id}/unclaim": {"post": _op("Release a claimed task", params=[_path_param("task_id")],
                                                 responses={403: "not allowed", 409: "not claimed"})},
        "/tasks/{task_id}/reassign": {"post": _op(
            "A head of the task's department gives it to a member (to the substitute of an absent member)",
            params=[_path_param("task_id")], body=ASSIGNEE_BODY,
            responses={400: "the assignee may not do this task", 403: "not a head of the department",
                       404: "no such task", 409: "the task is no longer waiting"})},
        "/tasks/{task_id}/delegate": {"post": _op(
            "The holder hands the task to a colleague (to the substitute of an absent colleague)",
            params=[_path_param("task_id")], body=ASSIGNEE_BODY,
            responses={400: "the assignee may not do this task", 403: "not the holder", 404: "no such task",
                       409: "the task is no longer waiting"})},
        "/tasks/{task_id}/complete": {"post": _op(
            "Complete a task with its form's data; the answer's next_tasks are the case's open tasks the caller "
            "may do now (include=form adds each one's form_schema)", body=DATA_BODY,
            params=[_path_param("task_id"), _query("include")],
            responses={400: "unknown include", 403: "not allowed", 409: "completed concurrently",
                       422: "form errors"})},
        "/instances/{instance_id}": {"get": _op("A case", params=[_path_param("instance_id", "integer")],
                                                responses={404: "no such case"})},
        "/instances/{instance_id}/events": {"get": _op(
            "A case's audit events", params=[_path_param("instance_id", "integer")],
            responses={404: "no such case"})},
    },
}

_UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                  "description": ".bpmn, .dmn and .json (form) files"},
        "process_id": {"type": "string", "description": "complete the set with this process's latest version"}}}}}}
_OWNER = {403: "not a process owner", 404: "no such process or version"}
SPEC["paths"].update({
    "/models/validate": {"post": {**_op("Check model files; every problem with file, element id and message",
                                        responses={401: "not signed in"}), "requestBody": _UPLOAD}},
    "/models": {
        "post": {**_op("Publish model files as new versions (process owners)",
                       responses={403: "not a process owner", 422: "invalid models: problems listed"}),
                 "requestBody": _UPLOAD},
        "get": _op("Processes with their versions, publishers and running instances", responses=_OWNER)},
    "/models/{process_id}/versions/{version}/files/{file_name}": {"get": _op(
        "Download a file of a version", responses=_OWNER, params=[
            _path_param("process_id"), _path_param("version", "integer"), _path_param("file_name")])},
    "/models/{process_id}/diff": {"get": _op(
        "Elements and files changed between two versions", responses=_OWNER,
        params=[_path_param("process_id"), _query("from", "integer"), _query("to", "integer")])},
    "/models/{process_id}/drafts": {"get": _op("Saved drafts and the working set of files", responses=_OWNER,
                                               params=[_path_param("process_id")])},
    "/models/{process_id}/drafts/{file_name}": {"put": _op(
        "Save a file as a draft", responses=_OWNER, params=[_path_param("process_id"), _path_param("file_name")],
        body={"type": "object", "required": ["content"], "properties": {"content": {"type": "string"}}})},
    "/models/{process_id}/drafts/validate": {"post": _op("Check the working set", responses=_OWNER,
                                                         params=[_path_param("process_id")])},
    "/models/{process_id}/drafts/publish": {"post": _op(
        "Publish the working set as a new version", params=[_path_param("process_id")],
        responses={**_OWNER, 422: "invalid models: problems listed"})},
    "/models/{process_id}/migrations/dry-run": {"post": _op(
        "Which running cases can move to a version, and why others cannot", responses=_OWNER,
        params=[_path_param("process_id")], body={"type": "object", "properties": {
            "to_version": {"type": "integer"}, "instance_ids": {"type": "array", "items": {"type": "integer"}}}})},
    "/models/{process_id}/migrations": {"post": _op(
        "Move cases to a newer version (each only if safe; audited)", responses=_OWNER,
        params=[_path_param("process_id")], body={"type": "object", "required": ["instance_ids"], "properties": {
            "to_version": {"type": "integer"}, "instance_ids": {"type": "array", "items": {"type": "integer"}}}})},
})

SPEC["paths"]["/models"]["post"]["responses"]["201"] = {"description": "at least one new version published"}
_OPERATOR = {401: "not signed in", 403: "not an administrator or process owner", 404: "no such case"}
_REASON = {"type": "object", "properties": {"reason": {"type": "string"}}}
_CASE = [_path_param("instance_id", "integer")]
_TASKS = {"type": "array", "items": {"type": "object", "required": ["element_id", "title"], "properties": {
    "element_id": {"type": "string"}, "title": {"type": "string"}}}}
_WHEN = {"type": ["string", "null"], "description": "ISO 8601 with the offset"}


def _answer(summary, ok: dict, *, required=("id",), body=None, responses=None, params=_CASE):
    """An operator action: its success body (an object with these properties) and its refusals."""
    op = _op(summary, body=body, responses=responses or _OPERATOR, params=params)
    op["responses"]["200"] = {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "required": list(required), "properties": {"id": {"type": "integer"}, **ok}}}}}
    return op


_RERUN = {"rerun": {"enum": ["task", "engine"]}, "skipped": {"type": "integer"}, "task_id": {"type": "string"},
          "timers_fired": {"type": "array", "items": {"type": "string"}}}
SPEC["paths"].update({
    "/incidents": {"get": _answer(
        "Cases in error, grouped by process version, element and message (operators)", {
            "incidents": {"type": "array", "items": {"type": "object", "required": [
                "process_id", "process_name", "version", "element_id", "element_title", "message", "count",
                "since", "instances"], "properties": {
                "process_id": {"type": "string"}, "process_name": {"type": "string"},
                "version": {"type": "integer"}, "version_id": {"type": "integer"},
                "element_id": {"type": "string"}, "element_title": {"type": "string"},
                "message": {"type": "string"}, "count": {"type": "integer"}, "since": _WHEN,
                "instances": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "business_key": {"type": ["string", "null"]}, "since": _WHEN}}}}}},
            "total": {"type": "integer"}, "page": {"type": "integer"}, "size": {"type": "integer"}},
        required=("incidents", "total"), responses={401: "not signed in", 403: "not an operator"},
        params=[_query("process"), _query("sort"), _query("dir"), _query("page", "integer"), _query("size", "integer")])},
    "/incidents/retry": {"post": _answer("Retry several cases in error; a result per case", {
        "results": {"type": "array", "items": {"type": "object", "required": ["id", "ok"], "properties": {
            "id": {"type": "integer"}, "ok": {"type": "boolean"}, "code": {"type": "string"},
            "message": {"type": "string"}, **_RERUN}}}}, required=("results",), params=None,
        responses={400: "instance_ids missing", 401: "not signed in", 403: "not an operator"},
        body={"type": "object", "required": ["instance_ids"], "properties": {
            "instance_ids": {"type": "array", "items": {"type": "integer"}}, "reason": {"type": "string"}}})},
    "/instances/{instance_id}/retry": {"post": _answer(
        "Run a case's failed step again", _RERUN, body=_REASON,
        responses={**_OPERATOR, 409: "the case is not in error", 422: "the step failed again"})},
    "/instances/{instance_id}/skip": {"post": _answer(
        "Mark a case's failed automated step done without running it (reason required)", _RERUN, body=_REASON,
        responses={**_OPERATOR, 400: "no reason", 409: "not a failed automated step", 422: "a later step failed"})},
    "/instances/{instance_id}/suspend": {"post": _answer(
        "Suspend a case: its tasks cannot be claimed or completed, its timers wait",
        {"status": {"const": "suspended"}}, body=_REASON,
        responses={**_OPERATOR, 409: "the case has ended or is suspended already"})},
    "/instances/{instance_id}/resume": {"post": _answer(
        "Resume a suspended case; timers that fell due meanwhile fire once",
        {"status": {"enum": ["running", "error"]}, "timers_fired": {"type": "array", "items": {"type": "string"}},
         "message": {"type": "string"}}, body=_REASON, responses={**_OPERATOR, 409: "the case is not suspended"})},
    "/instances/{instance_id}/cancel": {"post": _answer(
        "Cancel a case with a reason: open tasks cancelled, timers removed; linked child cases offered", {
            "status": {"const": "cancelled"}, "children_cancelled": {"type": "array", "items": {"type": "integer"}},
            "open_children": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "process_id": {"type": "string"},
                "business_key": {"type": ["string", "null"]}, "status": {"type": "string"}}}}},
        body={"type": "object", "required": ["reason"], "properties": {
            "reason": {"type": "string"}, "cancel_children": {
                "oneOf": [{"type": "boolean"}, {"type": "array", "items": {"type": "integer"}}]}}},
        responses={**_OPERATOR, 400: "no reason", 409: "the case has ended"})},
    "/instances/{instance_id}/move": {
        "get": _answer("Elements a case can be moved to", {"targets": {"type": "array", "items": {
            "type": "object", "properties": {"element_id": {"type": "string"}, "name": {"type": "string"},
                                             "kind": {"type": "string"}}}}}, required=("targets",)),
        "post": _answer(
            "Move a case to another element of its version (dry_run: only say what would change)", {
                "dry_run": {"type": "boolean"}, "possible": {"type": "boolean"}, "cancelled": _TASKS,
                "created": _TASKS, "unchanged": {"type": "array", "items": {"type": "string"}},
                "ended": {"type": "boolean"}, "message": {"type": "string"}},
            required=("id", "dry_run", "cancelled", "created"),
            body={"type": "object", "required": ["element_id"], "properties": {
                "element_id": {"type": "string"}, "dry_run": {"type": "boolean"}, "reason": {"type": "string"}}},
            responses={**_OPERATOR, 400: "unknown element or no reason", 409: "the move failed"})},
    "/instances/{instance_id}/data": {"patch": _answer(
        "Correct case data with a reason (before/after in the audit trail)",
        {"changes": {"type": "object", "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2},
                     "description": "field -> [before, after]"}}, required=("id", "changes"),
        body={"type": "object", "required": ["data", "reason"],
              "properties": {"data": {"type": "object"}, "reason": {"type": "string"}}},
        responses={**_OPERATOR, 400: "data or reason missing or not storable", 409: "the case has ended"})},
})


@bp.get("/openapi.json")
def openapi():
    return SPEC
