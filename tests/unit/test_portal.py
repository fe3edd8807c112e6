"""Portal links' pure rules: when a code may be exchanged, what a session may call, what it may manage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hookline.domain.access import Principal, may_manage
from hookline.domain.events import HookKind
from hookline.domain.portal import EXPIRED, REUSED, UNKNOWN, PortalGrant, code_refusal, portal_may_call

NOW = datetime(2025, 1, 1, tzinfo=UTC)
GRANT = PortalGrant("d", HookKind.PROJECT, ("project:acme/api",), "acme/api", None, NOW + timedelta(minutes=10))


@pytest.mark.parametrize(
    ("grant", "now", "refusal"),
    [
        (GRANT, NOW, None),
        (None, NOW, UNKNOWN),
        (PortalGrant(**{**GRANT.__dict__, "used": True}), NOW, REUSED),
        (GRANT, GRANT.expires_at, EXPIRED),
        (GRANT, GRANT.expires_at - timedelta(microseconds=1), None),
    ],
)
def test_code_refusal(grant: PortalGrant | None, now: datetime, refusal: str | None) -> None:
    assert code_refusal(grant, now) == refusal


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/v4/projects/acme%2Fapi", True),
        ("PUT", "/api/v4/projects/acme%2Fapi", False),
        ("GET", "/api/v4/projects/acme%2Fapi/hooks", True),
        ("POST", "/api/v4/projects/acme%2Fapi/hooks", True),
        ("DELETE", "/api/v4/groups/7/hooks/3", True),
        ("POST", "/api/v4/groups/7/hooks/3/events/9/resend", True),
        ("POST", "/api/v4/projects/acme%2Fapi/access_tokens", False),
        ("GET", "/api/v4/projects/acme%2Fapi/access_tokens", False),
        ("POST", "/api/v4/portal_links", False),
        ("GET", "/api/v4/hooks", False),
        ("POST", "/api/v4/hooks/3", False),
        ("GET", "/api/v4/user", False),
        ("GET", "/api/v4/projects/acme/api/hooks", False),  # an unencoded path is no namespace route
    ],
)
def test_portal_may_call(method: str, path: str, allowed: bool) -> None:
    assert portal_may_call(method, path) is allowed


def test_a_group_portal_session_manages_its_group_alone() -> None:
    token = Principal(HookKind.GROUP, frozenset({"group:acme"}), "acme")
    portal = Principal(HookKind.GROUP, frozenset({"group:acme"}), "acme", portal=True)
    below = (HookKind.PROJECT, ("project:acme/api",), "acme/api")
    assert may_manage(token, *below) and not may_manage(portal, *below)
    assert may_manage(portal, HookKind.GROUP, ("group:acme",), "acme")
    assert not may_manage(portal, HookKind.GROUP, ("group:other",), "other")
    assert not may_manage(portal, HookKind.SYSTEM, ("system",), None)
