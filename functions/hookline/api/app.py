"""The GitLab REST API v4 compatible management API (Powertools APIGatewayRestResolver)."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Annotated, Any
from urllib.parse import parse_qs, unquote, urlencode

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookline import settings
from hookline.api.auth import authenticate
from hookline.api.models import (
    AccessTokenCreate,
    HookCreate,
    HookUpdate,
    RecoverRequest,
    ValueBody,
    access_token_out,
    event_log_out,
    hook_out,
    namespace_out,
)
from hookline.config import runtime_config
from hookline.domain.access import Principal, may_manage
from hookline.domain.delivery import STATUS_CATEGORIES, STATUS_CODES
from hookline.domain.events import HookKind
from hookline.domain.hooks import Hook
from hookline.services.hook_admin import ApiError, Namespace, namespace_not_found
from hookline.wiring import access_tokens, hook_admin

logger = Logger(service=settings.SERVICE_NAME)

MAX_PER_PAGE = 100
OPENAPI_PATH = "/api/v4/openapi.json"
DOCS_PATH = "/api/v4/docs"
#: The API description is public (it holds no data); every other request needs the admin token or an access token.
PUBLIC_PATHS = frozenset({OPENAPI_PATH, DOCS_PATH})
OPENAPI_INFO: dict[str, Any] = {
    "title": "Hookline",
    "version": "4",
    "description": "GitLab REST API v4 compatible webhook management (PRIVATE-TOKEN or Authorization: Bearer).",
}
MAX_EVENTS_PER_PAGE = 20
Page = Annotated[int, Query(ge=1)]
PerPage = Annotated[int, Query(ge=1)]
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


def answers(success: int, *errors: int) -> dict[int, OpenAPIResponse]:
    """The statuses a route answers with: its success (204 has no body), GitLab's errors and ``errors``."""
    documented: OpenAPIResponse = (
        {"description": "No Content", "content": {}} if success == 204 else {"description": "Success"}
    )
    return {success: documented, **dict.fromkeys((400, 401, 404, 422, *errors), GITLAB_ERROR)}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body) if body is not None else "",
        headers=headers,
    )


# --- cross-cutting -----------------------------------------------------------------------------------------------
#: Who the request being resolved comes from (set by ``resolve``; per thread, as the local API server is threaded).
_PRINCIPAL: ContextVar[Principal] = ContextVar("principal")


class GitLabApiResolver(APIGatewayRestResolver):
    """Authenticates every request before routing and validation, and reads GitLab's other parameter encodings.

    The principal (the admin or an access token) is kept for the routes, which check it in ``_ns``.
    """

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        if event.get("httpMethod") == "GET" and event.get("path") in PUBLIC_PATHS:
            return super().resolve(event, context)
        if len(event.get("body") or "") > settings.MAX_REQUEST_BODY_BYTES * (
            4 / 3 if event.get("isBase64Encoded") else 1
        ):
            return _TOO_LARGE  # before parsing anything
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        bearer = headers.get("authorization", "")
        token = headers.get("private-token") or (bearer[7:].strip() if bearer.lower().startswith("bearer ") else "")
        principal = authenticate(token)
        if principal is None:
            return _UNAUTHORIZED
        try:
            event = _as_json_body(event, headers)
        except UnicodeDecodeError:  # a body that is not UTF-8 cannot be JSON
            return _NOT_JSON
        refused = _refused_body(event)
        if refused is not None:
            return refused
        reset = _PRINCIPAL.set(principal)
        try:
            return super().resolve(event, context)
        finally:
            _PRINCIPAL.reset(reset)


