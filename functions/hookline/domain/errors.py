"""What services refuse, in domain terms. The API alone turns each into GitLab's status code and body
(``hookline.api.errors``); nothing here knows about HTTP.

| error | GitLab's answer |
|---|---|
| ``NotFound(what)`` | 404 ``{"message": "404 <what> Not Found"}`` (``404 Not found`` without ``what``) |
| ``Forbidden()`` | 403 ``{"message": "403 Forbidden"}`` |
| ``BadParameter(message)`` | 400 ``{"error": message}`` (Grape's parameter errors: ``url is missing``) |
| ``BadRequest(reason)`` | 400 ``{"message": "400 Bad request - <reason>"}`` |
| ``Invalid(field, message)`` | 422 ``{"message": {field: [message]}}`` (a model validation) |
| ``Unprocessable(message)`` | 422 ``{"error": message}`` (``Invalid url given``) |
| ``Refused(message)`` | 422 ``{"message": message}`` (an action that cannot be done now) |
| ``RateLimited(retry_after)`` | 429 ``{"message": "429 Too Many Requests"}`` with ``Retry-After`` |
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; the message is safe to show (it never holds a secret)."""


class NotFound(DomainError):
    def __init__(self, what: str = "") -> None:
        super().__init__(f"{what or 'It'} was not found")
        self.what = what


class Forbidden(DomainError):
    def __init__(self) -> None:
        super().__init__("forbidden")


class BadParameter(DomainError):
    """A parameter that is missing or has no valid value; ``message`` names it (``trigger does not have a valid
    value``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(DomainError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Invalid(DomainError):
    """A field breaks a model validation."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field} {message}")
        self.field = field
        self.message = message


class Unprocessable(DomainError):
    """A value refused as a whole, worded without a field map (``Invalid url given``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(DomainError):
    """A valid request that cannot be carried out (a failed test, a disabled hook, a changed URL)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RateLimited(DomainError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after
