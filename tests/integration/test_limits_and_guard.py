"""Limits and the SSRF guard on save, on moto: hook counts, manual sends per minute, blocked destinations."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hookline import settings
from hookline.adapters.http_client import destination_blocked
from hookline.api.errors import gitlab_answer
from hookline.domain.errors import DomainError, Invalid, RateLimited
from hookline.domain.events import HookKind
from hookline.domain.url_policy import Allowlist
from hookline.services.hook_admin import HookAdmin
from hookline.wiring import hook_admin
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack
from tests.unit.test_ssrf import LITERAL_VECTORS

T0 = datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC)


def _admin(**changes: object) -> HookAdmin:
    return replace(hook_admin(), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "limit"), [(HookKind.PROJECT, settings.MAX_PROJECT_HOOKS), (HookKind.GROUP, settings.MAX_GROUP_HOOKS)]
)
def test_hooks_per_namespace_are_limited(stack: LocalStack, kind: HookKind, limit: int) -> None:
    admin = hook_admin()
    namespace = admin.namespace(kind, f"limits%2F{uuid.uuid4().hex[:8]}", creating=True)
    for i in range(limit):
        admin.create(namespace, {"url": f"https://example.invalid/{i}"})
    with pytest.raises(Invalid) as refused:
        admin.create(namespace, {"url": "https://example.invalid/one-too-many"})
    label = "project" if kind is HookKind.PROJECT else "group"
    assert gitlab_answer(refused.value)[:2] == (
        422,
        {"message": {"base": [f"Maximum number of {label} hooks ({limit}) exceeded"]}},
    )
    assert len(admin.list(namespace)) == limit


def test_tests_and_resends_are_limited_to_five_a_minute_per_hook(stack: LocalStack, receiver: Receiver) -> None:
    admin = _admin(clock=lambda: T0)
    namespace = admin.namespace(HookKind.PROJECT, f"manual%2F{uuid.uuid4().hex[:8]}", creating=True)
    hook = admin.create(namespace, {"url": receiver.url("/manual")})
    other = admin.create(namespace, {"url": receiver.url("/other")})
    for _ in range(settings.MANUAL_SENDS_PER_MINUTE):
        admin.test(namespace, hook.id, "push_events")
    with pytest.raises(RateLimited) as limited:
        admin.test(namespace, hook.id, "push_events")
    assert gitlab_answer(limited.value) == (429, {"message": "429 Too Many Requests"}, {"Retry-After": "30"})
    assert len(receiver.to("/manual")) == settings.MANUAL_SENDS_PER_MINUTE  # the sixth was not sent
    admin.test(namespace, other.id, "push_events")  # per hook
    next_minute = _admin(clock=lambda: T0.replace(minute=1))
    next_minute.test(namespace, hook.id, "push_events")  # a new window


@pytest.mark.parametrize("url", [*LITERAL_VECTORS, "http://localhost:8080/", "https://user@127.0.0.1/"])
def test_blocked_destinations_are_refused_on_save(stack: LocalStack, url: str) -> None:
    admin = _admin(url_guard=lambda candidate: destination_blocked(candidate, Allowlist()))  # as deployed
    namespace = admin.namespace(HookKind.PROJECT, f"guard%2F{uuid.uuid4().hex[:8]}", creating=True)
    with pytest.raises(Invalid) as refused:
        admin.create(namespace, {"url": url})
    assert refused.value.field == "url"
    reason = refused.value.message
    assert reason.startswith("is blocked")
    hook = admin.create(namespace, {"url": "https://example.invalid/fine"})
    with pytest.raises(DomainError):
        admin.update(namespace, hook.id, {"url": url})
    assert admin.get(namespace, hook.id).url == "https://example.invalid/fine"


def test_the_allow_list_opens_a_private_address_on_save(stack: LocalStack) -> None:
    admin = _admin(url_guard=lambda candidate: destination_blocked(candidate, Allowlist.parse("10.0.0.0/8")))
    namespace = admin.namespace(HookKind.PROJECT, f"guard%2F{uuid.uuid4().hex[:8]}", creating=True)
    assert admin.create(namespace, {"url": "http://10.1.2.3/hook"}).url == "http://10.1.2.3/hook"
