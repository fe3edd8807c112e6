"""Answers in GitLab's shapes: JSON bodies, 204s, offset pagination, and how routes document their statuses."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from hookline.api.errors import json_response

MAX_PER_PAGE = 100
#: GitLab's error bodies: ``{"message": ...}`` (401, 404, model errors) or ``{"error": ...}`` (parameter errors).
GITLAB_ERROR: OpenAPIResponse = {
    "description": "GitLab's error body",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"message": {}, "error": {"type": "string"}},
                "anyOf": [{"required": ["message"]}, {"required": ["error"]}],
            }
        }
    },
}


def answers(success: int, *errors: int, model: Any = None) -> dict[int, OpenAPIResponse]:
    """The statuses a route answers with: its success (204 has no body; ``model`` types the body), GitLab's errors
    and ``errors``."""
    documented: OpenAPIResponse
    if success == 204:
        documented = {"description": "No Content", "content": {}}
    elif model is not None:
        documented = {"description": "Success", "content": {"application/json": {"model": model}}}
    else:
        documented = {"description": "Success"}
    return {success: documented, **dict.fromkeys((400, 401, 404, 422, *errors), GITLAB_ERROR)}


def no_content() -> Response[Any]:
    return Response(status_code=204, body="")


def paginated(
    event: BaseProxyEvent, items: list[Any], page: int, per_page: int, total: int | None = None
) -> Response[Any]:
    """GitLab's offset pagination: the X-* headers and a Link header with full URLs.

    ``items`` is the whole list, or only the page asked for when ``total`` is given.
    """
    per_page = min(per_page, MAX_PER_PAGE)
    start = (page - 1) * per_page
    if total is None:
        total, items = len(items), items[start : start + per_page]
    total_pages = max(1, math.ceil(total / per_page))
    host = event.headers.get("Host") or event.headers.get("host") or "localhost"
    proto = event.headers.get("X-Forwarded-Proto") or event.headers.get("x-forwarded-proto") or "https"
    stage_path = event.request_context.path or event.path  # type: ignore[attr-defined]
    query = {key: value for key, value in (event.query_string_parameters or {}).items() if key != "page"}

    def page_url(number: int) -> str:
        return f"{proto}://{host}{stage_path}?{urlencode({**query, 'page': number, 'per_page': per_page})}"

    links = {"first": 1, "last": total_pages}
    headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(total)}
    headers["X-Total-Pages"] = str(total_pages)
    headers["X-Next-Page"] = str(page + 1) if page < total_pages else ""
    headers["X-Prev-Page"] = str(page - 1) if 1 < page <= total_pages + 1 else ""
    if headers["X-Next-Page"]:
        links = {"next": page + 1, **links}
    if headers["X-Prev-Page"]:
        links = {"prev": page - 1, **links}
    headers["Link"] = ", ".join(f'<{page_url(number)}>; rel="{rel}"' for rel, number in links.items())
    return json_response(200, items, headers)
