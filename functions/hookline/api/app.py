"""The GitLab REST API v4 compatible management API: a Powertools resolver, its middlewares and its routers."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware

from hookline.api import errors
from hookline.api.middleware import DOCS_PATH, OPENAPI_PATH, REQUEST_MIDDLEWARES
from hookline.api.routes import access_tokens, console, events, hooks, instance, namespaces, portal_links, stats

TAGS = [
    ("project hooks", "Webhooks of a project (by id or URL-encoded full path)."),
    ("group hooks", "Webhooks of a group; they get the events of every project below it."),
    ("system hooks", "Instance-wide hooks: the admin token only."),
    ("events", "Recent events of a project or group hook (2 days), and resend."),
    ("access tokens", "Group and project access tokens that manage hooks."),
    ("namespaces", "The projects and groups Hookline knows."),
    ("instance", "The token's user, and the GitLab version and metadata Hookline answers as."),
    ("portal links", "Console links scoped to one project or group, for a platform's tenants."),
]


@cache
def openapi_info() -> dict[str, Any]:
    """The document's info, tags and security schemes. Built at first use: Powertools' OpenAPI models take ~45 ms
    to import, and only the document and the Swagger UI page need them."""
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer, Tag

    return {
        "title": "Hookline",
        "version": "4",
        "description": "GitLab REST API v4 compatible webhook management (PRIVATE-TOKEN or Authorization: Bearer).",
        "tags": [Tag(name=name, description=description) for name, description in TAGS],
        #: Swagger UI's Authorize button offers both: GitLab takes a token in ``PRIVATE-TOKEN`` or as a bearer token.
        "security_schemes": {
            "PRIVATE-TOKEN": APIKey(
                name="PRIVATE-TOKEN",
                in_=APIKeyIn.header,  # type: ignore[call-arg]
                description="The admin token, or a group or project access token.",
            ),
            "Bearer": HTTPBearer(description="The same tokens, as `Authorization: Bearer <token>`."),
        },
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


class _SwaggerPage:
    """Powertools' Swagger UI handler (``enable_swagger``), made at the first request for the page rather than at
    cold start. ``enable_swagger`` is called on this stand-in, which keeps the handler instead of adding a route and
    lends it everything else of the resolver; the route itself is added at init, with the same options."""

    def __init__(self, resolver: APIGatewayRestResolver) -> None:
        self._resolver = resolver
        self._handler: Callable[[], Response[Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resolver, name)

    def get(self, path: str, **_: Any) -> Callable[[Callable[[], Response[Any]]], Callable[[], Response[Any]]]:
        def keep(handler: Callable[[], Response[Any]]) -> Callable[[], Response[Any]]:
            self._handler = handler
            return handler

        return keep

    def __call__(self) -> Response[Any]:
        if self._handler is None:
            APIGatewayRestResolver.enable_swagger(self, path=DOCS_PATH, persist_authorization=True, **openapi_info())  # type: ignore[arg-type]
        assert self._handler is not None
        return self._handler()


def build() -> APIGatewayRestResolver:
    """The resolver. Powertools runs its request validation before any middleware added with ``use``, but GitLab
    answers 413 and 401 before a 400, and a form or query body must become JSON before it is validated. So
    validation is not switched on with ``enable_validation=True``: the same middleware runs as the last of ours."""
    resolver = APIGatewayRestResolver(enable_validation=False)
    resolver.use([*REQUEST_MIDDLEWARES, OpenAPIRequestValidationMiddleware()])
    errors.register(resolver)
    swagger_page = _SwaggerPage(resolver)

    @resolver.get(DOCS_PATH, middlewares=[docs_page_headers], include_in_schema=False)
    def docs_page() -> Response[Any]:
        return swagger_page()

    for router in ROUTERS:
        resolver.include_router(router)
    return resolver


app = build()


def openapi_json() -> str:
    """The OpenAPI document Powertools generates from the routes (``docs/openapi.json`` is a copy)."""
    return app.get_openapi_json_schema(**openapi_info())


@app.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document() -> Response[Any]:
    return Response(status_code=200, content_type="application/json", body=openapi_json())
