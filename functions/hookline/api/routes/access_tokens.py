"""Group and project access tokens: create (the value is shown once), list, get, rotate and revoke.

The admin may do this for any namespace; an access token only for the namespaces it manages. ``token_id`` is a
token's id or ``self`` (the token making the request).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from hookline.api.access import principal
from hookline.api.errors import json_response
from hookline.api.models import AccessTokenCreate, AccessTokenOut, AccessTokenRotate, access_token_out
from hookline.api.responses import answers, no_content, paginated
from hookline.api.routes.scopes import NAMESPACES, Operation, Page, PerPage, Scope, register
from hookline.domain.access import TokenState
from hookline.services.hook_admin import Namespace
from hookline.wiring import access_tokens

router = Router()

ACCESS_TOKENS = "access tokens"
TokenId = Annotated[str, Path(description="ID of the access token, or `self` (the token making the request).")]
State = Annotated[TokenState | None, Query(description="Only the `active` or the `inactive` tokens.")]


def _tokens(scope: Scope) -> str:
    return f"{scope.base}/access_tokens"


def create_token(namespace: Namespace, request: Annotated[AccessTokenCreate, Body()]) -> Response[Any]:
    service = access_tokens()
    token, value = service.create(
        principal(),
        namespace,
        request.name,
        request.scopes,
        request.expires_at,
        request.access_level,
        request.description,
    )
    return json_response(201, access_token_out(token, service.clock(), value))


def list_tokens(namespace: Namespace, state: State = None, page: Page = 1, per_page: PerPage = 20) -> Response[Any]:
    service = access_tokens()
    now = service.clock()
    tokens = [access_token_out(token, now) for token in service.list(namespace, state)]
    return paginated(router.current_event, tokens, page, per_page)


def get_token(namespace: Namespace, token_id: TokenId) -> Response[Any]:
    service = access_tokens()
    return json_response(200, access_token_out(service.get(principal(), namespace, token_id), service.clock()))


def rotate_token(
    namespace: Namespace, token_id: TokenId, request: Annotated[AccessTokenRotate | None, Body()] = None
) -> Response[Any]:
    service = access_tokens()
    expires_at = request.expires_at if request else None
    token, value = service.rotate(principal(), namespace, token_id, expires_at)
    return json_response(200, access_token_out(token, service.clock(), value))


def revoke_token(namespace: Namespace, token_id: TokenId) -> Response[Any]:
    access_tokens().revoke(principal(), namespace, token_id)
    return no_content()


register(
    router,
    NAMESPACES,
    [
        Operation(
            "POST", "", create_token, "create_{kind}_access_token", "Create a {kind} access token",
            "A token that manages the hooks of this {kind} (and, for a group, of everything below it). Its value "
            "is in this answer only; Hookline keeps its hash. A token made by a token is revoked with it.",
            lambda scope: answers(201, model=AccessTokenOut), creating=True, tag=ACCESS_TOKENS, base=_tokens,
        ),
        Operation(
            "GET", "", list_tokens, "list_{kind}_access_tokens", "List {kind} access tokens",
            "The {kind}'s access tokens, without their values; `state` keeps the active or the inactive ones.",
            lambda scope: answers(200, model=list[AccessTokenOut]), tag=ACCESS_TOKENS, base=_tokens,
        ),
        Operation(
            "GET", "/<token_id>", get_token, "get_{kind}_access_token", "Get a {kind} access token",
            "One of the {kind}'s access tokens, without its value.",
            lambda scope: answers(200, model=AccessTokenOut), tag=ACCESS_TOKENS, base=_tokens,
        ),
        Operation(
            "POST", "/<token_id>/rotate", rotate_token, "rotate_{kind}_access_token", "Rotate a {kind} access token",
            "Revoke the token (and the tokens it made) and answer its successor, with the new value shown this once: "
            "same name, scopes, role and bot user, expiring on `expires_at` or in a week. Rotating a revoked token "
            "is a 400 and revokes what replaced it.",
            lambda scope: answers(200, 401, model=AccessTokenOut), tag=ACCESS_TOKENS, base=_tokens,
        ),
        Operation(
            "DELETE", "/<token_id>", revoke_token, "revoke_{kind}_access_token", "Revoke a {kind} access token",
            "Revoke the token, and every token it made: from now on they answer 401.",
            lambda scope: answers(204), tag=ACCESS_TOKENS, base=_tokens,
        ),
    ],
)  # fmt: skip
