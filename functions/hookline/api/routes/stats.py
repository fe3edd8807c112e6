"""Delivery health at a glance, for the console: ``GET …/hooks/:hook_id/stats`` over the recent events (2 days).

The counts come from the logs' status index (no log body is read); the p95 from the newest ``P95_SAMPLE`` entries.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, Field

from hookline.api.errors import json_response
from hookline.api.responses import answers
from hookline.api.routes.scopes import NAMESPACES, HookId, Operation, register
from hookline.domain.stats import delivery_health
from hookline.services.hook_admin import Namespace
from hookline.wiring import hook_admin

router = Router()

P95_SAMPLE = 200


class HookStatsOut(BaseModel):
    deliveries: int = Field(description="Logged attempts in the last 2 days (tests and resends included).")
    succeeded: int = Field(description="Of them, answered with a 2xx.")
    success_rate: float = Field(description="succeeded / deliveries (0 without deliveries).")
    p95_elapsed_seconds: float = Field(description=f"p95 elapsed time of the newest {P95_SAMPLE} attempts.")


def hook_stats(namespace: Namespace, hook_id: HookId) -> Response[Any]:
    admin = hook_admin()
    hook = admin.get(namespace, hook_id)
    now = admin.clock()
    index = admin.deliveries.log_index(hook.id, now)
    sample = admin.deliveries.get_logs(hook.id, index[:P95_SAMPLE], now)
    health = delivery_health(
        [ref.response_status for ref in index], [float(log["execution_duration"]) for log in sample]
    )
    return json_response(200, asdict(health))


register(
    router,
    NAMESPACES,
    [
        Operation(
            "GET", "/<hook_id>/stats", hook_stats, "get_{kind}_hook_stats", "Delivery health of a {kind} hook",
            "Hookline's: deliveries, success rate and p95 elapsed time over the hook's recent events (2 days), "
            "for the console's hooks list.",
            lambda scope: answers(200, model=HookStatsOut), tag="events",
        ),
    ],
)  # fmt: skip
