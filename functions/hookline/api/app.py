"""The GitLab REST API v4 compatible management API: a Powertools resolver, its middlewares and its routers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer, Tag

from hookline.api import errors
from hookline.api.middleware import DOCS_PATH, OPENAPI_PATH, REQUEST_MIDDLEWARES
from hookline.api.routes import access_tokens, console, events, hooks, instance, namespaces, portal_links, stats

#: Swagger UI's Authorize button offers both: GitLab takes a token in ``PRIVATE-TOKEN`` or as a bearer token.
SECURITY_SCHEMES: dict[str, Any] = {
    "PRIVATE-TOKEN": APIKey(
        name="PRIVATE-TOKEN",
        in_=APIKeyIn.header,  # type: ignore[call-arg]
        description="The admin token, or a group or project access token.",
    ),
    "Bearer": HTTPBearer(description="The same tokens, as `Authorization: Bearer <token>`."),
}
TAGS = [
    Tag(name="project hooks", description="Webhooks of a project (by id or URL-encoded full path)."),
    Tag(name="group hooks", description="Webhooks of a group; they get the events of every project below it."),
    Tag(name="system hooks", description="Instance-wide hooks: the admin token only."),
    Tag(name="events", description="Recent events of a project or group hook (2 days), and resend."),
    Tag(name="access tokens", description="Group and project access tokens that manage hooks."),
    Tag(name="namespaces", description="The projects and groups Hookline knows."),
    Tag(name="instance", description="The token's user, and the GitLab version and metadata Hookline answers as."),
    Tag(name="portal links", description="Console links scoped to one project or group, for a platform's tenants."),
]
OPENAPI_INFO: dict[str, Any] = {
    "title": "Hookline",
    "version": "4",
    "description": "GitLab REST API v4 compatible webhook management (PRIVATE-TOKEN or Authorization: Bearer).",
    "tags": TAGS,
    "security_schemes": SECURITY_SCHEMES,
    #: Either scheme, on every operation; the public documentation paths are not in the document.
    "security": [{"PRIVATE-TOKEN": []}, {"Bearer": []}],
}
ROUTERS = (
    hooks.router,
    events.router,
    access_tokens.router,
    namespaces.router,
    instance.router,
    portal_links.router,
    stats.router,
    console.router,
)


#: Swagger UI keeps the token it was given (``persist_authorization``): no other site may frame it.
DOCS_PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def docs_page_headers(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    response = next_middleware(app)
    response.headers.update(DOCS_PAGE_HEADERS)
    return response


def build() -> APIGatewayRestResolver:
    """The resolver. Powertools runs its request validation before any middleware added with ``use``, but GitLab
    answers 413 and 401 before a 400, and a form or query body must become JSON before it is validated. So
    validation is not switched on with ``enable_validation=True``: the same middleware runs as the last of ours."""
    resolver = APIGatewayRestResolver(enable_validation=False)
    resolver.use([*REQUEST_MIDDLEWARES, OpenAPIRequestValidationMiddleware()])
    errors.register(resolver)
    resolver.enable_swagger(path=DOCS_PATH, persist_authorization=True, middlewares=[docs_page_headers], **OPENAPI_INFO)
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
