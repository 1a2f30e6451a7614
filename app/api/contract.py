"""The response side of the OpenAPI document: schemas of what the routes answer, every error code with its
meaning, and the routes for finding cases, webhooks, messages and service accounts.

Tests validate every response the test suite receives against this document (tests/api_contract.py), so
the document cannot drift from the code."""
from ..services.integration.webhooks import EVENT_TYPES
from . import bp
from .openapi import SPEC, _path_param, _query

TIMESTAMP_PATTERN = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"
TIME = {"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN,
        "description": "ISO 8601 with the offset"}
TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time", "pattern": TIMESTAMP_PATTERN}
TEXT_OR_NULL = {"type": ["string", "null"]}
INT_OR_NULL = {"type": ["integer", "null"]}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required, properties, **extra):
    return {"type": "object", "required": list(required), "properties": properties, **extra}


def _page(key, item):
    return _object((key, "total", "next"), {key: {"type": "array", "items": _ref(item)},
                                           "total": {"type": "integer", "minimum": 0},
                                           "next": {"type": ["string", "null"], "format": "uri",
                                                    "description": "the next page with the same filters"}})


# every error code a response may carry, with what it means (clients tell refusals apart by code)
ERROR_CODES = {
    "bad_request": "the request is not valid (see the message)",
    "unknown_parameter": "a query parameter the route does not know (named in `parameter`)",
    "invalid_parameter": "a query parameter with a value the route cannot use (named in `parameter`)",
    "unauthorized": "no or an invalid, expired or revoked token",
    "forbidden": "not allowed",
    "not_found": "no such thing",
    "conflict": "the state changed meanwhile",
    "validation_failed": "form or body errors, per field in `field_errors`",
    "step_failed": "the engine could not run the step; nothing was applied",
    "invalid_model": "model files with problems (listed in `problems`)",
    "unavailable": "the database is busy; try again",
    "internal_error": "an unexpected error; nothing was applied",
    "method_not_allowed": "the route does not take this HTTP method",
    "unsupported_media_type": "the body is not of a type the route takes",
    "request_entity_too_large": "the body is too large",
    "too_many_requests": "too many failed sign-ins; wait",
    "segregation_of_duties": "the user drafted, registered or started the case and may not do this step",
    "not_member": "the task belongs to a department the user is not a member of",
    "head_only": "only heads of the task's department may do this",
    "read_only": "auditors read; they do not claim or complete tasks",
    "not_holder": "only the holder (or a head) may do this",
    "rule_refused": "a business rule of the step refused the submission (reason in the message)",
    "already_claimed": "someone else holds the task",
    "already_completed": "the task was completed already",
    "not_claimed": "the task is not claimed",
    "task_not_waiting": "the task no longer waits to be done",
    "concurrent_change": "the case was being changed by someone else; try again",
    "may_not_start": "the user's groups may not start this process",
    "may_not_view": "the user may not see this case",
    "scope_missing": "a service account without the scope (start, read, messages) for this",
    "no_receiver": "no case waits for the message and no process starts on it",
    "ambiguous_correlation": "the message's correlation matches more than one case",
    "idempotency_conflict": "the Idempotency-Key was used for another request",
    "duplicate": "the name is taken",
    "migration_refused": "the case cannot move to that version",
    "busy": "a row the request needs is held by another request; try again",
    "invalid_data": "the case data is not JSON or is over its size budget",
    "called_only": "the process is started only by its parent process",
    "case_suspended": "the case is suspended until an operator resumes it",
    "case_cancelled": "the case was cancelled",
    "wrong_state": "not possible in the case's current state",
    "not_operator": "only administrators and process owners control cases",
    "not_skippable": "only a failed automated step can be skipped",
    "bad_target": "a case moves only to a task, a waiting event or an end event of its main process",
    "move_failed": "the move failed and was not applied",
    "bad_data": "the fields to change are not a JSON object",
    "bad_ids": "instance_ids is not a list of case numbers",
    "reason_required": "a reason (text) is needed",
    "token_revoked": "the token was revoked, expired or its account deactivated",  # nosec B105 # message text
    "password_change_required": "a temporary password must be changed first",  # nosec B105 # message text
    "wrong_password": "the current password is wrong",  # nosec B105 # message text
    "same_password": "the new password must differ from the current one",  # nosec B105 # message text
    "weak_password": "the new password is too short, too common or contains the user name",  # nosec B105 # message text
    "directory_account": "the password is kept in the company directory",
    "reset_link_invalid": "the password link is not valid any more",
    "last_admin": "the last active administrator keeps the role",
    "department_has_tasks": "open tasks wait in the department",
    "department_in_use": "a published process's lane resolves to the department",
    "bad_file": "the upload is not a readable file of the expected kind",
    "empty_file": "the upload is empty",
    "no_username_column": "the user list has no username column",
    "duplicate_business_key": "another case already has this business key",
}
ERROR_CODE_SCHEMA = {"type": "string", "description": "Error codes", "oneOf": [
    {"const": code, "description": text} for code, text in ERROR_CODES.items()]}

