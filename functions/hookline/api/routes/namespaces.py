"""The projects and groups Hookline knows (from a hook registration, a token or an event)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from hookline.api.errors import json_response
from hookline.api.models import GroupOut, ProjectOut, namespace_out
from hookline.api.responses import answers
from hookline.api.routes.scopes import NAMESPACES, PROJECT, Operation, register
from hookline.config import runtime_config
from hookline.services.hook_admin import Namespace

router = Router()


def get_namespace(namespace: Namespace) -> Response[Any]:
    body = namespace_out(namespace.kind, namespace.id, namespace.path, runtime_config().instance_url)
    return json_response(200, body)


register(
    router,
    NAMESPACES,
    [
        Operation(
            "GET", "", get_namespace, "get_{kind}", "Get a {kind}",
            "A {kind} Hookline knows (from a hook registration, an access token or an event), by id or URL-encoded "
            "full path: a minimal GitLab {kind} object.",
            lambda scope: answers(200, model=ProjectOut if scope is PROJECT else GroupOut),
            tag="namespaces",
            base=lambda scope: scope.base,
        ),
    ],
)  # fmt: skip
