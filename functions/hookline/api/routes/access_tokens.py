"""Group and project access tokens: create (the value is shown once), list and revoke.

The admin may do this for any namespace; an access token only for the namespaces it manages.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from hookline.api.access import principal
from hookline.api.errors import json_response
from hookline.api.models import AccessTokenCreate, AccessTokenOut, access_token_out
from hookline.api.responses import answers, no_content, paginated
from hookline.api.routes.scopes import NAMESPACES, Operation, Page, PerPage, Scope, register
from hookline.services.hook_admin import Namespace
from hookline.wiring import access_tokens

router = Router()

ACCESS_TOKENS = "access tokens"
TokenId = Annotated[int, Path(description="ID of the access token.")]


def _tokens(scope: Scope) -> str:
    return f"{scope.base}/access_tokens"


def create_token(namespace: Namespace, request: Annotated[AccessTokenCreate, Body()]) -> Response[Any]:
    service = access_tokens()
    token, value = service.create(principal(), namespace, request.name, request.scopes, request.expires_at)
    return json_response(201, access_token_out(token, service.clock(), value))


def list_tokens(namespace: Namespace, page: Page = 1, per_page: PerPage = 20) -> Response[Any]:
    service = access_tokens()
    now = service.clock()
    tokens = [access_token_out(token, now) for token in service.list(namespace)]
    return paginated(router.current_event, tokens, page, per_page)


def revoke_token(namespace: Namespace, token_id: TokenId) -> Response[Any]:
    access_tokens().revoke(namespace, token_id)
    return no_content()


register(
    router,
    NAMESPACES,
    [
        Operation(
            "POST", "", create_token, "create_{kind}_access_token", "Create a {kind} access token",
            "A token that manages the hooks of this {kind} (and, for a group, of everything below it). Its value "
            "is in this answer only; Hookline keeps its hash.",
            lambda scope: answers(201, model=AccessTokenOut), creating=True, tag=ACCESS_TOKENS, base=_tokens,
        ),
        Operation(
            "GET", "", list_tokens, "list_{kind}_access_tokens", "List {kind} access tokens",
            "The {kind}'s access tokens, without their values.",
            lambda scope: answers(200, model=list[AccessTokenOut]), tag=ACCESS_TOKENS, base=_tokens,
        ),
        Operation(
            "DELETE", "/<token_id>", revoke_token, "revoke_{kind}_access_token", "Revoke a {kind} access token",
            "Revoke the token: from now on it answers 401.",
            lambda scope: answers(204), tag=ACCESS_TOKENS, base=_tokens,
        ),
    ],
)  # fmt: skip
