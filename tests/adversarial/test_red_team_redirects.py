"""Red team on the sender: what one delivery's receiver answers must not reach another delivery."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterator

import pytest

from hookline.adapters.http_client import HttpSender, OutboundRequest
from hookline.domain.url_policy import Allowlist
from infra.local.receiver import Receiver

HEADERS = {"Content-Type": "application/json", "X-Gitlab-Event": "Push Hook"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def test_a_cookie_one_receiver_sets_never_rides_on_another_tenants_delivery(receiver: Receiver) -> None:
    """A shared host (a SaaS ingest, a chat service) answering tenant A with Set-Cookie must not see that cookie on
    tenant B's delivery: GitLab keeps no cookie jar between deliveries, and a kept one is state a receiver plants in
    a neighbour's requests (and which no log shows)."""
    receiver.replies["/tenant-a"] = ([("Set-Cookie", "session=tenant-a; Path=/")], b"{}")
    sender = HttpSender(Allowlist.parse("127.0.0.1"), timeout_s=5.0)

    async def both() -> None:
        for path, tenant in (("/tenant-a", "group:a"), ("/tenant-b", "group:b"), ("/tenant-a", "group:a")):
            result = await sender.send(OutboundRequest(receiver.url(path), HEADERS, b"{}", tenant=tenant))
            assert result.status_code == 200

    asyncio.run(both())
    assert [request.headers.get("cookie") for request in receiver.requests] == [None, None, None]


@pytest.mark.parametrize("encoding", ["GZIP", "Gzip", " gzip "])
def test_a_content_coding_is_case_insensitive(receiver: Receiver, encoding: str) -> None:
    """RFC 9110: content codings are case-insensitive; a GZIP answer is decoded, not kept as compressed bytes."""
    receiver.replies["/gz"] = ([("Content-Encoding", encoding)], gzip.compress(b'{"kept": "as text"}'))
    sender = HttpSender(Allowlist.parse("127.0.0.1"), timeout_s=5.0)
    result = asyncio.run(sender.send(OutboundRequest(receiver.url("/gz"), HEADERS, b"{}")))
    assert result.status_code == 200 and result.response_body == '{"kept": "as text"}'
