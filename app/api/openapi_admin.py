"""The OpenAPI description of the administration routes (app/api/admin.py): users, departments, the
signed-in user's password and tokens, the administrative audit trail."""
from .openapi import SPEC, _path_param, _query

_TIME = {"type": "string", "format": "date-time", "description": "ISO 8601 with the offset"}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_TEXT_OR_NULL = {"type": ["string", "null"]}
_CODES = {"type": "array", "items": {"type": "string"}}
_ERROR = {"$ref": "#/components/schemas/Error"}
_TEXTS = {400: "invalid request", 401: "not signed in", 403: "not allowed", 404: "not found", 409: "conflict",
          422: "invalid body"}


def _object(required, properties):
    return {"type": "object", "required": list(required), "properties": properties}


USER = _object(("username", "display_name", "groups", "head_of", "roles", "active"), {
    "username": {"type": "string"}, "display_name": {"type": "string"}, "email": _TEXT_OR_NULL,
    "locale": {"enum": ["zh", "en"]}, "timezone": _TEXT_OR_NULL, "groups": _CODES, "head_of": _CODES,
    "roles": _CODES, "active": {"type": "boolean"}, "auth_source": {"enum": ["local", "ldap"]},
    "created_at": _TIME, "deactivated_at": _TIME_OR_NULL, "must_change_password": {"type": "boolean"}})
USER_BODY = {"type": "object", "properties": {
    "username": {"type": "string", "description": "on creation only"},
    "password": {"type": "string", "description": "on creation only; without it a temporary password is made"},
    "display_name": {"type": "string"}, "email": _TEXT_OR_NULL, "locale": {"enum": ["zh", "en"]},
    "timezone": _TEXT_OR_NULL, "groups": _CODES, "head_of": _CODES,
    "roles": {"type": "array", "items": {"enum": ["process_owner", "auditor", "admin"]}},
    "active": {"type": "boolean"}, "reason": {"type": "string", "description": "recorded in the trail"}}}
TOKEN = _object(("id", "created_at", "expires_at", "revoked"), {
    "id": {"type": "integer"}, "name": {"type": "string"}, "created_at": _TIME, "expires_at": _TIME,
    "last_used_at": _TIME_OR_NULL, "address": _TEXT_OR_NULL, "revoked": {"type": "boolean"}})
