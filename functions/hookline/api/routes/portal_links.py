"""Portal links: a console URL for one project or group that a platform hands to its tenant, and its exchange.

``POST /api/v4/portal_links`` (the admin, or a token that manages the namespace) answers the URL and its expiry; the
one-time code is in the URL's fragment, which browsers never send to a server, so it stays out of access logs. The
page posts it to ``POST /api/v4/portal_links/exchange`` (no token) for a session token
(``hookline.domain.portal``).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, Field, StrictInt, StrictStr

from hookline.api.access import managed_namespace, principal
from hookline.api.errors import json_response
from hookline.api.models import gitlab_time
from hookline.api.responses import answers
from hookline.domain.errors import BadParameter
from hookline.domain.events import HookKind
from hookline.domain.portal import PORTAL_CODE_LIFETIME, PORTAL_SESSION_LIFETIME
from hookline.wiring import portal_links

router = Router()

PORTAL_LINKS = "portal links"
PORTAL_LINKS_PATH = "/api/v4/portal_links"
EXCHANGE_PATH = f"{PORTAL_LINKS_PATH}/exchange"
CONSOLE_PATH = "/console/"


class PortalLinkCreate(BaseModel):
    """Exactly one of ``project`` and ``group``."""

    project: StrictInt | StrictStr | None = Field(None, description="ID or full path of the project.")
    group: StrictInt | StrictStr | None = Field(None, description="ID or full path of the group.")


class PortalLinkOut(BaseModel):
    url: str = Field(description="The console URL, with the one-time code in its fragment.")
    expires_at: str = Field(description=f"Until when the code may be exchanged ({PORTAL_CODE_LIFETIME}).")


class PortalExchange(BaseModel):
    code: str = Field(max_length=256, description="The code from the portal link's fragment (`#portal=<code>`).")


class PortalNamespaceOut(BaseModel):
    kind: str
    id: int | None
    path: str | None
    ref: str = Field(description="How to address it in `/api/v4/projects/:id` or `/api/v4/groups/:id`.")


class PortalSessionOut(BaseModel):
    token: str = Field(description="A bearer token for this namespace's hook routes; shown this once.")
    expires_at: str
    namespace: PortalNamespaceOut


def _console_url() -> str:
    """The console's URL on the host and stage this request came through."""
    event = router.current_event
    context = event.raw_event.get("requestContext") or {}
    headers = {name.lower(): value for name, value in (event.headers or {}).items()}
    host = context.get("domainName") or headers.get("host") or "localhost"
    proto = headers.get("x-forwarded-proto", "").strip().lower()
    proto = proto if proto in ("http", "https") else "https"  # never a javascript: or data: link
    stage_path = context.get("path") or event.path
    prefix = stage_path[: len(stage_path) - len(event.path)] if stage_path.endswith(event.path) else ""
    return f"{proto}://{host}{prefix}{CONSOLE_PATH}"


@router.post(
    PORTAL_LINKS_PATH,
    operation_id="create_portal_link",
    summary="Create a portal link",
    description="A console URL scoped to one project or group, for the admin or a token that manages it. It is "
    f"exchanged once, within {PORTAL_CODE_LIFETIME}, for a session of {PORTAL_SESSION_LIFETIME} that manages that "
    "namespace's hooks and nothing else (not the namespaces below a group).",
    tags=[PORTAL_LINKS],
    responses=answers(201, 403, model=PortalLinkOut),
)
def create_portal_link(request: Annotated[PortalLinkCreate, Body()]) -> Response[Any]:
    if (request.project is None) == (request.group is None):
        raise BadParameter(
            "project, group are mutually exclusive"
            if request.project is not None
            else "project, group are missing, exactly one parameter must be provided"
        )
    kind, ref = (HookKind.PROJECT, request.project) if request.project is not None else (HookKind.GROUP, request.group)
    namespace = managed_namespace(kind, str(ref), creating=True)
    code, expires_at = portal_links().create(principal(), namespace)
    return json_response(201, {"url": f"{_console_url()}#portal={code}", "expires_at": gitlab_time(expires_at)})


@router.post(
    EXCHANGE_PATH,
    operation_id="exchange_portal_link",
    summary="Exchange a portal link's code for a session",
    description="Called by the console with the code from the link's fragment, without a token. A code is good "
    "once: a second use, an expired or an unknown code answers 422 with the reason.",
    tags=[PORTAL_LINKS],
    responses=answers(201, model=PortalSessionOut),
    security=[],
)
def exchange_portal_link(request: Annotated[PortalExchange, Body()]) -> Response[Any]:
    session = portal_links().exchange(request.code)
    grant = session.grant
    ref = grant.path if grant.path else str(grant.namespace_id)
    body = {
        "token": session.token,
        "expires_at": gitlab_time(grant.expires_at),
        "namespace": {"kind": grant.kind.value, "id": grant.namespace_id, "path": grant.path, "ref": ref},
    }
    return json_response(201, body)