SCHEMAS = {
    "Timestamp": TIME,
    "ErrorCode": ERROR_CODE_SCHEMA,
    "CaseDeadline": _object(("element_id", "label", "due_at"), {
        "element_id": {"type": "string"}, "label": {"type": "string"}, "due_at": TIME,
        "attached_to": TEXT_OR_NULL, "overdue": {"type": "boolean"}},
        description="a deadline of the case itself: a timer it waits for (e.g. the customer commitment)"),
    "CurrentTask": _object(("id", "element_id", "title", "group", "state", "due_at"), {
        "id": {"type": "string"}, "element_id": {"type": "string"}, "title": {"type": "string"},
        "group": TEXT_OR_NULL, "group_name": TEXT_OR_NULL, "head_only": {"type": "boolean"},
        "state": {"type": "string"}, "claimed_by": TEXT_OR_NULL, "due_at": TIME_OR_NULL}),
    "CaseItem": _object(("id", "process_id", "process_name", "status", "status_label", "business_key",
                         "started_at", "ended_at", "current_tasks", "deadlines"), {
        "id": {"type": "integer"}, "process_id": {"type": "string"}, "process_name": {"type": "string"},
        "version": INT_OR_NULL, "status": {"type": "string"}, "status_label": {"type": "string"},
        "business_key": TEXT_OR_NULL, "customer": TEXT_OR_NULL, "started_by": TEXT_OR_NULL,
        "started_at": TIME, "ended_at": TIME_OR_NULL, "parent_instance_id": INT_OR_NULL,
        "child_count": {"type": "integer"},
        "current_tasks": {"type": "array", "items": _ref("CurrentTask")},
        "deadlines": {"type": "array", "items": _ref("CaseDeadline")}}),
    "Instance": _object(("id", "process_id", "version", "status", "business_key", "started_at", "ended_at",
                         "data"), {
        "id": {"type": "integer"}, "process_id": {"type": "string"}, "version": {"type": "integer"},
        "status": {"type": "string"}, "business_key": TEXT_OR_NULL, "started_by": TEXT_OR_NULL,
        "started_at": TIME, "ended_at": TIME_OR_NULL, "lock_version": {"type": "integer"},
        "data": {"type": "object"}, "summary": {"type": "object"}, "parent_instance_id": INT_OR_NULL,
        "error": {"type": ["object", "null"]}, "open_tasks": {"type": "array"},
        "process_name": {"type": "string"}, "status_label": {"type": "string"}, "customer": TEXT_OR_NULL,
        "current_tasks": {"type": "array", "items": _ref("CurrentTask")},
        "deadlines": {"type": "array", "items": _ref("CaseDeadline")},
        "children": {"type": "array", "items": _ref("CaseItem"), "description": "linked child cases"}}),
    "Task": _object(("id", "instance_id", "process_id", "task_name", "title", "group", "state", "due_at",
                     "created_at"), {
        "id": {"type": "string"}, "instance_id": {"type": "integer"}, "process_id": {"type": "string"},
        "business_key": TEXT_OR_NULL, "task_name": {"type": "string"}, "title": {"type": "string"},
        "lane": TEXT_OR_NULL, "group": TEXT_OR_NULL, "head_only": {"type": "boolean"},
        "state": {"type": "string"}, "due_at": TIME_OR_NULL, "overdue": {"type": "boolean"},
        "due_provisional": {"type": "boolean", "description": "a working-time due date beyond the scheduled "
                                                               "calendar, recomputed when the calendar changes"},
        "case_due_at": {**TIME_OR_NULL, "description": "the case's commitment deadline"},
        "claimed_by": TEXT_OR_NULL, "form": TEXT_OR_NULL, "customer": TEXT_OR_NULL, "created_at": TIME,
        "completed_at": TIME_OR_NULL, "completed_by": TEXT_OR_NULL,
        "case_deadlines": {"type": "array", "items": _ref("CaseDeadline"),
                           "description": "the case's own deadlines, beside the task's due_at"}}),
    "Event": _object(("id", "type", "at"), {
        "id": {"type": "integer"}, "type": {"type": "string"}, "actor": TEXT_OR_NULL, "at": TIME,
        "task_id": TEXT_OR_NULL, "element_id": TEXT_OR_NULL, "data": {"type": ["object", "null"]},
        "hash": TEXT_OR_NULL}),
    "Process": _object(("process_id", "versions"), {
        "process_id": {"type": "string"}, "name": {"type": "string"}, "latest_version": {"type": "integer"},
        "start_form": TEXT_OR_NULL, "versions": {"type": "array", "items": _object(
            ("version", "published_at"), {"version": {"type": "integer"}, "published_at": TIME,
                                          "published_by": TEXT_OR_NULL})}}),
    "Webhook": _object(("id", "name", "url", "event_types", "language", "active"), {
        "id": {"type": "integer"}, "name": {"type": "string"}, "url": {"type": "string"},
        "event_types": {"type": "array", "items": {"enum": list(EVENT_TYPES)}},
        "language": {"enum": ["zh", "en"]}, "active": {"type": "boolean"}, "created_by": TEXT_OR_NULL,
        "created_at": TIME, "secret": {"type": "string", "description": "Standard Webhooks signing secret "
                                                                          "(whsec_…); on registration and to "
                                                                          "administrators"}}),
    "Delivery": _object(("id", "message_id", "event_type", "state", "attempts", "created_at", "payload"), {
        "id": {"type": "integer"}, "message_id": {"type": "string"}, "event_type": {"enum": list(EVENT_TYPES)},
        "instance_id": INT_OR_NULL, "state": {"enum": ["pending", "delivered", "failed"]},
        "attempts": {"type": "integer"}, "next_attempt_at": TIME_OR_NULL, "last_attempt_at": TIME_OR_NULL,
        "last_status": INT_OR_NULL, "last_error": TEXT_OR_NULL, "delivered_at": TIME_OR_NULL,
        "created_at": TIME, "payload": _ref("WebhookPayload"),
        "log": {"type": "array", "items": _object(("at",), {
            "at": TIME, "status": INT_OR_NULL, "error": TEXT_OR_NULL, "duration_ms": {"type": "integer"},
            "requested_by": TEXT_OR_NULL})}}),
    "WebhookPayload": _object(("id", "type", "type_label", "occurred_at", "text"), {
        "id": {"type": "string", "description": "also the webhook-id header"},
        "type": {"enum": list(EVENT_TYPES)}, "type_label": {"type": "string"}, "occurred_at": TIME,
        "actor": TEXT_OR_NULL, "actor_name": TEXT_OR_NULL, "case": {"type": ["object", "null"]},
        "task": {"type": ["object", "null"]}, "step": TEXT_OR_NULL, "reason": TEXT_OR_NULL,
        "text": {"type": "string", "description": "a sentence a chat bot can post as it is"}},
        description="POSTed to the receiver, signed per Standard Webhooks (webhook-id, webhook-timestamp, "
                    "webhook-signature: v1,base64 HMAC-SHA256 of id.timestamp.body with the secret)"),
    "MessageAnswer": _object(("message", "state", "instance_id", "replayed"), {
        "message": {"type": "string"}, "state": {"enum": ["delivered", "started", "held"]},
        "instance_id": INT_OR_NULL, "process_id": TEXT_OR_NULL, "business_key": TEXT_OR_NULL,
        "replayed": {"type": "boolean", "description": "the answer of an earlier call with this Idempotency-Key"},
        "expires_at": TIME}),
    "ServiceAccount": _object(("id", "name", "scopes", "active"), {
        "id": {"type": "integer"}, "name": {"type": "string"}, "username": {"type": "string"},
        "description": {"type": "string"}, "scopes": _ref("Scopes"), "token_hint": {"type": "string"},
        "created_by": TEXT_OR_NULL, "created_at": TIME, "revoked_at": TIME_OR_NULL, "revoked_by": TEXT_OR_NULL,
        "last_used_at": TIME_OR_NULL, "active": {"type": "boolean"},
        "token": {"type": "string", "description": "shown once, on creation"}, "token_type": {"type": "string"}}),
    "Scopes": {"type": "object", "additionalProperties": False, "properties": {
        kind: {"type": "array", "items": {"type": "string"}} for kind in ("start", "read", "messages")},
        "description": "process ids it may start or read, message names it may post; \"*\" = all"},
}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes):
    texts = {400: "invalid request", 401: "not signed in", 403: "not allowed", 404: "not found",
             409: "conflict", 422: "invalid body"}
    return {str(c): _json(_ref("Error"), texts[c]) for c in codes}


