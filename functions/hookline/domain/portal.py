"""Portal links: a one-time code that opens the console on one project or group, for a short-lived session (pure rules).

- ``POST /api/v4/portal_links`` makes a code (``PORTAL_CODE_LIFETIME``), handed out in a console URL's fragment.
- The page exchanges it once for a session token (``PORTAL_SESSION_LIFETIME``), which it keeps in the tab's
  ``sessionStorage`` and sends as a bearer token. Both are stored only as SHA-256 digests.
- A session manages the hooks of exactly that namespace (not the namespaces below a group), and nothing else:
  no access tokens, no portal links, no system hooks (``PORTAL_PATHS`` is the whole of what it may call).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from hookline.domain.events import HookKind

CODE_PREFIX = "hlpc-"
SESSION_PREFIX = "hlps-"
PORTAL_CODE_LIFETIME = timedelta(minutes=10)
PORTAL_SESSION_LIFETIME = timedelta(hours=1)
#: What a portal session may call: its namespace (read) and the hook routes below it. Anything else is 403.
PORTAL_PATHS = re.compile(r"^/api/v4/(projects|groups)/[^/]+(/hooks(/.*)?)?$")

UNKNOWN = "This portal link is not valid: ask for a new one"
REUSED = "This portal link was already used: ask for a new one"
EXPIRED = "This portal link has expired: ask for a new one"
REVOKED_CREATOR = "The access token that made this portal link was revoked: ask for a new one"


@dataclass(frozen=True)
class PortalGrant:
    """A code or a session, as stored (its value is not): the namespace it opens, and until when."""

    digest: str
    kind: HookKind
    keys: tuple[str, ...]
    path: str | None
    namespace_id: int | None
    expires_at: datetime
    used: bool = False
    creator: str | None = None  # the digest of the access token that made the link (None: the admin)


def code_refusal(grant: PortalGrant | None, now: datetime) -> str | None:
    """Why a code cannot be exchanged now, or None when it can."""
    if grant is None:
        return UNKNOWN
    if grant.used:
        return REUSED
    if now >= grant.expires_at:
        return EXPIRED
    return None


def portal_may_call(method: str, path: str) -> bool:
    """May a portal session call ``method path``? Its namespace's hook routes; the namespace itself only read."""
    match = PORTAL_PATHS.match(path)
    if not match:
        return False
    return method == "GET" or match.group(2) is not None
