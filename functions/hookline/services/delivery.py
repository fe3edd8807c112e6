"""The sender: a batch of delivery tasks becomes concurrent POSTs, log items and failure-state updates."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from hookline import settings
from hookline.adapters.delivery_store import DeliveryStore
from hookline.adapters.hook_store import HookStore
from hookline.adapters.http_client import HttpSender, LoopRunner, OutboundRequest
from hookline.domain.delivery import (
    DeliveryLog,
    DeliveryResult,
    DeliveryTask,
    FailureClass,
    RequestContext,
    delivery_headers,
    log_id_for,
    masked_url,
    redact_headers,
)
from hookline.domain.events import HookKind
from hookline.domain.hook_state import HookState, after_failure, after_success, is_executable
from hookline.domain.hooks import Hook

logger = Logger(service=settings.SERVICE_NAME)

HOOK_DELETED = "Hook was deleted; the delivery was dropped"
PAYLOAD_MISSING = "The event's payload is no longer stored"
_FAILURE_METRICS = {
    FailureClass.CLIENT: "DeliveryFailed4xx",
    FailureClass.SERVER: "DeliveryFailed5xx",
    FailureClass.INTERNAL: "DeliveryFailedInternal",
}
_STATE_WRITE_ATTEMPTS = 10


@dataclass
class SendReport:
    attempted: int = 0
    succeeded: int = 0
    failed: int = 0
    dropped: int = 0
    skipped_disabled: int = 0
    logs: list[DeliveryLog] = field(default_factory=list)


@dataclass
class DeliverySender:
    hook_store: HookStore
    delivery_store: DeliveryStore
    http: HttpSender
    context: RequestContext
    metrics: Metrics | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @staticmethod
    def parse_record(record: SQSRecord) -> DeliveryTask:
        return DeliveryTask.model_validate_json(record.body)

    def deliver(self, tasks: list[DeliveryTask]) -> SendReport:
        now = self.clock()
        hooks = self.hook_store.get_many(task.hook_id for task in tasks)
        report = SendReport()
        logs: list[DeliveryLog] = []

        live: list[tuple[DeliveryTask, Hook]] = []
        for task in tasks:
            hook = hooks.get(task.hook_id)
            if hook is None:
                report.dropped += 1
                logs.append(self._log(task, None, {}, DeliveryResult(0.0, internal_error=HOOK_DELETED), now))
            elif hook.kind is not HookKind.SYSTEM and not is_executable(hook.state, now):
                report.skipped_disabled += 1
                logger.info("Hook not executable; delivery skipped", extra={"hook_id": hook.id})
            else:
                live.append((task, hook))

        bodies = self.delivery_store.get_payloads(task.event_uuid for task, _ in live if task.body is None)
        requests: list[OutboundRequest] = []
        sendable: list[tuple[DeliveryTask, Hook, dict[str, str]]] = []
        timestamp = int(now.timestamp())
        for task, hook in live:
            body = task.body if task.body is not None else bodies.get(task.event_uuid)
            headers = delivery_headers(hook, task, self.context, timestamp)
            if body is None:
                logs.append(self._log(task, hook, headers, DeliveryResult(0.0, internal_error=PAYLOAD_MISSING), now))
                continue
            requests.append(OutboundRequest(hook.url, headers, body.encode(), hook.enable_ssl_verification))
            sendable.append((task, hook, headers))

        results = LoopRunner.run(self.http.send_all(requests)) if requests else []
        outcomes: dict[int, list[bool]] = defaultdict(list)
        for (task, hook, headers), result in zip(sendable, results, strict=True):
            logs.append(self._log(task, hook, headers, result, now))
            outcomes[hook.id].append(result.succeeded)
            report.attempted += 1
            report.succeeded += result.succeeded
            report.failed += not result.succeeded
        self._record_metrics(results)

        self.delivery_store.write_items([self.delivery_store.log_item(log) for log in logs])
        for hook_id, results_of_hook in outcomes.items():
            if hooks[hook_id].kind is not HookKind.SYSTEM:
                self._apply_outcomes(hooks[hook_id], results_of_hook, now)
        report.logs = logs
        return report

    def _log(
        self, task: DeliveryTask, hook: Hook | None, headers: dict[str, str], result: DeliveryResult, now: datetime
    ) -> DeliveryLog:
        return DeliveryLog(
            log_id=log_id_for(now, random.randrange(1000)),
            hook_id=task.hook_id,
            hook_kind=hook.kind if hook else HookKind.PROJECT,
            trigger=task.log_trigger,
            url=masked_url(hook.url) if hook else "",
            request_headers=redact_headers(headers),
            request_data=None,
            event_uuid=task.event_uuid,
            idempotency_key=task.idempotency_key,
            attempt=task.attempt,
            created_at=now,
            result=result,
        )

    def _apply_outcomes(self, hook: Hook, successes: list[bool], now: datetime) -> None:
        """Fold this batch's outcomes into the hook's state with a conditional write, re-reading on a race."""
        state = hook.state
        for _ in range(_STATE_WRITE_ATTEMPTS):
            new = _fold(state, successes, now)
            if new is None:
                return
            if self.hook_store.replace_state(hook.id, state, new):
                return
            current = self.hook_store.get(hook.id)
            if current is None:
                return
            state = current.state
        logger.warning("Hook state kept changing; outcome not recorded", extra={"hook_id": hook.id})

    def _record_metrics(self, results: list[DeliveryResult]) -> None:
        """One EMF data point per count per batch, and each attempt's latency."""
        if self.metrics is None or not results:
            return
        self.metrics.add_metric("Deliveries", MetricUnit.Count, len(results))
        self.metrics.add_metric("DeliverySucceeded", MetricUnit.Count, sum(r.succeeded for r in results))
        for failure_class, name in _FAILURE_METRICS.items():
            failed = sum(r.failure_class is failure_class for r in results)
            if failed:
                self.metrics.add_metric(name, MetricUnit.Count, failed)
        for result in results:
            self.metrics.add_metric("DeliveryLatency", MetricUnit.Milliseconds, result.duration_s * 1000)


def _fold(state: HookState, successes: list[bool], now: datetime) -> HookState | None:
    """The state after these outcomes in order, or None when nothing changes."""
    current = state
    for succeeded in successes:
        current = (after_success(current) if succeeded else after_failure(current, now)) or current
    return None if current == state else current
