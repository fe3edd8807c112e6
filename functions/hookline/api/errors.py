"""The one place errors become HTTP answers: domain errors, the API's own (401, 413), request validation, unknown
routes and anything unexpected, each in GitLab's status code and body."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from hookline import settings
from hookline.domain.errors import (
    BadParameter,
    BadRequest,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Refused,
    Unauthorized,
    Unprocessable,
)

logger = Logger(service=settings.SERVICE_NAME)

NOT_JSON = "The request body is not valid JSON"


class TooLarge(DomainError):
    """A request body past ``settings.MAX_REQUEST_BODY_BYTES``."""


class UnsupportedMediaType(DomainError):
    """A body in a media type the API does not read (JSON, a form, multipart); Grape's 415."""

    def __init__(self, media_type: str) -> None:
        super().__init__(media_type)
        self.media_type = media_type


Answer = tuple[int, dict[str, Any], dict[str, str]]


def gitlab_answer(error: DomainError) -> Answer:
    """GitLab's status code, body and headers for ``error`` (the table in ``hookline.domain.errors``)."""
    match error:
        case NotFound(what=what):
            return 404, {"message": f"404 {what} Not Found" if what else "404 Not found"}, {}
        case Unauthorized():
            return 401, {"message": "401 Unauthorized"}, {}
        case Forbidden():
            return 403, {"message": "403 Forbidden"}, {}
        case BadParameter(message=message):
            return 400, {"error": message}, {}
        case BadRequest(reason=reason):
            return 400, {"message": f"400 Bad request - {reason}"}, {}
        case TooLarge():
            return 413, {"message": "413 Request Entity Too Large"}, {}
        case UnsupportedMediaType(media_type=media_type):
            return 415, {"error": f"The provided content-type '{media_type}' is not supported."}, {}
        case Invalid(field=field, message=message):
            return 422, {"message": {field: [message]}}, {}
        case Unprocessable(message=message):
            return 422, {"error": message}, {}
        case Refused(message=message):
            return 422, {"message": message}, {}
        case RateLimited(retry_after=retry_after):
            return 429, {"message": "429 Too Many Requests"}, {"Retry-After": str(retry_after)}
    raise TypeError(f"no answer for {type(error).__name__}")  # a new DomainError needs its row above


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body) if body is not None else "",
        headers=headers,
    )


def validation_answer(error: RequestValidationError) -> BadParameter:
    """Grape's wording of a request that breaks the schema: ``url is missing``, ``push_events is invalid``,
    ``… does not have a valid value``; a body that is not JSON says so."""
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    field = location[0] if location else "body"
    kind = first.get("type", "")
    if kind == "json_invalid":
        return BadParameter(NOT_JSON)
    if kind == "missing" and not location:
        return BadParameter("url is missing")
    if kind == "missing":
        return BadParameter(f"{field} is missing")
    if kind in ("enum", "literal_error"):
        return BadParameter(f"{field} does not have a valid value")
    return BadParameter(f"{field} is invalid")


def register(app: APIGatewayRestResolver) -> None:
    """Install the exception handlers on ``app``."""

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response[Any]:
        status, body, headers = gitlab_answer(error)
        return json_response(status, body, headers or None)

    @app.exception_handler(RequestValidationError)
    def _validation_error(error: RequestValidationError) -> Response[Any]:
        return _domain_error(validation_answer(error))

    @app.not_found
    def _no_route(_: Exception) -> Response[Any]:
        return json_response(404, {"message": "404 Not Found"})  # GitLab's capital F for an unknown route

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        logger.exception("Unhandled error")
        return json_response(500, {"message": "500 Internal Server Error"})
