"""Group and project access tokens: create (the value is returned once), list, get, rotate, revoke (with the tokens
each made), and authenticate a request."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from hookline.adapters.hook_store import HookStore
from hookline.adapters.token_store import TokenStore
from hookline.clock import CLOCK
from hookline.domain.access import (
    DEFAULT_ACCESS_LEVEL,
    MAX_LIFETIME,
    ROTATED_LIFETIME,
    SCOPES,
    TOKEN_PREFIX,
    AccessToken,
    InvalidExpiry,
    Principal,
    TokenState,
    choose_expiry,
    token_digest,
)
from hookline.domain.errors import BadParameter, BadRequest, NotFound, Unauthorized
from hookline.services.hook_admin import Namespace

#: ``:token_id`` may name the token making the request (GitLab's self-rotation).
SELF = "self"
#: A revocation follows at most this many generations of tokens made by tokens (and rotations of a revoked token).
MAX_GENERATIONS = 100
ALREADY_REVOKED = "Token already revoked"


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
        self,
        creator: Principal,
        namespace: Namespace,
        name: str,
        scopes: list[str],
        expires_at: date | None,
        access_level: int = DEFAULT_ACCESS_LEVEL,
        description: str | None = None,
    ) -> tuple[AccessToken, str]:
        """A new token for ``namespace`` and its value, which is returned this once and never stored."""
        if not scopes or not set(scopes) <= SCOPES:
            raise BadParameter("scopes does not have a valid value")
        now = self.clock()
        value = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = AccessToken(
            id=self.store.next_token_id(),
            digest=token_digest(value),
            name=name,
            scopes=tuple(dict.fromkeys(scopes)),
            expires_on=_expiry(expires_at, now, creator),
            created_at=now,
            revoked=False,
            kind=namespace.kind,
            keys=namespace.keys,
            path=namespace.path,
            namespace_id=namespace.id,
            access_level=access_level,
            description=description,
            creator=creator.token.digest if creator.token else None,
        )
        self.hooks.ensure_scope(namespace.keys[0])  # the namespace is known from now on, as after a hook
        self.store.put(token)
        return token, value

    def list(self, namespace: Namespace, state: TokenState | None = None) -> list[AccessToken]:
        """The namespace's tokens, oldest first; ``state`` keeps the active or the inactive ones (GitLab's filter)."""
        now = self.clock()
        return [token for token in self.store.list_for_scopes(namespace.keys) if token.in_state(state, now)]

    def get(self, principal: Principal, namespace: Namespace, ref: str) -> AccessToken:
        """One of the namespace's tokens by id, or ``self``; GitLab's ``404 project Access Token Not Found``."""
        token = self._find(principal, namespace, ref)
        if token is None:
            raise NotFound(f"{namespace.kind.value} Access Token")
        return token

    def revoke(self, principal: Principal, namespace: Namespace, ref: str) -> None:
        """Revoke the token, and every token it made (and theirs)."""
        self._revoke_all([self.get(principal, namespace, ref).digest])

    def rotate(
        self, principal: Principal, namespace: Namespace, ref: str, expires_at: date | None
    ) -> tuple[AccessToken, str]:
        """Revoke the token (and the tokens it made) and make its successor: same name, scopes, role and bot user;
        it expires on ``expires_at`` or in a week. Rotating a revoked token revokes its successors too (GitLab's
        reuse detection) and is a 400."""
        old = self._find(principal, namespace, ref)
        if old is None:
            raise NotFound() if principal.is_admin else Unauthorized()  # GitLab tells the admin alone
        if old.revoked:
            self._revoke_all(self._successors(old))
            raise BadRequest(ALREADY_REVOKED)
        now = self.clock()
        creator = self.store.get(old.creator) if old.creator else None
        itself = principal.token is not None and principal.token.digest == old.digest
        rotator = Principal() if itself else principal  # a token rotating itself is bound by its creator alone
        expires_on = _expiry(expires_at, now, rotator, creator, ROTATED_LIFETIME)
        value = TOKEN_PREFIX + secrets.token_urlsafe(32)
        new = replace(
            old,
            id=self.store.next_token_id(),
            digest=token_digest(value),
            expires_on=expires_on,
            created_at=now,
            revoked=False,
            user_id=old.bot_user_id,
            successor=None,
        )
        if not self.store.rotate(old, new):
            raise BadRequest(ALREADY_REVOKED)
        self._revoke_all(self.store.created_by([old.digest]))
        return new, value

    def _find(self, principal: Principal, namespace: Namespace, ref: str) -> AccessToken | None:
        tokens = self.store.list_for_scopes(namespace.keys)
        if ref == SELF:
            digest = principal.token.digest if principal.token else None
            return next((token for token in tokens if token.digest == digest), None)
        if not (ref.isascii() and ref.isdigit() and len(ref) <= 19):
            return None
        return next((token for token in tokens if token.id == int(ref)), None)

    def _successors(self, token: AccessToken) -> tuple[str, ...]:
        """The digests of the tokens that replaced ``token``, rotation after rotation."""
        chain: list[str] = []
        digest = token.successor
        while digest and digest not in chain and len(chain) < MAX_GENERATIONS:
            chain.append(digest)
            following = self.store.get(digest)
            digest = following.successor if following else None
        return tuple(chain)

    def _revoke_all(self, digests: Iterable[str]) -> None:
        """Revoke these tokens and, generation by generation, the tokens they made."""
        seen: set[str] = set()
        generation = list(dict.fromkeys(digests))
        for _ in range(MAX_GENERATIONS):
            if not generation:
                return
            seen.update(generation)
            for digest in generation:
                self.store.revoke(digest)
            generation = [digest for digest in dict.fromkeys(self.store.created_by(generation)) if digest not in seen]


def _expiry(
    requested: date | None,
    now: datetime,
    principal: Principal,
    creator: AccessToken | None = None,
    default: timedelta = MAX_LIFETIME,
) -> date:
    """The expiry of a new token: never after the expiry of the principal making it, nor of the token that made the
    one it replaces."""
    limits = [day for day in (principal.expires_on, creator.expires_on if creator else None) if day is not None]
    try:
        return choose_expiry(requested, now, Principal(expires_on=min(limits) if limits else None), default)
    except InvalidExpiry as error:
        raise BadRequest(str(error)) from None
