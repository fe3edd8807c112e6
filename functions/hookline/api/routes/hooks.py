"""Hooks of every kind: list, create, read, update, delete, test, signing token and recover."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from hookline.api.errors import json_response
from hookline.api.models import (
    HOOK_MODELS,
    HookCreate,
    HookUpdate,
    MessageOut,
    RecoveredOut,
    RecoverRequest,
    SigningTokenOut,
    SystemHookTestOut,
    hook_fields,
    hook_out,
)
from hookline.api.responses import answers, no_content, paginated
from hookline.api.routes.scopes import (
    GROUP,
    NAMESPACES,
    PROJECT,
    SYSTEM,
    HookId,
    Operation,
    Page,
    PerPage,
    Scope,
    register,
)
from hookline.domain.hooks import Hook
from hookline.services.hook_admin import Namespace
from hookline.wiring import hook_admin

router = Router()

Trigger = Annotated[str, Path(description="The trigger to test: one of the hook kind's `*_events` fields.")]


def _hook_body(hook: Hook) -> dict[str, Any]:
    return hook_out(hook, hook_admin().clock())


def list_hooks(namespace: Namespace, page: Page = 1, per_page: PerPage = 20) -> Response[Any]:
    hooks = [_hook_body(hook) for hook in hook_admin().list(namespace)]
    return paginated(router.current_event, hooks, page, per_page)


def create_hook(namespace: Namespace, request: Annotated[HookCreate, Body()]) -> Response[Any]:
    return json_response(201, _hook_body(hook_admin().create(namespace, hook_fields(request))))


def get_hook(namespace: Namespace, hook_id: HookId) -> Response[Any]:
    return json_response(200, _hook_body(hook_admin().get(namespace, hook_id)))


def update_hook(namespace: Namespace, hook_id: HookId, request: Annotated[HookUpdate, Body()]) -> Response[Any]:
    return json_response(200, _hook_body(hook_admin().update(namespace, hook_id, hook_fields(request))))


def delete_hook(namespace: Namespace, hook_id: HookId) -> Response[Any]:
    hook_admin().delete(namespace, hook_id)
    return no_content()


def test_hook(namespace: Namespace, hook_id: HookId, trigger: Trigger) -> Response[Any]:
    hook_admin().test(namespace, hook_id, trigger)
    return json_response(201, {"message": "201 Created"})


def test_system_hook(namespace: Namespace, hook_id: HookId) -> Response[Any]:
    return json_response(201, hook_admin().test_system(namespace, hook_id))


def rotate_signing_token(namespace: Namespace, hook_id: HookId) -> Response[Any]:
    return json_response(201, {"signing_token": hook_admin().rotate_signing_token(namespace, hook_id)})


def recover_hook(namespace: Namespace, hook_id: HookId, request: Annotated[RecoverRequest, Body()]) -> Response[Any]:
    return json_response(201, hook_admin().recover(namespace, hook_id, request.since, request.until))


def _hooks_answer(success: int, scope: Scope, *, many: bool = False) -> dict[int, OpenAPIResponse]:
    """The kind's hook object (or a list of them); system hooks answer 403 to an access token."""
    model = HOOK_MODELS[scope.kind]
    return answers(success, *((403,) if scope is SYSTEM else ()), model=list[model] if many else model)  # type: ignore[valid-type]


register(
    router,
    (PROJECT, GROUP, SYSTEM),
    [
        Operation(
            "GET", "", list_hooks, "list_{kind}_hooks", "List {kind} hooks",
            "The {kind} hooks, paginated as GitLab paginates (`page`, `per_page`, `X-*` and `Link` headers).",
            lambda scope: _hooks_answer(200, scope, many=True),
        ),
        Operation(
            "POST", "", create_hook, "create_{kind}_hook", "Add a {kind} hook",
            "Create a {kind} hook. `url` is required; triggers default as in GitLab (`push_events` on). Parameters "
            "may be sent as JSON, as a form or in the query string.",
            lambda scope: _hooks_answer(201, scope), creating=True,
        ),
        Operation(
            "GET", "/<hook_id>", get_hook, "get_{kind}_hook", "Get a {kind} hook",
            "One {kind} hook. `token` and `signing_token` are write-only; url variable and custom header values "
            "are never shown.",
            lambda scope: _hooks_answer(200, scope),
        ),
        Operation(
            "PUT", "/<hook_id>", update_hook, "update_{kind}_hook", "Edit a {kind} hook",
            "Change the fields sent; the others keep their values. A new URL drops the token, url variables and "
            "custom headers unless they are sent too.",
            lambda scope: _hooks_answer(200, scope),
        ),
        Operation(
            "DELETE", "/<hook_id>", delete_hook, "delete_{kind}_hook", "Delete a {kind} hook",
            "Remove the hook; 404 once it is gone.",
            lambda scope: answers(204, *((403,) if scope is SYSTEM else ())),
        ),
    ],
)  # fmt: skip
register(
    router,
    NAMESPACES,
    [
        Operation(
            "POST", "/<hook_id>/test/<trigger>", test_hook, "test_{kind}_hook", "Trigger a test {kind} hook",
            "Send GitLab's test data for `trigger` (its documented payload, about the hook's project) now, even to a "
            "disabled hook; a 2xx re-enables it. Anything else is a 422 with the reason, and so is a trigger GitLab "
            "cannot test (`Testing not available for this hook`). 5 tests and resends a minute per hook, then 429.",
            lambda scope: answers(201, 429, model=MessageOut),
        ),
        Operation(
            "POST", "/<hook_id>/signing_token", rotate_signing_token, "rotate_{kind}_hook_signing_token",
            "Generate a signing token",
            "A new Standard Webhooks signing token, returned this once; the previous one keeps signing for 24 h.",
            lambda scope: answers(201, model=SigningTokenOut),
        ),
        Operation(
            "POST", "/<hook_id>/recover", recover_hook, "recover_{kind}_hook", "Recover parked deliveries",
            "Queue again the hook's deliveries parked between `since` and `until` (default: now), 500 a call, once "
            "the hook is executable.",
            lambda scope: answers(201, model=RecoveredOut),
        ),
    ],
)  # fmt: skip
register(
    router,
    (SYSTEM,),
    [
        Operation(
            "POST", "/<hook_id>", test_system_hook, "test_system_hook", "Test a system hook",
            "Send GitLab's fixed system hook test data (a `project_create` event) now, and answer with it, whatever "
            "the receiver says.",
            lambda scope: answers(201, 403, 429, model=SystemHookTestOut),
        ),
    ],
)  # fmt: skip
