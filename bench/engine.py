"""Figure 4: the sender's delivery engine against a bare httpx.AsyncClient: same bodies, receiver and concurrency.

The engine is DeliverySender.deliver on a received batch, everything from the batch to its log items: hook checks, URL
policy, headers and token, the POSTs, response capture and the log items. Its AWS calls (the hooks' BatchGetItem, the
rate-limit counter and the logs' BatchWriteItem) are answered in memory: figure 1 counts them, and here they would only
time moto. A batch is what the sender dequeues: ten messages, each one event for ``fan_out`` hooks; the bare client
posts the same bodies to the same URLs, at most ``PER_HOOK_CONCURRENCY`` at once to each, as the engine does.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from hookline import settings
from hookline.adapters.aws import BatchRead
from hookline.adapters.delivery_store import DeliveryStore
from hookline.adapters.hook_store import HookStore
from hookline.adapters.http_client import HttpSender, LoopRunner
from hookline.domain.delivery import REQUEST_TIMEOUT_SECONDS, EventDeliveries, RequestContext
from hookline.domain.events import HookKind
from hookline.domain.hooks import Hook
from hookline.domain.url_policy import Allowlist
from hookline.services.delivery import DeliverySender, QueuedTask

_PROJECT = "bench/engine"
Post = tuple[str, bytes]


class _MemoryHooks(HookStore):
    def __init__(self, hooks: list[Hook]) -> None:
        super().__init__(table_name="in-memory")
        self.hooks = {hook.id: hook for hook in hooks}

    def many_read(self, hook_ids: Iterable[int]) -> BatchRead[dict[int, Hook]]:
        found = {hook_id: self.hooks[hook_id] for hook_id in dict.fromkeys(hook_ids) if hook_id in self.hooks}
        return BatchRead(self.table_name, [], lambda _: found)  # no keys: no call, the answer is at hand


class _MemoryLogs(DeliveryStore):
    def __init__(self) -> None:
        super().__init__(table_name="in-memory")
        self.written = 0

    def write_items(self, items: list[dict[str, Any]]) -> None:
        self.written += len(items)

    def payloads_read(self, event_uuids: Iterable[str]) -> BatchRead[dict[str, str]]:
        return BatchRead(self.table_name, [], lambda _: {})  # every body travels inline

    def count_in_window(self, name: str, window_start: int, window_seconds: int = 60, by: int = 1) -> int:
        return by  # the rate-limit counter: figure 1 counts its AWS call, the engine figure times it apart


@dataclass(frozen=True)
class EngineResult:
    deliveries: int
    deliveries_per_batch: int
    engine_s: float
    bare_s: float
    log_items: int

    @property
    def ratio(self) -> float:
        return self.bare_s / self.engine_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "deliveries_per_side": self.deliveries,
            "deliveries_per_batch": self.deliveries_per_batch,
            "engine_deliveries_per_s": self.deliveries / self.engine_s,
            "bare_httpx_deliveries_per_s": self.deliveries / self.bare_s,
            "log_items_built": self.log_items,
        }


def _batches(fan_out: int, payload: dict[str, Any], count: int, size: int) -> list[list[QueuedTask]]:
    """``count`` batches as the sender dequeues them: ``size`` messages, each one event for ``fan_out`` hooks."""
    body = json.dumps(payload, separators=(",", ":"))
    now = datetime.now(UTC)
    batches = []
    for number in range(count):
        batch = []
        for index in range(size):
            message = EventDeliveries(
                hook_ids=list(range(1, fan_out + 1)),
                event_uuid=f"engine-{number}-{index}",
                event_name="Push Hook",
                body=body,
                queued_at=now,
            )
            batch += [QueuedTask(task, f"m-{number}-{index}", "not-received", 1, fan_out) for task in message.tasks()]
        batches.append(batch)
    return batches


async def _bare_batch(client: httpx.AsyncClient, posts: list[Post]) -> None:
    """The same POSTs with nothing else, at the engine's concurrency: at most ``PER_HOOK_CONCURRENCY`` per URL."""
    limits: dict[str, asyncio.Semaphore] = {}

    async def post(url: str, body: bytes) -> None:
        headers = {"Content-Type": "application/json"}
        limit = limits.setdefault(url, asyncio.Semaphore(settings.PER_HOOK_CONCURRENCY))
        async with limit, client.stream("POST", url, content=body, headers=headers) as response:
            async for _ in response.aiter_raw():
                pass
            if response.status_code != 200:
                raise RuntimeError(f"bare POST answered {response.status_code}")

    await asyncio.gather(*(post(url, body) for url, body in posts))


def measure(base_url: str, fan_out: int, payload: dict[str, Any], batches: int, rounds: int) -> EngineResult:
    """Alternate the engine and the bare client for ``rounds`` rounds of ``batches`` batches each, after a warm-up."""
    hooks = [
        Hook(
            id=hook_id,
            kind=HookKind.PROJECT,
            scope_key=f"project:{_PROJECT}",
            namespace_path=_PROJECT,
            url=f"{base_url}/engine/{hook_id}",
            token="bench-secret",
            triggers=frozenset({"push_events"}),
            created_at=datetime.now(UTC),
        )
        for hook_id in range(1, fan_out + 1)
    ]
    logs = _MemoryLogs()
    engine = DeliverySender(
        _MemoryHooks(hooks),
        logs,
        HttpSender(Allowlist.parse("127.0.0.1")),
        RequestContext(instance_url="http://127.0.0.1"),
    )
    work = _batches(fan_out, payload, batches + 1, settings.DELIVERY_QUEUE.batch_size)
    posts = [[(hooks[item.task.hook_id - 1].url, (item.task.body or "").encode()) for item in batch] for batch in work]
    client = httpx.AsyncClient(
        follow_redirects=False,
        timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        trust_env=False,
    )
    engine.deliver(work[0])  # warm-up: connections, first-call costs
    LoopRunner.run(_bare_batch(client, posts[0]))
    engine_s = bare_s = 0.0
    try:
        for round_number in range(rounds):
            # Batch by batch, the sides take turns (who goes first alternates by round), so a slow spell of this shared
            # machine falls on both alike.
            for batch, batch_posts in zip(work[1:], posts[1:], strict=True):
                for side in ("engine", "bare") if round_number % 2 == 0 else ("bare", "engine"):
                    started = time.perf_counter()
                    if side == "engine":
                        report = engine.deliver(batch)
                        engine_s += time.perf_counter() - started
                        if report.succeeded != len(batch):
                            failed = len(batch) - report.succeeded
                            raise RuntimeError(f"engine: {failed} of {len(batch)} deliveries failed")
                    else:
                        LoopRunner.run(_bare_batch(client, batch_posts))
                        bare_s += time.perf_counter() - started
    finally:
        LoopRunner.run(client.aclose())
    deliveries = rounds * sum(len(batch) for batch in work[1:])
    return EngineResult(deliveries, len(work[0]), engine_s, bare_s, logs.written)
