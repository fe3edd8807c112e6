"""Fan-out: find the hooks that want each event, apply the recursion guard, store its payload once (image URLs made
absolute), queue its deliveries ten hooks a message."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from hookline import settings
from hookline.adapters.aws import sqs
from hookline.adapters.delivery_store import DeliveryStore, PayloadTooLarge
from hookline.adapters.hook_store import HookStore, ScopeRoutes
from hookline.adapters.queue import OutgoingMessage, send_messages
from hookline.clock import CLOCK
from hookline.domain.delivery import EventDeliveries
from hookline.domain.envelope import IncomingEvent, InvalidEvent, NamespaceRef, parse_event
from hookline.domain.events import HookKind
from hookline.domain.fairness import message_group
from hookline.domain.hooks import SYSTEM_SCOPE, namespace_key
from hookline.domain.image_urls import with_absolute_image_urls
from hookline.domain.recursion import Admission, ChainEvent, ChainKey, ChainRoot, chain_tenant
from hookline.services.recursion_guard import RecursionGuard
from hookline.services.sqs_batch import SQSRecord

logger = Logger(service=settings.SERVICE_NAME)


def matching_hook_ids(event: IncomingEvent, routes: dict[str, ScopeRoutes]) -> list[int]:
    """The hooks of the event's scopes whose triggers and branch filter want it, in scope order, once each."""
    matched: dict[int, None] = {}
    for key in event.scope.scope_keys():
        scope = routes.get(key)
        if scope is None:
            continue
        for hook_id, entry in sorted(scope.entries.items()):
            if entry.wants(event.event_type, event.payload):
                matched[hook_id] = None
    return list(matched)


def grouped_hook_ids(
    event: IncomingEvent, routes: dict[str, ScopeRoutes], hook_ids: list[int]
) -> list[tuple[str, list[int]]]:
    """An event's hooks by message group: its tenant's hooks, then the system hooks (each group its messages)."""
    system = routes.get(SYSTEM_SCOPE)
    system_ids = system.entries.keys() if system is not None else set()
    groups = [
        (message_group(tenant(event, routes)), [hook_id for hook_id in hook_ids if hook_id not in system_ids]),
        (message_group(None), [hook_id for hook_id in hook_ids if hook_id in system_ids]),
    ]
    return [(group, ids) for group, ids in groups if ids]


def payload_text(payload: dict[str, Any]) -> str:
    """Compact JSON; escaped to ASCII when it holds a lone surrogate (valid JSON, but not encodable as UTF-8)."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode()
    except UnicodeEncodeError:
        return json.dumps(payload, separators=(",", ":"))
    return text


def _namespace_refs(event: IncomingEvent) -> list[tuple[HookKind, NamespaceRef]]:
    return [event.scope.namespace, *((HookKind.GROUP, group) for group in event.scope.groups)]


def tenant(event: IncomingEvent, routes: dict[str, ScopeRoutes]) -> str:
    """The tenant of the event's chain: its top-level namespace (its path, the learnt one, or an ancestor's)."""
    kind, ref = event.scope.namespace
    key = namespace_key(kind, ref.id if ref.id is not None else ref.path or "")
    known = routes.get(key)
    alias = known.alias.split(":", 1)[1] if known and known.alias else None
    paths = [
        ref.path,
        None if alias is None or alias.isdigit() else alias,
        *(group.path for group in event.scope.groups),
    ]
    return chain_tenant(key, paths)


def project_id(event: IncomingEvent, routes: dict[str, ScopeRoutes]) -> int | None:
    """The id of the event's project: from its scope, else the alias Hookline learnt for its path."""
    kind, ref = event.scope.namespace
    if kind is not HookKind.PROJECT:
        return None
    if ref.id is not None:
        return ref.id
    known = routes.get(namespace_key(kind, ref.path)) if ref.path else None
    alias = known.alias.removeprefix("project:") if known and known.alias else ""
    return int(alias) if alias.isascii() and alias.isdigit() else None


@dataclass
class FanOutReport:
    events: int = 0
    deliveries: int = 0
    unmatched_events: int = 0
    recursion_blocked: int = 0
    per_event: dict[str, list[int]] = field(default_factory=dict)
    keep_message_ids: tuple[str, ...] = ()


