"""Request normalisation, as Powertools middlewares run in this order before every route (unknown routes too):

1. ``body_size``: a body past 1 MB (of UTF-8) is a 413, before anything is parsed;
2. ``authentication``: the token (``PRIVATE-TOKEN`` or ``Authorization: Bearer``) becomes the principal, or a 401;
3. ``gitlab_parameters``: GitLab takes POST/PUT parameters as JSON, as a form, or in the query string; the routes
   read JSON, so a form or query becomes the JSON body (media types case-insensitive; another one is a 415);
4. ``json_guards``: a body Python's JSON parser cannot take safely (nested past recursion, numbers past ``int``'s
   digit limit) is a 400;
5. then Powertools' request validation (see ``hookline.api.app``).

The public documentation paths (``PUBLIC_PATHS``) and the console's files skip them all; the portal-link exchange
skips authentication alone. A portal session may call only its namespace's hook routes
(``hookline.domain.portal.portal_may_call``): anything else is a 403. Each refusal raises an error that
``hookline.api.errors`` answers.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.types import EventHandlerInstance

from hookline import settings
from hookline.api.access import acting_as
from hookline.api.auth import authenticate
from hookline.api.errors import NOT_JSON, TooLarge, Unauthorized, UnsupportedMediaType
from hookline.api.routes.console import CONSOLE_PREFIX
from hookline.api.routes.portal_links import EXCHANGE_PATH
from hookline.domain.errors import BadParameter, Forbidden
from hookline.domain.portal import portal_may_call

OPENAPI_PATH = "/api/v4/openapi.json"
DOCS_PATH = "/api/v4/docs"
#: The API description is public (it holds no data); every other request needs the admin token or an access token.
PUBLIC_PATHS = frozenset({OPENAPI_PATH, DOCS_PATH})
MAX_JSON_DEPTH = 32
MAX_NUMBER_DIGITS = 100


def _raw(app: EventHandlerInstance) -> Mapping[str, Any]:
    return app.current_event.raw_event


def _public(event: Mapping[str, Any]) -> bool:
    path = str(event.get("path"))
    console = path == CONSOLE_PREFIX or path.startswith(f"{CONSOLE_PREFIX}/")
    return event.get("httpMethod") == "GET" and (path in PUBLIC_PATHS or console)


def _anonymous(event: Mapping[str, Any]) -> bool:
    """A request that needs no token: the portal link's exchange (its code is the credential)."""
    return event.get("httpMethod") == "POST" and event.get("path") == EXCHANGE_PATH


def _replace_event(app: EventHandlerInstance, event: Mapping[str, Any]) -> None:
    """Let the rest of the chain (validation, routes) see ``event``; Powertools keeps the event on ``BaseRouter``."""
    BaseRouter.current_event = type(app.current_event)(dict(event))


