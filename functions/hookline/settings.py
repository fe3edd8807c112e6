"""The one source of truth for table keys, indexes, queues, the bus and function settings.

CDK (infra/) and the local stack (infra/local/) both build their resources from these specs, and the Lambda code reads
the deployed names from the environment variables named here. This module imports nothing from AWS.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_BUS_NAME = "hookline"
#: Hookline's own operational events use this source; the ingest rule never matches it, so nothing loops.
OPS_EVENT_SOURCE = "hookline"

LOG_TTL_SECONDS = 2 * 24 * 3600
#: A payload outlives the logs that point to it by the retry horizon (72 h) plus a margin.
PAYLOAD_TTL_SECONDS = 4 * 24 * 3600


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: str
    partition_type: str  # "S" | "N"
    sort_key: str
    sort_type: str


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    env_var: str
    default_name: str
    partition_key: str = "pk"
    sort_key: str = "sk"
    ttl_attribute: str | None = None
    indexes: tuple[IndexSpec, ...] = ()

    @property
    def name(self) -> str:
        return os.environ.get(self.env_var, self.default_name)


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    env_var: str
    dlq_env_var: str
    default_name: str
    visibility_timeout_s: int
    max_receive_count: int
    retention_s: int = 4 * 24 * 3600
    dlq_retention_s: int = 14 * 24 * 3600
    batch_size: int = 10
    max_batching_window_s: int = 0

    @property
    def dlq_name(self) -> str:
        return f"{self.default_name}-dlq"


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str
    memory_mb: int
    timeout_s: int
    environment: dict[str, str] = field(default_factory=dict)


HOOKS_TABLE = TableSpec(
    logical_id="HooksTable",
    env_var="HOOKLINE_HOOKS_TABLE",
    default_name="hookline-hooks",
    indexes=(IndexSpec("by_scope", "scope_key", "S", "hook_id", "N"),),
)
"""Hooks (pk ``HOOK#<id>``), routing items per scope (pk ``SCOPE#<kind>:<id or path>``) and the id counter."""

DELIVERIES_TABLE = TableSpec(
    logical_id="DeliveriesTable",
    env_var="HOOKLINE_DELIVERIES_TABLE",
    default_name="hookline-deliveries",
    ttl_attribute="expires_at",
)
"""Delivery logs (pk ``HOOK#<id>``, sk ``LOG#<log id>``) and event payloads (pk ``EVENT#<uuid>``), all with a TTL."""

INGEST_FUNCTION = FunctionSpec("IngestFunction", "hookline.handlers.ingest.lambda_handler", memory_mb=512, timeout_s=30)
SENDER_FUNCTION = FunctionSpec("SenderFunction", "hookline.handlers.sender.lambda_handler", memory_mb=512, timeout_s=30)
API_FUNCTION = FunctionSpec("ApiFunction", "hookline.handlers.api.lambda_handler", memory_mb=512, timeout_s=29)

INGEST_QUEUE = QueueSpec(
    logical_id="IngestQueue",
    env_var="HOOKLINE_INGEST_QUEUE_URL",
    dlq_env_var="HOOKLINE_INGEST_DLQ_URL",
    default_name="hookline-ingest",
    visibility_timeout_s=6 * INGEST_FUNCTION.timeout_s,
    max_receive_count=3,
)
DELIVERY_QUEUE = QueueSpec(
    logical_id="DeliveryQueue",
    env_var="HOOKLINE_DELIVERY_QUEUE_URL",
    dlq_env_var="HOOKLINE_DELIVERY_DLQ_URL",
    default_name="hookline-deliveries",
    visibility_timeout_s=6 * SENDER_FUNCTION.timeout_s,
    max_receive_count=5,
)

#: A batching window on both event source mappings (CDK context ``batching_window_seconds``, 0 to 300 s): Lambda
#: gathers a queue's messages for up to that long before invoking, so a batch holds more than one message at a
#: trickle; each delivery may wait that long per queue. Off by default (bench figure 5's latency); the bench's figure 9
#: shows the bill with ECONOMY_BATCHING_WINDOW_S.
BATCHING_WINDOW_CONTEXT = "batching_window_seconds"
MAX_BATCHING_WINDOW_S = 300
ECONOMY_BATCHING_WINDOW_S = 20

BUS_NAME_ENV = "HOOKLINE_BUS_NAME"
ADMIN_TOKEN_ENV = "HOOKLINE_ADMIN_TOKEN"
ADMIN_TOKEN_SECRET_ENV = "HOOKLINE_ADMIN_TOKEN_SECRET"
OUTBOUND_ALLOWLIST_ENV = "HOOKLINE_OUTBOUND_ALLOWLIST"
INSTANCE_URL_ENV = "HOOKLINE_INSTANCE_URL"
#: The KMS key that seals hook secrets at rest (the stack's own key; moto's KMS locally).
KMS_KEY_ENV = "HOOKLINE_KMS_KEY_ID"
#: Optional: the Secrets Manager secret with the client certificate and key presented on every delivery (mutual TLS).
CLIENT_CERT_SECRET_ENV = "HOOKLINE_CLIENT_CERT_SECRET"
METRICS_NAMESPACE = "Hookline"
SERVICE_NAME = "hookline"
#: What X-Ray traces inside the functions: AWS calls. Powertools' default patches every library X-Ray knows that is
#: installed, which imports httpx in every function at cold start (and adds a subsegment per delivery POST).
TRACED_MODULES = ("botocore",)
#: Custom metrics the sender emits (Powertools EMF, dimension service=SERVICE_NAME); the dashboard reads the same names.
METRIC_DELIVERIES = "Deliveries"
METRIC_SUCCEEDED = "DeliverySucceeded"
METRIC_FAILED_4XX = "DeliveryFailed4xx"
METRIC_FAILED_5XX = "DeliveryFailed5xx"
METRIC_FAILED_INTERNAL = "DeliveryFailedInternal"
METRIC_LATENCY = "DeliveryLatency"  # milliseconds
METRIC_HELD = "DeliveriesHeld"
METRIC_PARKED = "DeliveriesParked"
METRIC_RETRIED = "DeliveriesRetried"
METRIC_HOOKS_DISABLED = "HooksDisabled"
METRIC_THROTTLED = "DeliveriesThrottled"
#: Deliveries failed because their hook's stored item cannot be read (a corrupt item, a secret that cannot be opened).
METRIC_HOOK_UNREADABLE = "HookUnreadable"
#: Deliveries the recursion guard blocked at fan-out (not sent, not logged, not counted against their hooks).
METRIC_RECURSION_BLOCKED = "DeliveriesRecursionBlocked"
#: Deliveries that waited because their hook had no free slot (its concurrency limit, slow start or a 429/503
#: pause), and the hooks that made them wait, per batch (the "hooks held by the concurrency limit" alarm).
METRIC_HELD_BY_GATE = "DeliveriesHeldByConcurrency"
METRIC_HOOKS_AT_LIMIT = "HooksAtConcurrencyLimit"
#: Overrides the GitLab release whose webhook behaviour Hookline follows (default ``domain.delivery.GITLAB_VERSION``):
#: deliveries carry ``User-Agent: GitLab/<version>``; a value that is not a version (``19.0.0``, ``18.2.1-ee``) fails.
GITLAB_VERSION_ENV = "HOOKLINE_GITLAB_VERSION"
#: The revision ``GET /api/v4/version`` and ``/metadata`` answer beside that version (GitLab's is its commit).
GITLAB_REVISION = "hookline"
#: One delivery message carries an event's deliveries to up to this many hooks (a sender batch: at most 10 times it).
HOOKS_PER_MESSAGE = 10
#: Bodies up to this size travel inside the delivery message; larger ones are read from the stored payload.
INLINE_BODY_LIMIT = 16 * 1024

#: Retries and holds: SQS delays a message at most 15 min; a received message can be hidden for at most 12 h.
SQS_MAX_DELAY_SECONDS = 900
#: SQS caps a message's visibility at 12 h from its receipt; a hold keeps a margin for the time the batch took.
SQS_MAX_VISIBILITY_SECONDS = 12 * 3600 - 15 * 60
#: Caps every hold and retry delay (seconds). The local stack's tests lower it so a moved clock is noticed at once.
MAX_HOLD_ENV = "HOOKLINE_MAX_HOLD_SECONDS"
DELIVERY_MAX_AGE_ENV = "HOOKLINE_DELIVERY_MAX_AGE_HOURS"
DEFAULT_DELIVERY_MAX_AGE_HOURS = 72
#: After a disable window ends, one probe goes first (its lease lasts PROBE_LEASE_SECONDS at most); the others look
#: again every PROBE_WAIT_SECONDS, so the backlog follows soon after the probe's success (through slow start).
PROBE_LEASE_SECONDS = 30
PROBE_WAIT_SECONDS = 2
#: Seconds one delivery attempt may take as a whole (lookup, connect, send, answer); GitLab's is 10 s, the default.
REQUEST_TIMEOUT_ENV = "HOOKLINE_REQUEST_TIMEOUT_SECONDS"
#: At most this many requests in flight to one hook at once, across all senders: a hook's ``concurrency_limit``
#: defaults to it and may be set from 1 to MAX_HOOK_CONCURRENCY.
PER_HOOK_CONCURRENCY = 4
MAX_HOOK_CONCURRENCY = 50
#: A lease taken for one round of requests lasts their timeout and this margin (the event loop's slack).
LEASE_MARGIN_SECONDS = 5

#: GitLab.com's limits: hooks per namespace, manual sends (test, resend) per hook per minute, API request body size.
MAX_PROJECT_HOOKS = 100
MAX_GROUP_HOOKS = 50
MANUAL_SENDS_PER_MINUTE = 5
MAX_REQUEST_BODY_BYTES = 1024 * 1024
#: Deliveries per top-level namespace per minute (GitLab's web_hook_calls, Free tier); over it they wait, not drop.
NAMESPACE_RATE_LIMIT_ENV = "HOOKLINE_NAMESPACE_RATE_LIMIT"
DEFAULT_NAMESPACE_RATE_LIMIT = 500

#: The ingest rule's pattern: every event on the bus except Hookline's own.
INGEST_EVENT_PATTERN: dict[str, list[object]] = {"source": [{"anything-but": [OPS_EVENT_SOURCE]}]}


def bus_name() -> str:
    return os.environ.get(BUS_NAME_ENV, DEFAULT_BUS_NAME)