@dataclass
class FanOut:
    hook_store: HookStore
    delivery_store: DeliveryStore
    delivery_queue_url: str
    dead_letter_url: str
    instance_url: str = ""  # relative image references in markdown fields are made absolute under it
    metrics: Metrics | None = None
    clock: Callable[[], datetime] = CLOCK.now
    guard: RecursionGuard = field(init=False)

    def __post_init__(self) -> None:
        self.guard = RecursionGuard(self.delivery_store)

    def parse_record(self, record: SQSRecord) -> IncomingEvent | None:
        """An EventBridge envelope from the ingest queue. A contract breach goes to the DLQ at once, with its reason."""
        try:
            envelope = json.loads(record.body)
            if not isinstance(envelope, dict):
                raise InvalidEvent("the message is not an EventBridge event")
            event_uuid = str(envelope.get("id") or record.message_id)
            return parse_event(event_uuid, str(envelope.get("detail-type", "")), envelope.get("detail"))
        except (json.JSONDecodeError, InvalidEvent) as error:
            reason = f"not JSON: {error}" if isinstance(error, json.JSONDecodeError) else str(error)
        except Exception:  # nested too deep, or anything else a producer can send: this event's fault alone
            reason = "the event could not be read"
        logger.warning("Rejected event", extra={"reason": reason, "message_id": record.message_id})
        self._dead_letter(record.body, reason)
        return None

    def _dead_letter(self, body: str, reason: str) -> None:
        sqs().send_message(
            QueueUrl=self.dead_letter_url,
            MessageBody=body,
            MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:1024]}},
        )

    def fan_out(self, events: list[IncomingEvent]) -> FanOutReport:
        """One routing read for the whole batch, the recursion guard, one payload write per matched event, messages
        sent in tens.

        A failure after the messages went out fails the batch: it is fanned out again, and the deliveries it repeats
        carry the same Idempotency-Key (and the guard lets an event call again the hooks it called)."""
        now = self.clock()
        all_keys = [key for event in events for key in event.scope.scope_keys()]
        routes = self.hook_store.scope_routes(all_keys)
        self._learn_aliases(events, routes)

        report = FanOutReport(events=len(events))
        matched: list[tuple[IncomingEvent, list[int], str, dict[str, Any]]] = []  # event, hooks, body, payload item
        for event in events:
            try:  # one producer's event must not fail the batch
                hook_ids = matching_hook_ids(event, routes)
                if not hook_ids:  # nothing to store or send (and no compression spent on it)
                    report.per_event[event.event_uuid] = []
                    report.unmatched_events += 1
                    continue
                root = None if event.chain_uuid else ChainRoot.of(tenant(event, routes), hook_ids)
                body, item = self._stored_payload(event, project_id(event, routes), root, now)
            except Exception as error:
                self._reject(
                    event, str(error) if isinstance(error, PayloadTooLarge) else "the event could not be fanned out"
                )
                continue
            matched.append((event, hook_ids, body, item))
        admissions = self._guarded(matched, routes, now, report)
        payload_items: list[dict[str, Any]] = []
        messages: list[OutgoingMessage] = []
        all_inline = True
        for (event, _, body, item), hook_ids in zip(matched, admissions, strict=True):
            report.per_event[event.event_uuid] = hook_ids
            if not hook_ids:
                continue
            payload_items.append(item)
            inline = body if len(body.encode()) <= settings.INLINE_BODY_LIMIT else None
            all_inline = all_inline and inline is not None
            for group, ids in grouped_hook_ids(event, routes, hook_ids):
                for start in range(0, len(ids), settings.HOOKS_PER_MESSAGE):
                    message = EventDeliveries(
                        hook_ids=ids[start : start + settings.HOOKS_PER_MESSAGE],
                        event_uuid=event.event_uuid,
                        event_name=event.event_type.name,
                        body=inline,
                        queued_at=now,
                        chain_uuid=event.chain_uuid,
                        message_group=group,
                    )
                    messages.append(OutgoingMessage(message.model_dump_json(exclude_none=True), group=group))
            report.deliveries += len(hook_ids)
        if all_inline:  # no sender needs the stored payloads (only the logs do): queue first, then store
            send_messages(self.delivery_queue_url, messages)
            self.delivery_store.write_items(payload_items)
        else:  # a message points to its event's stored payload: it must be there before the message can be read
            self.delivery_store.write_items(payload_items)
            send_messages(self.delivery_queue_url, messages)
        logger.info(
            "Fan-out done",
            extra={"events": report.events, "deliveries": report.deliveries, "messages": len(messages)},
        )
        return report

    def _reject(self, event: IncomingEvent, reason: str) -> None:
        logger.warning("Rejected event", extra={"reason": reason, "event_uuid": event.event_uuid})
        self._dead_letter(json.dumps({"id": event.event_uuid, "detail-type": event.event_type.name}), reason)

    def _guarded(
        self,
        matched: list[tuple[IncomingEvent, list[int], str, dict[str, Any]]],
        routes: dict[str, ScopeRoutes],
        now: datetime,
        report: FanOutReport,
    ) -> list[list[int]]:
        """Each matched event's hooks that the recursion guard lets it call (all, for an event that starts its
        chain); the events that join a chain are decided together, once for the batch."""
        joining = [
            (index, ChainEvent(ChainKey(tenant(event, routes), event.chain_uuid), event.event_uuid, tuple(hooks)))
            for index, (event, hooks, _, _) in enumerate(matched)
            if event.chain_uuid
        ]
        allowed = [hooks for _, hooks, _, _ in matched]
        admissions = self.guard.admit([chain_event for _, chain_event in joining], now)
        for (index, _), admission in zip(joining, admissions, strict=True):
            allowed[index] = list(admission.allowed)
        self._report_blocked([matched[index][0] for index, _ in joining], admissions, report)
        return allowed

    def _report_blocked(self, events: list[IncomingEvent], admissions: list[Admission], report: FanOutReport) -> None:
        """Blocked deliveries are not sent, logged nor counted against their hooks: a log line and a metric."""
        for event, admission in zip(events, admissions, strict=True):
            if admission.blocked:
                report.recursion_blocked += len(admission.blocked)
                logger.info(
                    "Recursion blocked",
                    extra={
                        "event_uuid": event.event_uuid,
                        "gitlab_event_uuid": event.chain_uuid,
                        "blocked": len(admission.blocked),
                        "hook_ids": list(admission.blocked[:20]),
                    },
                )
        if report.recursion_blocked and self.metrics is not None:  # flushed here: most batches have no metric
            self.metrics.add_metric(settings.METRIC_RECURSION_BLOCKED, MetricUnit.Count, report.recursion_blocked)
            self.metrics.flush_metrics()

    def _stored_payload(
        self, event: IncomingEvent, project: int | None, root: ChainRoot | None, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        """The body to deliver (GitLab's markdown fields with absolute image URLs) and its payload item, with the
        chain the event starts. Should the rewrite take the payload past what an item holds, the payload goes as the
        producer sent it."""
        name = event.event_type.name
        payload = with_absolute_image_urls(name, event.payload, self.instance_url, project)
        try:
            body = payload_text(payload)
            return body, self.delivery_store.payload_item(event.event_uuid, name, body, now, root)
        except PayloadTooLarge:
            if payload is event.payload:
                raise
        body = payload_text(event.payload)
        return body, self.delivery_store.payload_item(event.event_uuid, name, body, now, root)

    def _learn_aliases(self, events: list[IncomingEvent], routes: dict[str, ScopeRoutes]) -> None:
        """Remember that a namespace's id and path are one, the first time an event shows both."""
        learnt: set[str] = set()
        for event in events:
            for kind, ref in _namespace_refs(event):
                if ref.id is None or not ref.path:
                    continue
                by_id, by_path = namespace_key(kind, ref.id), namespace_key(kind, ref.path)
                known = routes.get(by_id)
                if by_id in learnt or (known is not None and known.alias == by_path and by_path in routes):
                    continue
                self.hook_store.learn_alias(by_id, by_path)
                learnt.add(by_id)
