"""Which principal may touch which namespace, and when a token expires."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from hookline.domain.access import (
    ADMIN,
    AccessToken,
    InvalidExpiry,
    Principal,
    choose_expiry,
    current_user,
    is_expired,
    may_manage,
    token_digest,
)
from hookline.domain.errors import Forbidden
from hookline.domain.events import HookKind

P, G, S = HookKind.PROJECT, HookKind.GROUP, HookKind.SYSTEM
GROUP_TOKEN = Principal(G, frozenset({"group:acme", "group:7"}), "acme")
PROJECT_TOKEN = Principal(P, frozenset({"project:acme/platform/api", "project:42"}), "acme/platform/api")
ID_ONLY_GROUP_TOKEN = Principal(G, frozenset({"group:9"}), None)
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("principal", "kind", "keys", "path", "allowed"),
    [
        (ADMIN, S, ("system",), None, True),
        (ADMIN, P, ("project:1",), None, True),
        (ADMIN, G, ("group:other",), "other", True),
        # a group token: its group (by either key or by path) and everything below it
        (GROUP_TOKEN, G, ("group:acme",), "acme", True),
        (GROUP_TOKEN, G, ("group:7",), None, True),
        (GROUP_TOKEN, G, ("group:acme/platform",), "acme/platform", True),
        (GROUP_TOKEN, P, ("project:acme/platform/api",), "acme/platform/api", True),
        (GROUP_TOKEN, P, ("project:ACME/x",), "ACME/x", True),  # full paths compare case-insensitively
        (GROUP_TOKEN, P, ("project:42", "project:acme/platform/api"), "acme/platform/api", True),  # by id, alias known
        (GROUP_TOKEN, P, ("project:42",), None, False),  # by id, path unknown: cannot be proven below
        (GROUP_TOKEN, P, ("project:acme",), "acme", False),  # a project with the group's path is not the group
        (GROUP_TOKEN, G, ("group:acme-other",), "acme-other", False),  # a prefix is not a parent
        (GROUP_TOKEN, G, ("group:other/acme",), "other/acme", False),
        (GROUP_TOKEN, S, ("system",), None, False),
        # a project token: its project only
        (PROJECT_TOKEN, P, ("project:acme/platform/api",), "acme/platform/api", True),
        (PROJECT_TOKEN, P, ("project:42",), None, True),
        (PROJECT_TOKEN, P, ("project:acme/platform/api/sub",), "acme/platform/api/sub", False),
        (PROJECT_TOKEN, G, ("group:acme/platform/api",), "acme/platform/api", False),
        (PROJECT_TOKEN, G, ("group:acme",), "acme", False),
        (PROJECT_TOKEN, P, ("project:acme/platform/web",), "acme/platform/web", False),
        (PROJECT_TOKEN, S, ("system",), None, False),
        # a group token made while its group was known only by id manages that group only
        (ID_ONLY_GROUP_TOKEN, G, ("group:9",), None, True),
        (ID_ONLY_GROUP_TOKEN, G, ("group:acme/sub",), "acme/sub", False),
    ],
)
def test_who_may_manage_which_namespace(
    principal: Principal, kind: HookKind, keys: tuple[str, ...], path: str | None, allowed: bool
) -> None:
    assert may_manage(principal, kind, keys, path) is allowed


def test_a_token_expires_at_midnight_utc_of_its_date() -> None:
    assert not is_expired(None, NOW)
    assert not is_expired(date(2025, 6, 2), NOW)
    assert is_expired(date(2025, 6, 1), NOW)
    assert is_expired(date(2025, 5, 1), NOW)


def test_expiry_of_a_new_token() -> None:
    assert choose_expiry(None, NOW, ADMIN) == date(2026, 6, 1)  # a year, GitLab's maximum lifetime
    assert choose_expiry(date(2025, 6, 2), NOW, ADMIN) == date(2025, 6, 2)
    for past in (date(2025, 6, 1), date(2024, 1, 1)):
        with pytest.raises(InvalidExpiry, match="in the future"):
            choose_expiry(past, NOW, ADMIN)
    with pytest.raises(InvalidExpiry, match="on or before 2026-06-01"):
        choose_expiry(date(2026, 6, 2), NOW, ADMIN)
    # a token made by a token never outlives it
    creator = Principal(G, frozenset({"group:acme"}), "acme", date(2025, 7, 1))
    assert choose_expiry(None, NOW, creator) == date(2025, 7, 1)
    assert choose_expiry(date(2025, 7, 1), NOW, creator) == date(2025, 7, 1)
    with pytest.raises(InvalidExpiry, match=r"creating token's expiry \(2025-07-01\)"):
        choose_expiry(date(2025, 7, 2), NOW, creator)


def test_a_stored_token_is_its_principal_while_active() -> None:
    token = AccessToken(
        id=1,
        digest=token_digest("glpat-x"),
        name="ci",
        scopes=("api",),
        expires_on=date(2025, 6, 2),
        created_at=NOW,
        revoked=False,
        kind=G,
        keys=("group:acme",),
        path="Acme/",
        namespace_id=None,
    )
    assert token.digest == hashlib.sha256(b"glpat-x").hexdigest()
    assert token.principal() == Principal(G, frozenset({"group:acme"}), "acme", date(2025, 6, 2))
    assert token.active(NOW)
    assert not token.active(datetime(2025, 6, 2, tzinfo=UTC))
    assert not AccessToken(**{**token.__dict__, "revoked": True}).active(NOW)


def test_the_current_user_of_each_principal() -> None:
    admin = current_user(ADMIN, "hookline.example")
    assert (admin.id, admin.username, admin.is_admin, admin.bot) == (1, "root", True, False)
    token = AccessToken(
        id=41,
        digest="d",
        name="ci bot",
        scopes=("api",),
        expires_on=date(2025, 7, 1),
        created_at=NOW,
        revoked=False,
        kind=P,
        keys=("project:42",),
        path="acme/api",
        namespace_id=42,
    )
    bot = current_user(token.principal(), "hookline.example")
    assert (bot.id, bot.name, bot.is_admin, bot.bot) == (42, "ci bot", False, True)  # user id: token id + 1
    assert bot.username.startswith("project_42_bot_") and len(bot.username) == len("project_42_bot_") + 32
    assert bot.email == f"{bot.username}@noreply.hookline.example"
    rotated = current_user(replace(token, id=77, user_id=token.bot_user_id).principal(), "hookline.example")
    assert (rotated.id, rotated.username) == (bot.id, bot.username)  # the same bot user after a rotation
    with pytest.raises(Forbidden):
        current_user(Principal(P, frozenset({"project:42"}), "acme/api", portal=True), "hookline.example")