GROUP = _object(("code", "name_zh", "name_en", "aliases"), {
    "code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}, "aliases": _CODES})
USE = _object(("process_id", "name", "lanes"), {"process_id": {"type": "string"}, "name": {"type": "string"},
                                                "lanes": _CODES})
GROUP_ITEM = {**GROUP, "properties": {**GROUP["properties"], "members": {"type": "integer"}, "heads": _CODES,
                                      "used_by": {"type": "array", "items": USE}}}
IMPORT_ROW = _object(("row", "username", "status", "reasons"), {
    "row": {"type": "integer", "description": "row number in the file (the header is row 1)"},
    "username": {"type": "string"}, "status": {"enum": ["created", "changed", "unchanged", "refused"]},
    "reasons": _CODES, "before": {"type": "object"}, "after": {"type": "object"}})
REPORT = _object(("dry_run", "applied", "created", "changed", "unchanged", "refused", "rows"), {
    "dry_run": {"type": "boolean"}, "applied": {"type": "boolean"}, "created": {"type": "integer"},
    "changed": {"type": "integer"}, "unchanged": {"type": "integer"}, "refused": {"type": "integer"},
    "rows": {"type": "array", "items": IMPORT_ROW}})
ADMIN_EVENT = _object(("id", "at", "action", "object_type", "object_id"), {
    "id": {"type": "integer"}, "at": _TIME, "actor": _TEXT_OR_NULL, "action": {"type": "string"},
    "object_type": {"type": "string"}, "object_id": {"type": "string"}, "before": {"type": ["object", "null"]},
    "after": {"type": ["object", "null"]}, "reason": _TEXT_OR_NULL, "hash": _TEXT_OR_NULL})
NEXT = {"type": ["string", "null"], "description": "the next page with the same filters"}


def _op(summary, ok, *, status=200, errors=(401, 403), params=None, body=None):
    responses = {str(status): {"description": "OK", "content": {"application/json": {"schema": ok}}}}
    for code in errors:
        responses[str(code)] = {"description": _TEXTS[code], "content": {"application/json": {"schema": _ERROR}}}
    op = {"summary": summary, "responses": responses}
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


_USERNAME, _CODE = [_path_param("username")], [_path_param("code")]
_PAGE = [_query("limit", "integer"), _query("offset", "integer")]

SPEC["paths"].update({
    "/users": {
        "get": _op("Users (administrators): search q, department, role, active; paged",
                   _object(("users", "total", "next"), {"users": {"type": "array", "items": USER},
                                                         "total": {"type": "integer"}, "next": NEXT}),
                   params=[_query("q"), _query("group"), _query("role"), _query("active", "boolean"), *_PAGE]),
        "post": _op("Create a user; without a password a temporary one is returned once",
                    _object(("user",), {"user": USER, "temporary_password": {"type": "string"}}),
                    status=201, errors=(401, 403, 422), body=USER_BODY)},
    "/users/{username}": {
        "get": _op("A user (administrators, or the user themselves)", USER, errors=(401, 404), params=_USERNAME),
        "patch": _op("Change a user; deactivating ends their sessions and tokens and returns held tasks to the "
                     "queues", _object(("user", "tasks_released"), {"user": USER,
                                                                    "tasks_released": {"type": "integer"}}),
                     errors=(401, 403, 404, 409, 422), params=_USERNAME, body=USER_BODY)},
    "/users/{username}/password-reset": {"post": _op(
        "Reset a password: a one-time link or a temporary password (ends sessions, revokes tokens)",
        _object(("method",), {"method": {"enum": ["link", "temporary"]}, "link": {"type": "string"},
                              "valid_hours": {"type": "integer"}, "temporary_password": {"type": "string"}}),
        errors=(400, 401, 403, 404), params=_USERNAME,
        body={"type": "object", "properties": {"method": {"enum": ["link", "temporary"]}}})},
    "/users/{username}/tokens": {"get": _op("A user's valid API tokens (administrators)",
                                            _object(("tokens",), {"tokens": {"type": "array", "items": TOKEN}}),
                                            errors=(401, 403, 404), params=_USERNAME)},
    "/users/{username}/tokens/{token_id}": {"delete": _op(
        "Revoke a user's API token (administrators)", TOKEN, errors=(401, 403, 404),
        params=[*_USERNAME, _path_param("token_id", "integer")])},
    "/users/import": {"post": {
        **_op("Import users from xlsx or CSV (multipart field file); dry_run=true only reports", REPORT,
              errors=(400, 401, 403), params=[_query("dry_run", "boolean"), _query("format")]),
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}}}},
    "/users/export": {"get": {"summary": "Every user with departments and roles as xlsx or CSV",
                              "parameters": [_query("format")], "responses": {
                                  "200": {"description": "the file", "content": {
                                      "text/csv": {"schema": {"type": "string"}},
                                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                          "schema": {"type": "string", "format": "binary"}}}},
                                  "400": {"description": "unknown format",
                                          "content": {"application/json": {"schema": _ERROR}}}}}},
    "/groups": {
        "get": _op("Departments with members, heads and the processes whose lanes use them",
                   _object(("groups",), {"groups": {"type": "array", "items": GROUP_ITEM}})),
        "post": _op("Create a department", GROUP, status=201, errors=(401, 403, 422), body=GROUP)},
    "/groups/{code}": {
        "get": _op("A department with its members", {**GROUP_ITEM, "properties": {
            **GROUP_ITEM["properties"], "member_list": {"type": "array", "items": _object(
                ("username", "head"), {"username": {"type": "string"}, "display_name": {"type": "string"},
                                       "head": {"type": "boolean"}})}}}, errors=(401, 403, 404), params=_CODE),
        "patch": _op("Rename a department or change its aliases (a name a published lane uses must stay)",
                     GROUP, errors=(401, 403, 404, 409, 422), params=_CODE,
                     body={"type": "object", "properties": {"name_zh": {"type": "string"},
                                                            "name_en": {"type": "string"}, "aliases": _CODES}}),
        "delete": _op("Delete a department no published lane and no open task uses",
                      _object(("code", "deleted"), {"code": {"type": "string"}, "deleted": {"type": "boolean"}}),
                      errors=(401, 403, 404, 409), params=_CODE)},
    "/me/password": {"post": _op(
        "Change the own password (current password required); other sessions end, tokens are revoked (a call "
        "with a token gets a new one)",
        _object(("sessions_ended", "tokens_revoked"), {"sessions_ended": {"type": "integer"},
                                                       "tokens_revoked": {"type": "integer"},
                                                       "token": {"type": "string"}}),
        errors=(400, 401, 403, 422),
        body=_object(("current_password", "new_password"), {"current_password": {"type": "string"},
                                                             "new_password": {"type": "string"}}))},
    "/me/tokens": {"get": _op("The caller's valid API tokens; current: the one this call used",
                              _object(("tokens",), {"tokens": {"type": "array", "items": TOKEN},
                                                    "current": {"type": ["integer", "null"]}}), errors=(401,))},
    "/me/tokens/{token_id}": {"delete": _op("Revoke one of the caller's tokens", TOKEN, errors=(401, 404),
                                            params=[_path_param("token_id", "integer")])},
    "/admin-audit": {"get": _op(
        "The administrative audit trail, newest first (auditors and administrators)",
        _object(("events", "total", "next"), {"events": {"type": "array", "items": ADMIN_EVENT},
                                              "total": {"type": "integer"}, "next": NEXT}),
        params=[_query("object_type"), _query("object_id"), _query("actor"), _query("action"), *_PAGE])},
})
