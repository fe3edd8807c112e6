"""The GitLab REST API v4 compatible management API: a Powertools resolver, its middlewares and its routers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware

from hookline.api import errors
from hookline.api.middleware import DOCS_PATH, OPENAPI_PATH, REQUEST_MIDDLEWARES
from hookline.api.routes import access_tokens, events, hooks, namespaces

OPENAPI_INFO: dict[str, Any] = {
    "title": "Hookline",
    "version": "4",
    "description": "GitLab REST API v4 compatible webhook management (PRIVATE-TOKEN or Authorization: Bearer).",
}
ROUTERS = (hooks.router, events.router, access_tokens.router, namespaces.router)


def build() -> APIGatewayRestResolver:
    """The resolver. Powertools runs its request validation before any middleware added with ``use``, but GitLab
    answers 413 and 401 before a 400, and a form or query body must become JSON before it is validated. So
    validation is not switched on with ``enable_validation=True``: the same middleware runs as the last of ours."""
    resolver = APIGatewayRestResolver(enable_validation=False)
    resolver.use([*REQUEST_MIDDLEWARES, OpenAPIRequestValidationMiddleware()])
    errors.register(resolver)
    resolver.enable_swagger(path=DOCS_PATH, **OPENAPI_INFO)
    for router in ROUTERS:
        resolver.include_router(router)
    return resolver


app = build()


def openapi_json() -> str:
    """The OpenAPI document Powertools generates from the routes (``docs/openapi.json`` is a copy)."""
    return app.get_openapi_json_schema(**OPENAPI_INFO)


@app.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document() -> Response[Any]:
    return Response(status_code=200, content_type="application/json", body=openapi_json())
