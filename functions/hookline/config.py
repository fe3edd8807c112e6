"""Runtime configuration read from the environment, once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from hookline import settings
from hookline.domain.delivery import GITLAB_VERSION, REQUEST_TIMEOUT_SECONDS, checked_gitlab_version
from hookline.domain.sending import SenderPolicy, send_window
from hookline.domain.url_policy import Allowlist


@dataclass(frozen=True)
class RuntimeConfig:
    delivery_queue_url: str
    ingest_dlq_url: str
    bus_name: str
    instance_url: str
    outbound_allowlist: Allowlist
    sender_policy: SenderPolicy
    client_cert_secret: str | None
    request_timeout_s: float = REQUEST_TIMEOUT_SECONDS
    gitlab_version: str = GITLAB_VERSION  # the release whose webhook behaviour Hookline follows (User-Agent)


@cache
def runtime_config() -> RuntimeConfig:
    max_hold = int(os.environ.get(settings.MAX_HOLD_ENV, settings.SQS_MAX_VISIBILITY_SECONDS))
    max_age_hours = float(os.environ.get(settings.DELIVERY_MAX_AGE_ENV, settings.DEFAULT_DELIVERY_MAX_AGE_HOURS))
    request_timeout_s = max(0.1, float(os.environ.get(settings.REQUEST_TIMEOUT_ENV, REQUEST_TIMEOUT_SECONDS)))
    return RuntimeConfig(
        delivery_queue_url=os.environ.get(settings.DELIVERY_QUEUE.env_var, ""),
        ingest_dlq_url=os.environ.get(settings.INGEST_QUEUE.dlq_env_var, ""),
        bus_name=settings.bus_name(),
        instance_url=os.environ.get(settings.INSTANCE_URL_ENV, "https://hookline.invalid"),
        outbound_allowlist=Allowlist.parse(os.environ.get(settings.OUTBOUND_ALLOWLIST_ENV, "")),
        client_cert_secret=os.environ.get(settings.CLIENT_CERT_SECRET_ENV) or None,
        request_timeout_s=request_timeout_s,
        gitlab_version=checked_gitlab_version(
            os.environ.get(settings.GITLAB_VERSION_ENV) or GITLAB_VERSION, settings.GITLAB_VERSION_ENV
        ),
        sender_policy=SenderPolicy(
            max_age=timedelta(hours=max_age_hours),
            max_hold_seconds=min(max(max_hold, 1), settings.SQS_MAX_VISIBILITY_SECONDS),
            send_window_seconds=send_window(request_timeout_s),
            namespace_rate_limit=int(
                os.environ.get(settings.NAMESPACE_RATE_LIMIT_ENV, settings.DEFAULT_NAMESPACE_RATE_LIMIT)
            ),
        ),
    )
