"""Errors the service layer raises; the API and the pages turn them into responses."""


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details):
        """code: a finer reason than the class's (e.g. "segregation_of_duties" for a Forbidden); clients
        tell refusals apart by it (the API lists every code in its OpenAPI document)."""
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class ValidationFailed(ServiceError):
    status, code = 422, "validation_failed"

    def __init__(self, message: str, field_errors: dict, *, code: str | None = None):
        super().__init__(message, code=code, field_errors=field_errors)
        self.field_errors = field_errors


class StepFailed(ServiceError):
    """The engine could not run the step (e.g. a failing script); the instance is flagged as errored."""
    status, code = 422, "step_failed"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class PublishRefused(ServiceError):
    status, code = 422, "invalid_model"

    def __init__(self, message: str, problems: list):
        super().__init__(message, problems=problems)
        self.problems = problems
