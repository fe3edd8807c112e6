"""Who may touch which namespace: the admin token, or an access token of one group or project (pure rules).

- The admin manages everything: system hooks, and tokens for any namespace.
- A project token manages its own project only.
- A group token manages its group and everything below it: the groups and projects whose full path starts with the
  group's path + "/". A namespace whose path is unknown (known only by its id) cannot be proven to be below.
- System hooks belong to the admin alone.
- A portal session (``hookline.domain.portal``) manages its own namespace only, even a group's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hookline.domain.events import HookKind
from hookline.domain.hooks import normalize_path

TOKEN_PREFIX = "glpat-"
SCOPES = frozenset({"api"})
#: GitLab's maximum lifetime of an access token, and the expiry it gets when none is asked for.
MAX_LIFETIME = timedelta(days=365)


def token_digest(token: str) -> str:
    """How a token is stored and looked up: the hex SHA-256 of its value (the value itself is never kept)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is asking. ``kind`` None is the admin; otherwise the namespace the token was made for."""

    kind: HookKind | None = None
    keys: frozenset[str] = frozenset()  # the scope keys the namespace was known by when the token was made
    path: str | None = None  # its full path, when known
    expires_on: date | None = None
    #: A portal session (``hookline.domain.portal``): its namespace alone, never the namespaces below it.
    portal: bool = False

    @property
    def is_admin(self) -> bool:
        return self.kind is None


ADMIN = Principal()


def may_manage(principal: Principal, kind: HookKind, keys: tuple[str, ...], path: str | None) -> bool:
    """May ``principal`` manage the hooks (and tokens) of the namespace of ``kind`` known by ``keys`` and ``path``?"""
    if principal.is_admin:
        return True
    if kind is HookKind.SYSTEM:
        return False
    target = normalize_path(path) if path else None
    if kind is principal.kind and (principal.keys.intersection(keys) or (target and target == principal.path)):
        return True
    return (
        principal.kind is HookKind.GROUP
        and not principal.portal
        and bool(principal.path and target and target.startswith(principal.path + "/"))
    )


def is_expired(expires_on: date | None, now: datetime) -> bool:
    """GitLab's rule: a token expires at 00:00 UTC on its ``expires_at`` date."""
    return expires_on is not None and now.date() >= expires_on


class InvalidExpiry(ValueError):
    pass


def choose_expiry(requested: date | None, now: datetime, creator: Principal) -> date:
    """The expiry of a new token: after today, at most a year ahead (the default), and never after its creator's."""
    today = now.date()
    latest = today + MAX_LIFETIME
    if creator.expires_on is not None:
        latest = min(latest, creator.expires_on)
    if requested is None:
        return latest
    if requested <= today:
        raise InvalidExpiry("Expires at must be in the future")
    if requested > latest:
        if creator.expires_on is not None and requested > creator.expires_on:
            raise InvalidExpiry(f"Expires at must be on or before the creating token's expiry ({creator.expires_on})")
        raise InvalidExpiry(f"Expires at must be on or before {latest}")
    return requested


@dataclass(frozen=True)
class AccessToken:
    """A group or project access token as stored: everything but its value."""

    id: int
    digest: str
    name: str
    scopes: tuple[str, ...]
    expires_on: date
    created_at: datetime
    revoked: bool
    kind: HookKind  # of the namespace it was made for
    keys: tuple[str, ...]  # the namespace's scope keys when it was made; the first one lists it
    path: str | None
    namespace_id: int | None

    def active(self, now: datetime) -> bool:
        return not self.revoked and not is_expired(self.expires_on, now)

    def principal(self) -> Principal:
        path = normalize_path(self.path) if self.path else None
        return Principal(self.kind, frozenset(self.keys), path, self.expires_on)
