"""Runtime configuration read from the environment, once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from hookline import settings
from hookline.domain.url_policy import Allowlist


@dataclass(frozen=True)
class RuntimeConfig:
    delivery_queue_url: str
    ingest_dlq_url: str
    instance_url: str
    outbound_allowlist: Allowlist


@cache
def runtime_config() -> RuntimeConfig:
    return RuntimeConfig(
        delivery_queue_url=os.environ.get(settings.DELIVERY_QUEUE.env_var, ""),
        ingest_dlq_url=os.environ.get(settings.INGEST_QUEUE.dlq_env_var, ""),
        instance_url=os.environ.get(settings.INSTANCE_URL_ENV, "https://hookline.invalid"),
        outbound_allowlist=Allowlist.parse(os.environ.get(settings.OUTBOUND_ALLOWLIST_ENV, "")),
    )