def _early_answer(status: int, body: dict[str, str]) -> dict[str, Any]:
    """An answer given before routing, in API Gateway's proxy format."""
    return {
        "statusCode": status,
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


NOT_JSON = "The request body is not valid JSON"
#: Bodies are parsed once before routing, so what Python's parser cannot take is a 400, not an error later on.
MAX_JSON_DEPTH = 32
MAX_NUMBER_DIGITS = 100
_UNAUTHORIZED = _early_answer(401, {"message": "401 Unauthorized"})
_NOT_JSON = _early_answer(400, {"error": NOT_JSON})
_TOO_LARGE = _early_answer(413, {"message": "413 Request Entity Too Large"})


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


def _refused_body(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """A 400 for a POST/PUT body Python's JSON parser cannot take safely: nested past recursion, or numbers past
    ``int``'s digit limit. Anything else is the routes' to judge."""
    body = event.get("body")
    if event.get("httpMethod") not in ("POST", "PUT") or not body or event.get("isBase64Encoded"):
        return None
    try:
        parsed = json.loads(body, parse_int=_bounded_int)
        if _depth(parsed, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH:
            raise _BodyRefused(f"it nests deeper than {MAX_JSON_DEPTH} levels")
    except _BodyRefused as error:
        return _early_answer(400, {"error": f"The request body is refused: {error}"})
    except RecursionError:
        return _early_answer(
            400, {"error": f"The request body is refused: it nests deeper than {MAX_JSON_DEPTH} levels"}
        )
    except ValueError:
        return None  # not JSON: the route's validation answers it
    return None


def _as_json_body(event: Mapping[str, Any], headers: dict[str, str]) -> Mapping[str, Any]:
    """GitLab takes POST/PUT parameters as JSON, as a form, or in the query string; the routes read JSON."""
    if event.get("httpMethod") not in ("POST", "PUT"):
        return event
    body = event.get("body")
    if body and event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8")
        event = {**event, "body": body, "isBase64Encoded": False}
    if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        fields = {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}
    elif not body and event.get("queryStringParameters"):
        fields = dict(event["queryStringParameters"])
    else:
        return event
    json_headers = {
        name: value for name, value in (event.get("headers") or {}).items() if name.lower() != "content-type"
    }
    json_headers["Content-Type"] = "application/json"
    return {
        **event,
        "headers": json_headers,
        "multiValueHeaders": {name: [value] for name, value in json_headers.items()},
        "body": json.dumps(fields),
        "isBase64Encoded": False,
    }


app = GitLabApiResolver(enable_validation=True)
app.enable_swagger(path=DOCS_PATH, **OPENAPI_INFO)


def openapi_json() -> str:
    """The OpenAPI document Powertools generates from the routes (``docs/openapi.json`` is a copy)."""
    return app.get_openapi_json_schema(**OPENAPI_INFO)


@app.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document() -> Response[Any]:
    return Response(status_code=200, content_type="application/json", body=openapi_json())


@app.exception_handler(ApiError)
def _api_error(error: ApiError) -> Response[Any]:
    return json_response(error.status, error.body, error.headers)


@app.exception_handler(RequestValidationError)
def _validation_error(error: RequestValidationError) -> Response[Any]:
    """Grape's wording: ``url is missing``, ``push_events is invalid``, ``… does not have a valid value``."""
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    field = location[0] if location else "body"
    kind = first.get("type", "")
    if kind == "json_invalid" or (kind == "missing" and not location):
        return json_response(400, {"error": NOT_JSON if kind == "json_invalid" else "url is missing"})
    if kind == "missing":
        message = f"{field} is missing"
    elif kind in ("enum", "literal_error"):
        message = f"{field} does not have a valid value"
    else:
        message = f"{field} is invalid"
    return json_response(400, {"error": message})


@app.not_found
def _not_found(_: Exception) -> Response[Any]:
    return json_response(404, {"message": "404 Not Found"})


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[Any]:
    logger.exception("Unhandled error")
    return json_response(500, {"message": "500 Internal Server Error"})


def paginated(items: list[Any], page: int, per_page: int, total: int | None = None) -> Response[Any]:
    """GitLab's offset pagination: the X-* headers and a Link header with full URLs.

    ``items`` is the whole list, or only the page asked for when ``total`` is given.
    """
    per_page = min(per_page, MAX_PER_PAGE)
    start = (page - 1) * per_page
    if total is None:
        total, items = len(items), items[start : start + per_page]
    total_pages = max(1, math.ceil(total / per_page))
    event = app.current_event
    host = event.headers.get("Host") or event.headers.get("host") or "localhost"
    proto = event.headers.get("X-Forwarded-Proto") or event.headers.get("x-forwarded-proto") or "https"
    stage_path = event.request_context.path or event.path
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


# --- hooks of each kind ------------------------------------------------------------------------------------------
def _hook_body(hook: Hook) -> dict[str, Any]:
    return hook_out(hook, hook_admin().clock())


def _list(namespace: Namespace, page: int, per_page: int) -> Response[Any]:
    return paginated([_hook_body(hook) for hook in hook_admin().list(namespace)], page, per_page)


def _create(namespace: Namespace, request: HookCreate) -> Response[Any]:
    return json_response(201, _hook_body(hook_admin().create(namespace, request)))


def _get(namespace: Namespace, hook_id: int) -> Response[Any]:
    return json_response(200, _hook_body(hook_admin().get(namespace, hook_id)))


def _update(namespace: Namespace, hook_id: int, request: HookUpdate) -> Response[Any]:
    return json_response(200, _hook_body(hook_admin().update(namespace, hook_id, request)))


def _delete(namespace: Namespace, hook_id: int) -> Response[Any]:
    hook_admin().delete(namespace, hook_id)
    return Response(status_code=204, body="")


def _test(namespace: Namespace, hook_id: int, trigger: str) -> Response[Any]:
    hook_admin().test(namespace, hook_id, trigger)
    return json_response(201, {"message": "201 Created"})


def _signing_token(namespace: Namespace, hook_id: int) -> Response[Any]:
    return json_response(201, {"signing_token": hook_admin().rotate_signing_token(namespace, hook_id)})


def _recover(namespace: Namespace, hook_id: int, request: RecoverRequest) -> Response[Any]:
    return json_response(201, hook_admin().recover(namespace, hook_id, request.since, request.until))


def _ns(kind: HookKind, ref: str | None = None, *, creating: bool = False) -> Namespace:
    """The namespace a route addresses, if the caller may manage it: every route's access check.

    System hooks are the admin's: 403 for an access token. A namespace the token may not manage answers as an unknown
    one (404), so another tenant's namespaces and hooks do not show they exist.
    """
    principal = _PRINCIPAL.get()
    if kind is HookKind.SYSTEM and not principal.is_admin:
        raise ApiError(403, message="403 Forbidden")
    namespace = hook_admin().namespace(kind, ref, creating=creating)
    if not may_manage(principal, namespace.kind, namespace.keys, namespace.path):
        raise namespace_not_found(kind)
    return namespace


@app.get("/api/v4/projects/<project_ref>/hooks", responses=answers(200))
def list_project_hooks(project_ref: str, page: Page = 1, per_page: PerPage = 20) -> Response[Any]:
    return _list(_ns(HookKind.PROJECT, project_ref), page, per_page)


@app.post("/api/v4/projects/<project_ref>/hooks", responses=answers(201))
def create_project_hook(project_ref: str, request: Annotated[HookCreate, Body()]) -> Response[Any]:
    return _create(_ns(HookKind.PROJECT, project_ref, creating=True), request)


@app.get("/api/v4/projects/<project_ref>/hooks/<hook_id>", responses=answers(200))
def get_project_hook(project_ref: str, hook_id: int) -> Response[Any]:
    return _get(_ns(HookKind.PROJECT, project_ref), hook_id)


@app.put("/api/v4/projects/<project_ref>/hooks/<hook_id>", responses=answers(200))
def update_project_hook(project_ref: str, hook_id: int, request: Annotated[HookUpdate, Body()]) -> Response[Any]:
    return _update(_ns(HookKind.PROJECT, project_ref), hook_id, request)


@app.delete("/api/v4/projects/<project_ref>/hooks/<hook_id>", responses=answers(204))
def delete_project_hook(project_ref: str, hook_id: int) -> Response[Any]:
    return _delete(_ns(HookKind.PROJECT, project_ref), hook_id)


@app.post("/api/v4/projects/<project_ref>/hooks/<hook_id>/test/<trigger>", responses=answers(201))
def test_project_hook(project_ref: str, hook_id: int, trigger: str) -> Response[Any]:
    return _test(_ns(HookKind.PROJECT, project_ref), hook_id, trigger)


@app.post("/api/v4/projects/<project_ref>/hooks/<hook_id>/signing_token", responses=answers(201))
def rotate_project_signing_token(project_ref: str, hook_id: int) -> Response[Any]:
    """Generate a signing token (returned once); the previous one keeps signing for 24 h."""
    return _signing_token(_ns(HookKind.PROJECT, project_ref), hook_id)


@app.post("/api/v4/projects/<project_ref>/hooks/<hook_id>/recover", responses=answers(201))
def recover_project_hook(project_ref: str, hook_id: int, request: Annotated[RecoverRequest, Body()]) -> Response[Any]:
    return _recover(_ns(HookKind.PROJECT, project_ref), hook_id, request)


@app.get("/api/v4/groups/<group_ref>/hooks", responses=answers(200))
def list_group_hooks(group_ref: str, page: Page = 1, per_page: PerPage = 20) -> Response[Any]:
    return _list(_ns(HookKind.GROUP, group_ref), page, per_page)


@app.post("/api/v4/groups/<group_ref>/hooks", responses=answers(201))
def create_group_hook(group_ref: str, request: Annotated[HookCreate, Body()]) -> Response[Any]:
    return _create(_ns(HookKind.GROUP, group_ref, creating=True), request)


@app.get("/api/v4/groups/<group_ref>/hooks/<hook_id>", responses=answers(200))
def get_group_hook(group_ref: str, hook_id: int) -> Response[Any]:
    return _get(_ns(HookKind.GROUP, group_ref), hook_id)


@app.put("/api/v4/groups/<group_ref>/hooks/<hook_id>", responses=answers(200))
def update_group_hook(group_ref: str, hook_id: int, request: Annotated[HookUpdate, Body()]) -> Response[Any]:
    return _update(_ns(HookKind.GROUP, group_ref), hook_id, request)


@app.delete("/api/v4/groups/<group_ref>/hooks/<hook_id>", responses=answers(204))
def delete_group_hook(group_ref: str, hook_id: int) -> Response[Any]:
    return _delete(_ns(HookKind.GROUP, group_ref), hook_id)


@app.post("/api/v4/groups/<group_ref>/hooks/<hook_id>/test/<trigger>", responses=answers(201))
def test_group_hook(group_ref: str, hook_id: int, trigger: str) -> Response[Any]:
    return _test(_ns(HookKind.GROUP, group_ref), hook_id, trigger)


@app.post("/api/v4/groups/<group_ref>/hooks/<hook_id>/signing_token", responses=answers(201))
def rotate_group_signing_token(group_ref: str, hook_id: int) -> Response[Any]:
    """Generate a signing token (returned once); the previous one keeps signing for 24 h."""
    return _signing_token(_ns(HookKind.GROUP, group_ref), hook_id)


@app.post("/api/v4/groups/<group_ref>/hooks/<hook_id>/recover", responses=answers(201))
def recover_group_hook(group_ref: str, hook_id: int, request: Annotated[RecoverRequest, Body()]) -> Response[Any]:
    return _recover(_ns(HookKind.GROUP, group_ref), hook_id, request)


@app.get("/api/v4/hooks", responses=answers(200, 403))
def list_system_hooks(page: Page = 1, per_page: PerPage = 20) -> Response[Any]:
    return _list(_ns(HookKind.SYSTEM), page, per_page)


@app.post("/api/v4/hooks", responses=answers(201, 403))
def create_system_hook(request: Annotated[HookCreate, Body()]) -> Response[Any]:
    return _create(_ns(HookKind.SYSTEM), request)


@app.get("/api/v4/hooks/<hook_id>", responses=answers(200, 403))
def get_system_hook(hook_id: int) -> Response[Any]:
    return _get(_ns(HookKind.SYSTEM), hook_id)


@app.put("/api/v4/hooks/<hook_id>", responses=answers(200, 403))
def update_system_hook(hook_id: int, request: Annotated[HookUpdate, Body()]) -> Response[Any]:
    return _update(_ns(HookKind.SYSTEM), hook_id, request)


@app.delete("/api/v4/hooks/<hook_id>", responses=answers(204, 403))
def delete_system_hook(hook_id: int) -> Response[Any]:
    return _delete(_ns(HookKind.SYSTEM), hook_id)


@app.post("/api/v4/hooks/<hook_id>", responses=answers(201, 403))
def test_system_hook(hook_id: int) -> Response[Any]:
    """GitLab's system hook test: its fixed project_create sample, sent, and answered."""
    return json_response(201, hook_admin().test_system(_ns(HookKind.SYSTEM), hook_id))


# --- namespaces ----------------------------------------------------------------------------------------------
def _namespace_body(kind: HookKind, ref: str) -> Response[Any]:
    namespace = _ns(kind, ref)
    return json_response(200, namespace_out(kind, namespace.id, namespace.path, runtime_config().instance_url))


@app.get("/api/v4/projects/<project_ref>", responses=answers(200))
def get_project(project_ref: str) -> Response[Any]:
    """A project Hookline knows (from a hook registration or an event), by id or URL-encoded full path."""
    return _namespace_body(HookKind.PROJECT, project_ref)


@app.get("/api/v4/groups/<group_ref>", responses=answers(200))
def get_group(group_ref: str) -> Response[Any]:
    """A group Hookline knows (from a hook registration or an event), by id or URL-encoded full path."""
    return _namespace_body(HookKind.GROUP, group_ref)


# --- recent events, resend, url variables and custom headers (project and group hooks) -------------------------
def _statuses(status: str | None) -> frozenset[str]:
    """GitLab's status filter: codes and categories, comma-separated."""
    wanted = frozenset(part.strip() for part in (status or "").split(",") if part.strip())
    if any(value not in STATUS_CODES and value not in STATUS_CATEGORIES for value in wanted):
        raise ApiError(400, error="status does not have a valid value")
    return wanted


def _events(namespace: Namespace, hook_id: int, status: str | None, page: int, per_page: int) -> Response[Any]:
    if per_page > MAX_EVENTS_PER_PAGE:
        raise ApiError(400, error="per_page does not have a valid value")
    logs, total = hook_admin().events(namespace, hook_id, _statuses(status), page, per_page)
    return paginated([event_log_out(log, payload) for log, payload in logs], page, per_page, total)


def _event(namespace: Namespace, hook_id: int, event_id: int) -> Response[Any]:
    log, payload = hook_admin().event(namespace, hook_id, event_id)
    return json_response(200, event_log_out(log, payload, details=True))


def _resend(namespace: Namespace, hook_id: int, event_id: int) -> Response[Any]:
    return json_response(201, {"response_status": hook_admin().resend(namespace, hook_id, event_id)})


def _set_pair(namespace: Namespace, hook_id: int, field: str, key: str, value: str | None) -> Response[Any]:
    hook_admin().set_pair(namespace, hook_id, field, unquote(key), value)
    return Response(status_code=204, body="")


def _register_hook_extras(kind: HookKind, collection: str) -> None:
    """The routes GitLab has for project and group hooks alike; ``ref`` is the namespace's id or encoded path."""
    base = f"/api/v4/{collection}/<ref>/hooks/<hook_id>"

    @app.get(f"{base}/events", operation_id=f"list_{kind}_hook_events", responses=answers(200))
    def list_events(
        ref: str, hook_id: int, status: str | None = None, page: Page = 1, per_page: PerPage = 20
    ) -> Response[Any]:
        return _events(_ns(kind, ref), hook_id, status, page, per_page)

    @app.get(f"{base}/events/<event_id>", operation_id=f"get_{kind}_hook_event", responses=answers(200))
    def get_event(ref: str, hook_id: int, event_id: int) -> Response[Any]:
        return _event(_ns(kind, ref), hook_id, event_id)

    @app.post(f"{base}/events/<event_id>/resend", operation_id=f"resend_{kind}_hook_event", responses=answers(201))
    def resend_event(ref: str, hook_id: int, event_id: int) -> Response[Any]:
        return _resend(_ns(kind, ref), hook_id, event_id)

    for field in ("url_variables", "custom_headers"):
        _register_pair_routes(kind, base, field)


def _register_pair_routes(kind: HookKind, base: str, field: str) -> None:
    """``PUT`` (body ``value``) and ``DELETE`` of one url variable or custom header: 204."""

    @app.put(f"{base}/{field}/<key>", operation_id=f"set_{kind}_hook_{field}", responses=answers(204))
    def set_value(ref: str, hook_id: int, key: str, request: Annotated[ValueBody, Body()]) -> Response[Any]:
        return _set_pair(_ns(kind, ref), hook_id, field, key, request.value)

    @app.delete(f"{base}/{field}/<key>", operation_id=f"delete_{kind}_hook_{field}", responses=answers(204))
    def delete_value(ref: str, hook_id: int, key: str) -> Response[Any]:
        return _set_pair(_ns(kind, ref), hook_id, field, key, None)


_register_hook_extras(HookKind.PROJECT, "projects")
_register_hook_extras(HookKind.GROUP, "groups")


# --- group and project access tokens ---------------------------------------------------------------------------------
def _register_token_routes(kind: HookKind, collection: str) -> None:
    """GitLab's group and project access tokens: create (the value is shown once), list and revoke.

    The admin may do this for any namespace; an access token only for the namespaces it manages.
    """
    base = f"/api/v4/{collection}/<ref>/access_tokens"

    @app.post(base, operation_id=f"create_{kind}_access_token", responses=answers(201))
    def create_token(ref: str, request: Annotated[AccessTokenCreate, Body()]) -> Response[Any]:
        namespace = _ns(kind, ref, creating=True)
        token, value = access_tokens().create(
            _PRINCIPAL.get(), namespace, request.name, request.scopes, request.expires_at
        )
        return json_response(201, access_token_out(token, access_tokens().clock(), value))

    @app.get(base, operation_id=f"list_{kind}_access_tokens", responses=answers(200))
    def list_tokens(ref: str, page: Page = 1, per_page: PerPage = 20) -> Response[Any]:
        tokens = access_tokens().list(_ns(kind, ref))
        now = access_tokens().clock()
        return paginated([access_token_out(token, now) for token in tokens], page, per_page)

    @app.delete(f"{base}/<token_id>", operation_id=f"revoke_{kind}_access_token", responses=answers(204))
    def revoke_token(ref: str, token_id: int) -> Response[Any]:
        access_tokens().revoke(_ns(kind, ref), token_id)
        return Response(status_code=204, body="")


_register_token_routes(HookKind.PROJECT, "projects")
_register_token_routes(HookKind.GROUP, "groups")
