"""Who may touch which namespace: the admin token, or an access token of one group or project (pure rules).

- The admin manages everything: system hooks, and tokens for any namespace.
- A project token manages its own project only.
- A group token manages its group and everything below it: the groups and projects whose full path starts with the
  group's path + "/". A namespace whose path is unknown (known only by its id) cannot be proven to be below.
- System hooks belong to the admin alone.
- A portal session (``hookline.domain.portal``) manages its own namespace only, even a group's.
- A token that makes a token is its creator: revoking (or rotating) a token revokes every token it made, and theirs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from hookline.domain.errors import Forbidden
from hookline.domain.events import HookKind
from hookline.domain.hooks import normalize_path

TOKEN_PREFIX = "glpat-"
SCOPES = frozenset({"api"})
#: GitLab's maximum lifetime of an access token, and the expiry it gets when none is asked for.
MAX_LIFETIME = timedelta(days=365)
#: The expiry of a rotated token when none is asked for (GitLab, where tokens must expire).
ROTATED_LIFETIME = timedelta(days=7)
#: GitLab's default role of a group or project access token (Maintainer), and the roles it accepts.
DEFAULT_ACCESS_LEVEL = 40
ACCESS_LEVELS = frozenset({10, 15, 20, 30, 40, 50})
#: The user id GitLab's API shows for the admin token: the instance's first administrator.
ADMIN_USER_ID = 1


class TokenState(StrEnum):
    """The ``state`` filter of GitLab's token lists."""

    ACTIVE = "active"
    INACTIVE = "inactive"


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
    token: AccessToken | None = field(default=None, compare=False)  # the access token asking (None: the admin)

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


def choose_expiry(requested: date | None, now: datetime, creator: Principal, default: timedelta = MAX_LIFETIME) -> date:
    """The expiry of a new token: after today, at most a year ahead, never after its creator's; ``default`` ahead
    when none is asked for (a year when created, a week when rotated), within those bounds."""
    today = now.date()
    latest = today + MAX_LIFETIME
    if creator.expires_on is not None:
        latest = min(latest, creator.expires_on)
    if latest <= today:
        raise InvalidExpiry(f"The creating token expires on {latest}")
    if requested is None:
        return min(today + default, latest)
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
    user_id: int | None = None  # its bot user's id (a rotated token keeps its predecessor's); None: id + 1
    access_level: int = DEFAULT_ACCESS_LEVEL
    description: str | None = None
    creator: str | None = None  # the digest of the token that made it (None: the admin)
    successor: str | None = None  # the digest of the token that replaced it by rotation

    @property
    def bot_user_id(self) -> int:
        """Its bot user's id: unique (token ids are, and the admin is 1), and kept through rotations."""
        return self.user_id if self.user_id is not None else self.id + 1

    def active(self, now: datetime) -> bool:
        return not self.revoked and not is_expired(self.expires_on, now)

    def in_state(self, state: TokenState | None, now: datetime) -> bool:
        return state is None or self.active(now) is (state is TokenState.ACTIVE)

    def principal(self) -> Principal:
        path = normalize_path(self.path) if self.path else None
        return Principal(self.kind, frozenset(self.keys), path, self.expires_on, token=self)


@dataclass(frozen=True)
class User:
    """Who ``GET /user`` says a token belongs to: the instance's administrator, or a token's bot user (GitLab makes
    one per group or project access token, named after the token)."""

    id: int
    username: str
    name: str
    is_admin: bool
    bot: bool
    created_at: datetime | None
    email: str


def bot_username(token: AccessToken) -> str:
    """GitLab's bot user name, ``project_<id>_bot_<32 hex>`` (or ``group_…``); the hex is derived from the bot
    user's id, so the name is stable through rotations (0 stands for an id Hookline did not know)."""
    digest = hashlib.sha256(f"hookline-bot-user:{token.bot_user_id}".encode()).hexdigest()[:32]
    return f"{token.kind.value}_{token.namespace_id or 0}_bot_{digest}"


def current_user(principal: Principal, host: str, admin_since: datetime | None = None) -> User:
    """The user behind a principal, as GitLab's ``GET /user`` shows it; ``host`` names the instance (for emails)."""
    if principal.is_admin:
        return User(ADMIN_USER_ID, "root", "Administrator", True, False, admin_since, f"admin@{host}")
    token = principal.token
    if token is None:  # a portal session is no user (and may not ask)
        raise Forbidden()
    username = bot_username(token)
    return User(token.bot_user_id, username, token.name, False, True, token.created_at, f"{username}@noreply.{host}")
