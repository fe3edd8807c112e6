"""The bench's traffic: GitLab-like push payloads, hooks over scopes, events on the bus, Lambda's SQS pollers."""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hookline import settings
from hookline.domain.events import HookKind
from hookline.domain.hooks import Hook
from hookline.handlers import ingest, sender
from hookline.wiring import hook_admin
from infra.local.lambda_runtime import Handler, SqsPoller

_WORDS = (
    "fix",
    "add",
    "bump",
    "refactor",
    "cache",
    "retry",
    "queue",
    "hook",
    "route",
    "sign",
    "log",
    "payload",
    "docs",
)


def push_payload(project_path: str, size: int, seed: int = 6) -> dict[str, Any]:
    """A push payload shaped as GitLab's, with random SHAs and commit messages, grown to about ``size`` bytes."""
    rng = random.Random(seed)

    def sha() -> str:
        return f"{rng.getrandbits(160):040x}"

    payload: dict[str, Any] = {
        "object_kind": "push",
        "event_name": "push",
        "before": sha(),
        "after": sha(),
        "ref": "refs/heads/main",
        "user_username": "bench",
        "project": {"path_with_namespace": project_path, "default_branch": "main"},
        "commits": [],
    }
    while len(json.dumps(payload)) < size:
        message = " ".join(rng.choice(_WORDS) for _ in range(8))
        payload["commits"].append({"id": sha(), "message": message, "author": {"name": f"dev{rng.randrange(99)}"}})
    payload["total_commits_count"] = len(payload["commits"])
    return payload


def create_hooks(kind: HookKind, path: str, urls: list[str]) -> list[Hook]:
    """Hooks on one project or group (made known on the way), through the same service the API uses."""
    admin = hook_admin()
    namespace = admin.namespace(kind, quote(path, safe=""), creating=True)
    return [admin.create(namespace, {"url": url, "token": "bench-secret"}) for url in urls]


def spread_hooks(project_path: str, hooks: int, scopes: int, url: Callable[[int], str]) -> list[Hook]:
    """``hooks`` hooks over the project and its nearest ``scopes - 1`` ancestor groups, round robin."""
    parts = project_path.split("/")
    levels = [(HookKind.PROJECT, project_path)]
    levels += [(HookKind.GROUP, "/".join(parts[:depth])) for depth in range(len(parts) - 1, 0, -1)]
    assert scopes <= len(levels), f"{project_path} has only {len(levels)} scopes"
    made: list[Hook] = []
    for level, (kind, path) in enumerate(levels[:scopes]):
        indexes = range(level, hooks, scopes)
        if indexes:
            made += create_hooks(kind, path, [url(index) for index in indexes])
    return made


def event_entry(project_path: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "Source": "bench.gitlab",
        "DetailType": "Push Hook",
        "Detail": json.dumps({"scope": {"project": {"path": project_path}}, "payload": payload}),
        "EventBusName": settings.bus_name(),
    }


def put_events(events: Any, entry: dict[str, Any], count: int) -> list[str]:
    """``count`` copies of an event, ten a PutEvents call; their EventBridge ids."""
    ids: list[str] = []
    for start in range(0, count, 10):
        answer = events.put_events(Entries=[entry] * min(10, count - start))
        if answer["FailedEntryCount"]:
            raise RuntimeError(f"PutEvents failed: {answer['Entries']}")
        ids += [item["EventId"] for item in answer["Entries"]]
    return ids


@dataclass
class TimedHandler:
    """A Lambda handler with the wall time of each invocation and the records it got."""

    handler: Handler
    durations: list[float] = field(default_factory=list)
    records: int = 0

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.handler(event, context)
        finally:
            self.durations.append(time.perf_counter() - started)
            self.records += len(event["Records"])

    def billed_ms(self) -> int:
        """Lambda bills each invocation's duration rounded up to the millisecond."""
        return sum(math.ceil(seconds * 1000) for seconds in self.durations)

    def reset(self) -> None:
        self.durations.clear()
        self.records = 0


@dataclass
class Pollers:
    """The ingest and sender functions behind their own SQS event source mappings (the stack's own stay stopped)."""

    environment: Mapping[str, str]  # the stack's: queue URLs, tables
    sqs: Any
    ingest: TimedHandler = field(default_factory=lambda: TimedHandler(ingest.lambda_handler))
    sender: TimedHandler = field(default_factory=lambda: TimedHandler(sender.lambda_handler))
    threads: list[SqsPoller] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.manual = self.make()  # made before any counting: a poller reads its queue's ARN when made

    def make(self) -> tuple[SqsPoller, SqsPoller]:
        environment = self.environment
        return (
            SqsPoller(
                "IngestFunction",
                self.sqs,
                environment[settings.INGEST_QUEUE.env_var],
                settings.INGEST_QUEUE,
                self.ingest,
            ),
            SqsPoller(
                "SenderFunction",
                self.sqs,
                environment[settings.DELIVERY_QUEUE.env_var],
                settings.DELIVERY_QUEUE,
                self.sender,
            ),
        )

    def drain(self, sender: bool = True, limit: int = 10_000) -> None:
        """The ingest queue until empty, then (unless told not to) the delivery queue: full batches, as a backlog."""
        for poller in self.manual if sender else self.manual[:1]:
            for _ in range(limit):
                if not poller.poll_once():
                    break

    def start(self) -> None:
        self.threads = list(self.make())
        for poller in self.threads:
            poller.start()

    def stop(self) -> None:
        for poller in self.threads:
            poller.stop()
        for poller in self.threads:
            poller.join(timeout=5)
        self.threads = []

    def reset(self) -> None:
        self.ingest.reset()
        self.sender.reset()

    def summary(self) -> dict[str, float]:
        """Invocations, mean records and mean milliseconds of each function."""
        return {
            f"{name}_{what}": value
            for name, timed in (("ingest", self.ingest), ("sender", self.sender))
            for what, value in (
                ("invocations", len(timed.durations)),
                ("mean_batch", timed.records / max(len(timed.durations), 1)),
                ("mean_ms", 1000 * sum(timed.durations) / max(len(timed.durations), 1)),
            )
        }
