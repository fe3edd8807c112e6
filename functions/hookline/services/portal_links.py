"""Portal links: make a one-time code for a namespace, exchange it for a session, authenticate a session."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from hookline.adapters.portal_store import CODE, SESSION, PortalStore
from hookline.adapters.token_store import TokenStore
from hookline.clock import CLOCK
from hookline.domain.access import Principal, token_digest
from hookline.domain.errors import Forbidden, Refused
from hookline.domain.portal import (
    CODE_PREFIX,
    PORTAL_CODE_LIFETIME,
    PORTAL_SESSION_LIFETIME,
    REUSED,
    REVOKED_CREATOR,
    SESSION_PREFIX,
    PortalGrant,
    code_refusal,
)
from hookline.services.hook_admin import Namespace


@dataclass(frozen=True)
class Session:
    token: str  # returned this once; only its digest is stored
    grant: PortalGrant


@dataclass
class PortalLinks:
    store: PortalStore
    tokens: TokenStore
    clock: Callable[[], datetime] = CLOCK.now

    def create(self, creator: Principal, namespace: Namespace) -> tuple[str, datetime]:
        """A one-time code for ``namespace`` and its expiry. A portal session may not hand out links."""
        if creator.portal:
            raise Forbidden()
        code = CODE_PREFIX + secrets.token_urlsafe(32)
        expires_at = self.clock() + PORTAL_CODE_LIFETIME
        creator_digest = creator.token.digest if creator.token else None
        self.store.put(CODE, _grant(token_digest(code), namespace, expires_at, creator_digest))
        return code, expires_at

    def exchange(self, code: str) -> Session:
        """The session a valid, unused, unexpired code opens; the code is spent. Refused (422) with the reason."""
        now = self.clock()
        digest = token_digest(code)
        grant = self.store.get(CODE, digest) if code.startswith(CODE_PREFIX) else None
        refusal = code_refusal(grant, now)
        if refusal or grant is None:
            raise Refused(refusal or "")
        if not self._creator_active(grant, now):
            raise Refused(REVOKED_CREATOR)
        if not self.store.use(digest):
            raise Refused(REUSED)
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        session = replace(grant, digest=token_digest(token), expires_at=now + PORTAL_SESSION_LIFETIME, used=False)
        self.store.put(SESSION, session)
        return Session(token, session)

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a live session, limited to its namespace; None when unknown, expired, or when the access
        token that made its link is no longer active (one GetItem, two for a link an access token made)."""
        grant = self.store.get(SESSION, token_digest(token))
        now = self.clock()
        if grant is None or now >= grant.expires_at or not self._creator_active(grant, now):
            return None
        return Principal(grant.kind, frozenset(grant.keys), grant.path, grant.expires_at.date(), portal=True)

    def _creator_active(self, grant: PortalGrant, now: datetime) -> bool:
        """A link lives no longer than the access token that made it: revoking (or rotating) that token ends it."""
        if grant.creator is None:
            return True
        creator = self.tokens.get(grant.creator)
        return creator is not None and creator.active(now)


def _grant(digest: str, namespace: Namespace, expires_at: datetime, creator: str | None) -> PortalGrant:
    return PortalGrant(
        digest, namespace.kind, namespace.keys, namespace.path, namespace.id, expires_at, creator=creator
    )
