"""The receiver zoo: every hostile answer ends as a bounded result of its own delivery, and on the local stack the
neighbour invariant holds, with every stored item under DynamoDB's 400 KB."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from hookline.adapters.http_client import (
    MAX_REQUESTS_PER_CHAIN,
    READ_LIMIT,
    TOO_MANY_REDIRECTS,
    HttpSender,
    OutboundRequest,
)
from hookline.domain.delivery import (
    RESPONSE_BODY_LIMIT,
    RESPONSE_HEADER_NAME_LIMIT,
    RESPONSE_HEADER_VALUE_LIMIT,
    RESPONSE_HEADERS_BYTES_LIMIT,
    RESPONSE_HEADERS_LIMIT,
    DeliveryResult,
    FailureKind,
    for_log,
)
from hookline.domain.url_policy import Allowlist
from infra.local.zoo import HUGE_BODY_BYTES, Zoo
from tests.adversarial.neighbours import TIMEOUT_S, Bulkhead, assert_items_under_limit, assert_no_secret

#: The sender's timeout here: a hang or a trickle ends in about a second.
SECRET = "zoo-Secret-Token-4711"


@dataclass(frozen=True)
class Case:
    path: str
    status: int | None = None
    kind: FailureKind | None = None
    listener: str = "url"  # the Zoo method that makes the URL: url, tls_url or broken_tls_url

    def url(self, zoo: Zoo) -> str:
        make: Callable[[str], str] = getattr(zoo, self.listener)
        return make(self.path)

    @property
    def id(self) -> str:
        return f"{self.listener}:{self.path}"


CASES = [
    Case("/500", status=500),
    Case("/429", status=429),
    Case("/hang", kind=FailureKind.TIMEOUT),
    Case("/reset", kind=FailureKind.CONNECTION),
    Case("/close-mid-body", kind=FailureKind.CONNECTION),
    Case("/trickle", kind=FailureKind.TIMEOUT),
    Case("/trickle-headers", kind=FailureKind.TIMEOUT),
    Case("/continue-flood", kind=FailureKind.TIMEOUT),
    Case("/huge", status=200),
    Case("/gzip-bomb", status=200),
    Case("/invalid-http", kind=FailureKind.PROTOCOL),
    Case("/big-headers", status=200),
    Case("/many-headers", status=200),
    Case("/huge-header", kind=FailureKind.PROTOCOL),
    Case("/redirect-loop", kind=FailureKind.PROTOCOL),  # followed until the chain's 5 requests are spent
    Case("/huge-location", kind=FailureKind.PROTOCOL),
    Case("/two-locations", kind=FailureKind.PROTOCOL),
    Case("/lying-gzip", status=200),
    Case("/bogus-encoding", status=200),
    Case("/ok", kind=FailureKind.TLS, listener="tls_url"),  # self-signed, for another name; verification on
    Case("/ok", kind=FailureKind.TLS, listener="broken_tls_url"),  # a fatal alert instead of a ServerHello
]
IDS = [case.id for case in CASES]


@pytest.fixture(scope="module")
def zoo() -> Iterator[Zoo]:
    server = Zoo().start()
    yield server
    server.stop()


def _send(zoo: Zoo, case: Case) -> DeliveryResult:
    sender = HttpSender(Allowlist.parse("127.0.0.1"), timeout_s=TIMEOUT_S)
    headers = {"Content-Type": "application/json", "X-Gitlab-Token": SECRET}
    return asyncio.run(sender.send(OutboundRequest(case.url(zoo), headers, b'{"object_kind":"push"}')))


def assert_bounded(headers: dict[str, str], body: str) -> None:
    assert len(headers) <= RESPONSE_HEADERS_LIMIT
    assert all(len(name.encode()) <= RESPONSE_HEADER_NAME_LIMIT for name in headers)
    assert all(len(value.encode()) <= RESPONSE_HEADER_VALUE_LIMIT for value in headers.values())
    assert sum(len(name.encode()) + len(value.encode()) for name, value in headers.items()) <= (
        RESPONSE_HEADERS_BYTES_LIMIT
    )
    assert len(body.encode()) <= RESPONSE_BODY_LIMIT


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_hostile_answer_is_a_bounded_result(zoo: Zoo, case: Case) -> None:
    asked, ok_asked = zoo.to(case.path), zoo.to("/ok")
    result = _send(zoo, case)
    assert (result.status_code, result.error_kind) == (case.status, case.kind), result.internal_error
    assert (result.internal_error is not None) is (case.kind is not None)
    assert len(result.response_body.encode()) <= READ_LIMIT and len(result.redirects) <= MAX_REQUESTS_PER_CHAIN
    logged = for_log(result)
    assert_bounded(logged.response_headers, logged.response_body)
    assert_no_secret(SECRET, result.internal_error or "", json.dumps(result.response_headers), result.response_body)
    if case.path == "/429":
        assert logged.response_headers["Retry-After"] == "120"
    if case.path == "/huge":
        assert zoo.sent[case.path] < HUGE_BODY_BYTES  # the sender hung up after what it keeps
    if case.path == "/gzip-bomb":
        assert logged.response_body == "0" * (RESPONSE_BODY_LIMIT - 3) + "…"  # inflated up to the cap, no further
    if case.path == "/big-headers":
        assert len(logged.response_body.encode()) == RESPONSE_BODY_LIMIT
    if case.path == "/redirect-loop" and case.listener == "url":
        assert zoo.to(case.path) == asked + MAX_REQUESTS_PER_CHAIN
        assert result.internal_error == TOO_MANY_REDIRECTS
        assert [hop.status for hop in result.redirects] == [302] * MAX_REQUESTS_PER_CHAIN
    if case.path in ("/huge-location", "/two-locations"):
        assert zoo.to(case.path) == asked + 1 and zoo.to("/ok") == ok_asked  # nowhere else asked
    if case.path == "/huge-location":
        assert len(logged.redirects[0].location.encode()) <= 1024  # the log keeps 1 KB of it
    if case.path == "/lying-gzip":
        assert logged.response_body == '{"plain": "not gzip"}'  # kept as received
    if case.path == "/bogus-encoding":
        assert logged.response_body == '{"plain": true}'


def test_the_whole_zoo_at_once_leaves_a_healthy_request_its_answer(zoo: Zoo) -> None:
    sender = HttpSender(Allowlist.parse("127.0.0.1"), timeout_s=TIMEOUT_S)
    requests = [OutboundRequest(case.url(zoo), {"X-Gitlab-Token": SECRET}, b"{}") for case in CASES]
    results = asyncio.run(sender.send_all([*requests, OutboundRequest(zoo.url("/ok"), {}, b"{}")]))
    assert [(r.status_code, r.error_kind) for r in results] == [(c.status, c.kind) for c in CASES] + [(200, None)]


# --- on the local stack ------------------------------------------------------------------------------------------


#: The zoo in four scenarios of a few hostile hooks each (one scenario a behaviour would take over a minute).
GROUPS = {
    "slow": ["url:/hang", "url:/trickle", "url:/trickle-headers", "url:/continue-flood"],
    "broken": [
        "url:/reset",
        "url:/close-mid-body",
        "url:/invalid-http",
        "url:/huge-header",
        "tls_url:/ok",
        "broken_tls_url:/ok",
    ],
    "large": ["url:/huge", "url:/gzip-bomb", "url:/big-headers", "url:/many-headers"],
    "answers": [
        "url:/500",
        "url:/429",
        "url:/redirect-loop",
        "url:/huge-location",
        "url:/two-locations",
        "url:/lying-gzip",
        "url:/bogus-encoding",
    ],
}
BY_ID = {case.id: case for case in CASES}


def test_the_groups_cover_the_zoo() -> None:
    assert sorted(id for ids in GROUPS.values() for id in ids) == sorted(IDS)


@pytest.mark.parametrize("group", list(GROUPS))
def test_hostile_receivers_hurt_only_their_own_hooks(
    bulkhead: Bulkhead, zoo: Zoo, short_timeout: None, group: str
) -> None:
    """Each behaviour of the group as its own hostile hook on the same project (so in the same event), the token
    set, TLS verification on: the neighbours get one delivery each; each hostile hook's attempt is logged as its
    unit result says, bounded, without the token; every stored item is under 400 KB."""
    cases = [BY_ID[id] for id in GROUPS[group]]
    hooks = [bulkhead.hostile_hook(url=case.url(zoo), token=SECRET, enable_ssl_verification=True) for case in cases]
    assert [hook.status_code for hook in hooks] == [201] * len(cases), [hook.text for hook in hooks]
    bulkhead.run()
    bulkhead.assert_invariant()
    for case, hook in zip(cases, hooks, strict=True):
        logs = bulkhead.hostile_logs(hook.json()["id"])
        assert logs, f"{case.id}: the attempt is logged"
        expected = "internal error" if case.status is None else str(case.status)
        assert logs[-1]["response_status"] == expected, (case.id, logs[-1]["internal_error_message"])
        for log in logs:
            assert_bounded(log["response_headers"], log["response_body"])
            assert_no_secret(SECRET, json.dumps(log, default=str))
    assert_items_under_limit(bulkhead.stack)


def test_the_whole_zoo_in_one_event_leaves_the_neighbours_one_delivery_each(
    bulkhead: Bulkhead, zoo: Zoo, short_timeout: None
) -> None:
    hooks = [bulkhead.hostile_hook(url=case.url(zoo), token=SECRET) for case in CASES]
    assert all(hook.status_code == 201 for hook in hooks)
    bulkhead.run()
    bulkhead.assert_invariant()
    for hook in hooks:
        assert bulkhead.hostile_logs(hook.json()["id"])
    assert_items_under_limit(bulkhead.stack)
