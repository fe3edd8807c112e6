"""One registration for the routes GitLab has for project, group (and, where the paths allow, system) hooks alike.

A route is written once as ``handler(namespace, **parameters)``; ``register`` adds it under each scope's base path
with the scope's ``id`` path parameter (the project's or group's id or URL-encoded path, as GitLab's docs name it),
resolved to the namespace the caller may manage before the handler runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from hookline.api.access import managed_namespace
from hookline.domain.events import HookKind

Page = Annotated[int, Query(ge=1, description="Page to retrieve.")]
PerPage = Annotated[int, Query(ge=1, description="Number of items to list per page (at most 100).")]
HookId = Annotated[int, Path(description="ID of the hook.")]
Handler = Callable[..., Response[Any]]


@dataclass(frozen=True)
class Scope:
    """Where a kind of hook lives: its base path (with ``<id>`` for a namespace) and how the docs name it."""

    kind: HookKind
    base: str
    label: str  # "project", "group", "system"

    @property
    def hooks(self) -> str:
        return f"{self.base}/hooks"

    @property
    def tag(self) -> str:
        return f"{self.label} hooks"

    @property
    def namespaced(self) -> bool:
        return self.kind is not HookKind.SYSTEM


PROJECT = Scope(HookKind.PROJECT, "/api/v4/projects/<id>", "project")
GROUP = Scope(HookKind.GROUP, "/api/v4/groups/<id>", "group")
SYSTEM = Scope(HookKind.SYSTEM, "/api/v4", "system")
NAMESPACES = (PROJECT, GROUP)


@dataclass(frozen=True)
class Operation:
    """One route of every scope it is registered for. ``{kind}`` in ``name``, ``summary`` and ``description`` is the
    scope's label; ``path`` is appended to ``base(scope)`` (its hooks path, unless given)."""

    method: str
    path: str
    handler: Handler
    name: str
    summary: str
    description: str
    responses: Callable[[Scope], dict[int, OpenAPIResponse]]
    creating: bool = False  # a namespace Hookline does not know yet is created, not a 404
    tag: str | None = None  # default: the scope's tag ("project hooks")
    base: Callable[[Scope], str] = field(default=lambda scope: scope.hooks)


def scoped(scope: Scope, handler: Handler, *, creating: bool = False) -> Handler:
    """``handler(namespace, **parameters)`` as a route function of ``scope``: its parameters, with ``id`` first for a
    project or group. Powertools reads the route's parameters from ``__signature__``."""
    signature = inspect.signature(handler, eval_str=True)
    parameters = list(signature.parameters.values())[1:]
    if scope.namespaced:
        reference = Annotated[str, Path(description=f"ID or URL-encoded path of the {scope.label}.")]
        parameters.insert(0, inspect.Parameter("id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=reference))

    def route(**arguments: Any) -> Response[Any]:
        namespace = managed_namespace(scope.kind, arguments.pop("id", None), creating=creating)
        return handler(namespace, **arguments)

    route.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    route.__name__ = f"{handler.__name__}_{scope.label}"
    return route


def register(router: Router, scopes: Iterable[Scope], operations: Iterable[Operation]) -> None:
    for operation in operations:
        for scope in scopes:
            words = {"kind": scope.label}
            router.route(
                operation.base(scope) + operation.path,
                operation.method,
                operation_id=operation.name.format(**words),
                summary=operation.summary.format(**words),
                description=operation.description.format(**words),
                tags=[operation.tag or scope.tag],
                responses=operation.responses(scope),
            )(scoped(scope, operation.handler, creating=operation.creating))
