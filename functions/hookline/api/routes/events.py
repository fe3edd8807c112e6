"""Recent events and resend, url variables and custom headers: the routes of project and group hooks."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from hookline.api.errors import json_response
from hookline.api.models import EventLogDetailOut, EventLogOut, ResendOut, ValueBody, event_log_out
from hookline.api.responses import answers, no_content, paginated
from hookline.api.routes.scopes import NAMESPACES, HookId, Operation, Page, PerPage, register
from hookline.domain.delivery import STATUS_CATEGORIES, STATUS_CODES
from hookline.domain.errors import BadParameter
from hookline.services.hook_admin import Namespace
from hookline.wiring import hook_admin

router = Router()

MAX_EVENTS_PER_PAGE = 20
EVENTS = "events"
HookEventId = Annotated[int, Path(description="ID of the hook event (its log entry).")]
Status = Annotated[
    str | None,
    Query(
        description="Response status codes or categories (`successful`, `client_failure`, `server_failure`), "
        "comma-separated."
    ),
]
Key = Annotated[str, Path(description="The key (URL-encoded).")]


def _statuses(status: str | None) -> frozenset[str]:
    """GitLab's status filter: codes and categories, comma-separated."""
    wanted = frozenset(part.strip() for part in (status or "").split(",") if part.strip())
    if any(value not in STATUS_CODES and value not in STATUS_CATEGORIES for value in wanted):
        raise BadParameter("status does not have a valid value")
    return wanted


def list_events(
    namespace: Namespace, hook_id: HookId, status: Status = None, page: Page = 1, per_page: PerPage = 20
) -> Response[Any]:
    if per_page > MAX_EVENTS_PER_PAGE:
        raise BadParameter("per_page does not have a valid value")
    logs, total = hook_admin().events(namespace, hook_id, _statuses(status), page, per_page)
    bodies = [event_log_out(log, payload) for log, payload in logs]
    return paginated(router.current_event, bodies, page, per_page, total)


def get_event(namespace: Namespace, hook_id: HookId, hook_event_id: HookEventId) -> Response[Any]:
    log, payload = hook_admin().event(namespace, hook_id, hook_event_id)
    return json_response(200, event_log_out(log, payload, details=True))


def resend_event(namespace: Namespace, hook_id: HookId, hook_event_id: HookEventId) -> Response[Any]:
    return json_response(201, {"response_status": hook_admin().resend(namespace, hook_id, hook_event_id)})


def _pair_routes(field: str, label: str) -> list[Operation]:
    """``PUT`` (body ``value``) and ``DELETE`` of one url variable or custom header: 204."""

    def set_value(
        namespace: Namespace, hook_id: HookId, key: Key, request: Annotated[ValueBody, Body()]
    ) -> Response[Any]:
        hook_admin().set_pair(namespace, hook_id, field, unquote(key), request.value)
        return no_content()

    def delete_value(namespace: Namespace, hook_id: HookId, key: Key) -> Response[Any]:
        hook_admin().set_pair(namespace, hook_id, field, unquote(key), None)
        return no_content()

    singular = field.removesuffix("s")
    path = f"/<hook_id>/{field}/<key>"
    return [
        Operation(
            "PUT", path, set_value, f"set_{{kind}}_hook_{singular}", f"Set a {label}",
            f"Set one {label} of the hook (the value is never shown again).", lambda scope: answers(204),
        ),
        Operation(
            "DELETE", path, delete_value, f"delete_{{kind}}_hook_{singular}", f"Delete a {label}",
            f"Remove one {label} of the hook; 404 when it has none of that key.", lambda scope: answers(204),
        ),
    ]  # fmt: skip


register(
    router,
    NAMESPACES,
    [
        Operation(
            "GET", "/<hook_id>/events", list_events, "list_{kind}_hook_events", "List {kind} hook events",
            "The hook's recent events (2 days), newest first, filtered by `status`; `per_page` at most 20.",
            lambda scope: answers(200, model=list[EventLogOut]), tag=EVENTS,
        ),
        Operation(
            "GET", "/<hook_id>/events/<hook_event_id>", get_event, "get_{kind}_hook_event", "Get a {kind} hook event",
            "One recent event, with its internal error message (Hookline's).",
            lambda scope: answers(200, model=EventLogDetailOut), tag=EVENTS,
        ),
        Operation(
            "POST", "/<hook_id>/events/<hook_event_id>/resend", resend_event, "resend_{kind}_hook_event",
            "Resend a {kind} hook event",
            "Send the logged request again with the same Idempotency-Key (not forced); the receiver's status code. "
            "422 when the hook's URL changed since or the hook is disabled; 5 a minute per hook, then 429.",
            lambda scope: answers(201, 429, model=ResendOut), tag=EVENTS,
        ),
        *_pair_routes("url_variables", "URL variable"),
        *_pair_routes("custom_headers", "custom header"),
    ],
)  # fmt: skip