def _op(summary, ok, *, status=200, errors=(400, 401, 403), params=None, body=None, description=None):
    op = {"summary": summary, "responses": {str(status): ok, **_errors(*errors)}}
    if description:
        op["description"] = description
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _respond(path, method, status, schema):
    """Give an existing operation its response schema."""
    op = SPEC["paths"][path][method]
    op["responses"].pop("200", None) if status != 200 else None
    op["responses"][str(status)] = _json(schema)


CASE_FILTERS = [
    _query("process"), {**_query("status"), "schema": {"enum": ["running", "completed", "error", "suspended",
                                                              "cancelled"]}},
    _query("business_key"), {**_query("customer"), "description": "part of the customer's name"},
    _query("started_by"),
    *[{**_query(n), "description": "a China date (YYYY-MM-DD) or an ISO 8601 time with offset"}
      for n in ("started_from", "started_to", "ended_from", "ended_to")],
    {**_query("parent", "integer"), "description": "the cases linked to this parent case"},
    {**_query("q"), "description": "free text: case number, business key, customer, searchable fields"},
    {"name": "data", "in": "query", "style": "deepObject", "explode": True, "required": False,
     "schema": {"type": "object", "additionalProperties": {"type": "string"}},
     "description": "data[field]=value for a field a process declares searchable (start property "
                    "searchFields)"},
    {**_query("limit", "integer"), "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    {**_query("offset", "integer"), "schema": {"type": "integer", "minimum": 0}},
]


def install() -> None:
    SPEC["components"]["schemas"].update(SCHEMAS)
    SPEC["components"]["schemas"]["Error"]["required"] = ["error"]
    error = SPEC["components"]["schemas"]["Error"]["properties"]["error"]
    error["properties"]["code"] = {"type": "string", "description": "see ErrorCode for every code"}
    error["properties"]["parameter"] = {"type": "string", "description": "the query parameter at fault"}
    paths = SPEC["paths"]
    paths["/instances"] = {"get": _op(
        "Find cases the caller may see", _json(_page("instances", "CaseItem")), params=CASE_FILTERS,
        description="Newest first. `next` is the URL of the next page with the same filters. Service "
                    "accounts see the processes of their read scope.")}
    task_params = paths["/tasks"]["get"].setdefault("parameters", [])
    if not any(p["name"] == "instance_id" for p in task_params):
        task_params.append({**_query("instance_id", "integer"),
                            "description": "every task (open and finished) of this case"})
    inbox = _page("tasks", "Task")
    inbox["properties"]["total_capped"] = {"type": "boolean", "description": "the inbox (not the tasks of one "
                                           "case) counts up to 10,000: true when more tasks match than total says"}
    _respond("/tasks", "get", 200, inbox)
    paths["/tasks"]["get"]["responses"].update(_errors(400, 403))
    _respond("/tasks/{task_id}", "get", 200, {"allOf": [_ref("Task")], "properties": {
        "form_schema": {"type": ["object", "null"]}, "documentation": {"type": "string"},
        "case_data": {"type": "object"}}})
    for action in ("claim", "unclaim", "complete", "reassign", "delegate"):
        if f"/tasks/{{task_id}}/{action}" in paths:
            _respond(f"/tasks/{{task_id}}/{action}", "post", 200, _ref("Task"))
    _respond("/instances/{instance_id}", "get", 200, _ref("Instance"))
    _respond("/instances/{instance_id}/events", "get", 200, _object(("events",), {
        "events": {"type": "array", "items": _ref("Event")}}))
    _respond("/processes", "get", 200, _object(("processes",), {
        "processes": {"type": "array", "items": _ref("Process")}}))
    _respond("/processes/{process_id}/instances", "post", 201, _ref("Instance"))
    _respond("/auth/token", "post", 200, _object(("token", "token_type", "expires_in"), {
        "token": {"type": "string"}, "token_type": {"const": "Bearer"}, "expires_in": {"type": "integer"},
        "username": {"type": "string"}}))

    webhook_id = _path_param("webhook_id", "integer")
    paths["/webhooks"] = {
        "get": _op("Registered webhook receivers (administrators)", _json(_object(("webhooks", "event_types"), {
            "webhooks": {"type": "array", "items": _ref("Webhook")},
            "event_types": {"type": "array", "items": _object(("code", "label"), {
                "code": {"enum": list(EVENT_TYPES)}, "label": {"type": "string"}})}}))),
        "post": _op("Register a receiver: HTTPS (plain HTTP only to localhost); the answer carries the "
                    "signing secret", _json(_ref("Webhook"), "registered"), status=201, errors=(400, 401, 403, 422),
                    body=_object(("name", "url", "event_types"), {
                        "name": {"type": "string"}, "url": {"type": "string"},
                        "event_types": {"type": "array", "items": {"enum": list(EVENT_TYPES)}},
                        "language": {"enum": ["zh", "en"], "description": "of the labels in the payload"}}))}
    paths["/webhooks/{webhook_id}"] = {
        "get": _op("A receiver with its signing secret", _json(_ref("Webhook")), params=[webhook_id],
                   errors=(401, 403, 404)),
        "patch": _op("Pause or resume a receiver", _json(_ref("Webhook")), params=[webhook_id],
                     errors=(400, 401, 403, 404, 422),
                     body=_object(("active",), {"active": {"type": "boolean"}}))}
    paths["/webhooks/{webhook_id}/deliveries"] = {"get": _op(
        "The delivery log of a receiver, newest first, with every try", _json(_page("deliveries", "Delivery")),
        params=[webhook_id, {**_query("state"), "schema": {"enum": ["pending", "delivered", "failed"]}},
                _query("limit", "integer"), _query("offset", "integer")], errors=(400, 401, 403, 404))}
    paths["/webhooks/{webhook_id}/deliveries/{delivery_id}/resend"] = {"post": _op(
        "Send a delivery again (at once, by the background worker)", _json(_ref("Delivery")),
        params=[webhook_id, _path_param("delivery_id", "integer")], errors=(401, 403, 404))}
    paths["/messages/{name}"] = {"post": {
        **_op("Tell the case waiting for message `name` (or start the process that starts on it)",
              _json(_ref("MessageAnswer"), "delivered to a waiting case"), errors=(400, 401, 403, 409, 422),
              params=[_path_param("name"), {"name": "Idempotency-Key", "in": "header", "required": False,
                                             "schema": {"type": "string", "maxLength": 200}}],
              body=_object((), {"correlation": {"type": "object", "description": "case-data fields (e.g. "
                                                "contract_no), business_key or case_id; must identify one case",
                                                "additionalProperties": {"type": ["string", "integer"]}},
                                "data": {"type": "object", "description": "merged into the case"}}),
              description="409 no_receiver when no case waits for it (or 202 held, when MESSAGE_HOLD_HOURS > 0); "
                          "the same Idempotency-Key gets the first answer again."),
    }}
    paths["/messages/{name}"]["post"]["responses"].update({
        "201": _json(_ref("MessageAnswer"), "a new case started on the message"),
        "202": _json(_ref("MessageAnswer"), "held until a case waits for it")})
    paths["/service-accounts"] = {
        "get": _op("Service accounts (administrators)", _json(_object(("service_accounts",), {
            "service_accounts": {"type": "array", "items": _ref("ServiceAccount")}}))),
        "post": _op("Create a service account; the answer carries its token (shown once)",
                    _json(_ref("ServiceAccount"), "created"), status=201, errors=(400, 401, 403, 422),
                    body=_object(("name", "scopes"), {"name": {"type": "string"}, "scopes": _ref("Scopes"),
                                                      "description": {"type": "string"}}))}
    paths["/service-accounts/{account_id}/revoke"] = {"post": _op(
        "Revoke a service account's token", _json(_ref("ServiceAccount")),
        params=[_path_param("account_id", "integer")], errors=(401, 403, 404))}
    paths["/openapi.json"] = {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": _json({"type": "object"})}}}
    _describe_other_answers()


PROBLEMS = {"type": "array", "items": _object(("message",), {
    "file": TEXT_OR_NULL, "element_id": TEXT_OR_NULL, "message": {"type": "string"}})}


def _describe_other_answers() -> None:
    """Response schemas of the routes described elsewhere without one (escalations, notification
    settings, model files, the company calendar)."""
    answers = {
        ("/escalations", "get"): _object(("escalations",), {"escalations": {"type": "array", "items": _object(
            ("id", "reason", "instance_id", "created_at"), {
                "id": {"type": "integer"}, "reason": {"type": "string"}, "instance_id": INT_OR_NULL,
                "task_id": TEXT_OR_NULL, "element_id": TEXT_OR_NULL, "title": TEXT_OR_NULL,
                "business_key": TEXT_OR_NULL, "target_group": TEXT_OR_NULL, "heads_only": {"type": "boolean"},
                "target_user": TEXT_OR_NULL, "due_at": TIME_OR_NULL, "created_at": TIME,
                "task_state": TEXT_OR_NULL})}}),
        ("/notifications/settings", "get"): _object(("daily_digest",), {
            "daily_digest": {"type": "boolean"}, "email": TEXT_OR_NULL}),
        ("/notifications/settings", "put"): _object(("daily_digest",), {
            "daily_digest": {"type": "boolean"}, "email": TEXT_OR_NULL}),
        ("/models/validate", "post"): _object(("valid", "problems"), {"valid": {"type": "boolean"},
                                                                      "problems": PROBLEMS}),
        ("/models/{process_id}/drafts/validate", "post"): _object(("valid", "problems"), {
            "valid": {"type": "boolean"}, "problems": PROBLEMS}),
        ("/models", "post"): _object(("published",), {"published": {"type": "array", "items": _object(
            ("process_id", "created"), {"process_id": {"type": "string"}, "version": INT_OR_NULL,
                                        "created": {"type": "boolean"}})}}),
        ("/models", "get"): _object(("processes",), {"processes": {"type": "array", "items": {"type": "object"}}}),
        ("/models/{process_id}/diff", "get"): _object(("process_id", "from", "to", "elements", "files"), {
            "process_id": {"type": "string"}, "from": {"type": "integer"}, "to": {"type": "integer"},
            "elements": {"type": ["object", "array"]}, "files": {"type": ["object", "array"]}}),
        ("/models/{process_id}/drafts", "get"): _object(("drafts", "files"), {
            "drafts": {"type": "array", "items": _object(("file", "updated_at"), {
                "file": {"type": "string"}, "author": TEXT_OR_NULL, "updated_at": TIME})},
            "files": {"type": "object"}}),
        ("/models/{process_id}/drafts/{file_name}", "put"): _object(("file", "updated_at"), {
            "file": {"type": "string"}, "author": TEXT_OR_NULL, "updated_at": TIME}),
        ("/models/{process_id}/drafts/publish", "post"): _object(("published",), {
            "published": {"type": ["array", "object"]}}),
        ("/models/{process_id}/migrations", "post"): _object(("results",), {"results": {"type": "array"}}),
        ("/models/{process_id}/migrations/dry-run", "post"): _object(("process_id", "instances"), {
            "process_id": {"type": "string"}, "to_version": INT_OR_NULL, "instances": {"type": "array"}}),
        ("/calendar/{year}", "get"): {"type": "object", "description": "the year's days, working hours and "
                                                                       "company days"},
        ("/calendar/{year}", "put"): {"type": "object", "description": "the saved year and the deadlines "
                                                                       "recomputed"},
    }
    for (path, method), schema in answers.items():
        op = SPEC["paths"].get(path, {}).get(method)
        if op is None:
            continue
        for status, response in op["responses"].items():
            if status.startswith("2") and not response.get("content"):
                response["content"] = {"application/json": {"schema": schema}}
    download = SPEC["paths"].get("/models/{process_id}/versions/{version}/files/{file_name}", {}).get("get")
    if download is not None:
        download["responses"]["200"]["content"] = {
            media: {"schema": {"type": "string"}} for media in ("application/xml", "application/json", "text/plain")}


# once every module has added its routes to the document: when the blueprint is registered on an app
bp.record_once(lambda _state: install())