def body_size(app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
    event = _raw(app)
    limit = settings.MAX_REQUEST_BODY_BYTES * (4 / 3 if event.get("isBase64Encoded") else 1)
    body = event.get("body") or ""
    # characters first: a body of fewer characters than the limit can still be more bytes (UTF-8)
    if not _public(event) and (len(body) > limit or len(body.encode("utf-8", "surrogatepass")) > limit):
        raise TooLarge()
    return next_middleware(app)


def bearer_or_private_token(headers: Mapping[str, str]) -> str:
    lowered = {name.lower(): value for name, value in headers.items()}
    bearer = lowered.get("authorization", "")
    return lowered.get("private-token") or (bearer[7:].strip() if bearer.lower().startswith("bearer ") else "")


def authentication(app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
    event = _raw(app)
    if _public(event) or _anonymous(event):
        return next_middleware(app)
    principal = authenticate(bearer_or_private_token(event.get("headers") or {}))
    if principal is None:
        raise Unauthorized()
    if principal.portal and not portal_may_call(str(event.get("httpMethod")), str(event.get("path"))):
        raise Forbidden()
    with acting_as(principal):
        return next_middleware(app)


def gitlab_parameters(app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
    event = _raw(app)
    if not _public(event):
        try:
            converted = _as_json_body(event)
        except UnicodeDecodeError:  # a body that is not UTF-8 cannot be JSON
            raise BadParameter(NOT_JSON) from None
        if converted is not event:
            _replace_event(app, converted)
    return next_middleware(app)


def json_guards(app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
    event = _raw(app)
    if not _public(event):
        _refuse_unsafe_json(event)
    return next_middleware(app)


#: In the order they run, before Powertools' request validation.
REQUEST_MIDDLEWARES = [body_size, authentication, gitlab_parameters, json_guards]


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MULTIPART = "multipart/form-data"
#: A media type as it may be named back in a 415 (``type/subtype`` of token characters, RFC 9110).
_MEDIA_TYPE = re.compile(r"[-!#$%&'*+.^_`|~0-9a-z]{1,63}/[-!#$%&'*+.^_`|~0-9a-z]{1,63}")


def _content_type(event: Mapping[str, Any]) -> str:
    return next((value for name, value in (event.get("headers") or {}).items() if name.lower() == "content-type"), "")


def _as_json_body(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event with a form or query-string body as JSON, or ``event`` itself when there is nothing to convert.
    Media types are case-insensitive (``Application/JSON`` is JSON); a body in one the API does not read is a 415
    (Powertools' validation would raise on it)."""
    if event.get("httpMethod") not in ("POST", "PUT"):
        return event
    body = event.get("body")
    if body and event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8")
        event = {**event, "body": body, "isBase64Encoded": False}
    content_type = _content_type(event)
    media_type = content_type.split(";")[0].strip().lower()
    if body and media_type == FORM:
        fields = {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}
        return _as_json(event, json.dumps(fields))
    if not body and event.get("queryStringParameters"):
        return _as_json(event, json.dumps(dict(event["queryStringParameters"])))
    if body and media_type not in ("", JSON, MULTIPART):
        raise UnsupportedMediaType(media_type if _MEDIA_TYPE.fullmatch(media_type) else "")
    if media_type == MULTIPART or not content_type or content_type.strip().startswith(JSON):
        return event  # what Powertools reads as it is
    return _as_json(event, body)  # JSON spelled in another case, or no body under another media type


def _as_json(event: Mapping[str, Any], body: str | None) -> Mapping[str, Any]:
    """``event`` with ``body`` as its JSON body."""
    json_headers = {
        name: value for name, value in (event.get("headers") or {}).items() if name.lower() != "content-type"
    }
    json_headers["Content-Type"] = JSON
    return {
        **event,
        "headers": json_headers,
        "multiValueHeaders": {name: [value] for name, value in json_headers.items()},
        "body": body,
        "isBase64Encoded": False,
    }


class _BodyRefused(ValueError):
    pass


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _BodyRefused(f"a number has more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests (stops counting past ``limit``)."""
    if limit <= 0 or not isinstance(value, dict | list):
        return 0
    inner = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(item, limit - 1) for item in inner), default=0)


def _refuse_unsafe_json(event: Mapping[str, Any]) -> None:
    """A POST/PUT body Python's JSON parser cannot take safely is a 400; anything else is the routes' to judge."""
    body = event.get("body")
    if event.get("httpMethod") not in ("POST", "PUT") or not body or event.get("isBase64Encoded"):
        return
    too_deep = f"it nests deeper than {MAX_JSON_DEPTH} levels"
    try:
        parsed = json.loads(body, parse_int=_bounded_int)
        if _depth(parsed, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH:
            raise _BodyRefused(too_deep)
    except _BodyRefused as error:
        raise BadParameter(f"The request body is refused: {error}") from None
    except RecursionError:
        raise BadParameter(f"The request body is refused: {too_deep}") from None
    except ValueError:
        return  # not JSON: the route's validation answers it
