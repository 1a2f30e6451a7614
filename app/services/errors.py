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


class Unavailable(ServiceError):
    """The database cannot serve the request now (no connection); nothing was changed."""
    status, code = 503, "unavailable"


def database_refusal(exc: BaseException) -> ServiceError | None:
    """The answer to a database error a request meets through no fault of its own: a row another request
    holds longer than LOCK_WAIT_SECONDS (409, try again), no connection (503), a NUL in a text a client
    sent (400). None for anything else."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, TimeoutError as PoolTimeout
    from ..i18n import _
    if isinstance(exc, PoolTimeout):
        return Unavailable(_("The server is busy; please try again in a moment."))
    cause = getattr(exc, "orig", None) or exc
    if isinstance(cause, ValueError) and "NUL (0x00)" in str(cause):  # PostgreSQL refuses NUL in any text
        return ServiceError(_("A text contains a NUL character, which cannot be stored or searched."),
                            code="invalid_data")
    if not isinstance(exc, DBAPIError):
        return None
    code = getattr(getattr(exc, "orig", None), "pgcode", None)
    text = str(exc).lower()
    if code in ("55P03", "57014") or "lock timeout" in text or "database is locked" in text:
        # PostgreSQL: lock_not_available, query_canceled; SQLite: the file stayed locked past its busy timeout
        return Conflict(_("The case is being changed by someone else; please try again."), code="busy")
    if isinstance(exc, InterfaceError) or exc.connection_invalidated or (
            isinstance(exc, OperationalError) and code is None):
        return Unavailable(_("The database is not available; please try again later."))
    return None
