"""Group and project access tokens: create (the value is returned once), list, revoke, and authenticate a request."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from hookline.adapters.hook_store import HookStore
from hookline.adapters.token_store import TokenStore
from hookline.clock import CLOCK
from hookline.domain.access import (
    SCOPES,
    TOKEN_PREFIX,
    AccessToken,
    InvalidExpiry,
    Principal,
    choose_expiry,
    token_digest,
)
from hookline.domain.errors import BadParameter, BadRequest, NotFound
from hookline.services.hook_admin import Namespace


@dataclass
class AccessTokens:
    store: TokenStore
    hooks: HookStore
    clock: Callable[[], datetime] = CLOCK.now

    def authenticate(self, value: str) -> Principal | None:
        """The principal of an active token (one GetItem); None for an unknown, revoked or expired one."""
        token = self.store.get(token_digest(value))
        return token.principal() if token and token.active(self.clock()) else None

    def create(
        self, creator: Principal, namespace: Namespace, name: str, scopes: list[str], expires_at: date | None
    ) -> tuple[AccessToken, str]:
        """A new token for ``namespace`` and its value, which is returned this once and never stored."""
        if not scopes or not set(scopes) <= SCOPES:
            raise BadParameter("scopes does not have a valid value")
        now = self.clock()
        try:
            expires_on = choose_expiry(expires_at, now, creator)
        except InvalidExpiry as error:
            raise BadRequest(str(error)) from None
        value = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = AccessToken(
            id=self.store.next_token_id(),
            digest=token_digest(value),
            name=name,
            scopes=tuple(dict.fromkeys(scopes)),
            expires_on=expires_on,
            created_at=now,
            revoked=False,
            kind=namespace.kind,
            keys=namespace.keys,
            path=namespace.path,
            namespace_id=namespace.id,
        )
        self.hooks.ensure_scope(namespace.keys[0])  # the namespace is known from now on, as after a hook
        self.store.put(token)
        return token, value

    def list(self, namespace: Namespace) -> list[AccessToken]:
        return self.store.list_for_scopes(namespace.keys)

    def revoke(self, namespace: Namespace, token_id: int) -> None:
        token = next((token for token in self.list(namespace) if token.id == token_id), None)
        if token is None or not self.store.revoke(token.digest):
            raise NotFound()
