"""The bench's sizes: defaults for `make bench`, a quick preset and a tiny one for the smoke test; env, flags."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields, replace
from typing import Any

ENV_PREFIX = "HOOKLINE_BENCH_"


@dataclass(frozen=True)
class BenchConfig:
    #: Figures 1-3: events put per run, hooks each event goes to, and the payload's size in bytes.
    events: int = 60
    fan_out: int = 5
    payload_bytes: int = 2048
    #: Figure 3: how long the receivers take to answer, in milliseconds.
    slow_ms: int = 100
    #: Figure 4: batches (ten messages of ``fan_out`` deliveries) per side and round; the sides take turns by batch.
    engine_batches: int = 40
    engine_rounds: int = 3
    #: Figure 5: deliveries per second and for how long.
    rate: float = 50.0
    duration_s: float = 30.0
    #: Figure 6: matching hooks and the ancestor scopes they are spread over; events put per case.
    growth_hooks: tuple[int, ...] = (1, 10, 100)
    growth_scopes: tuple[int, ...] = (1, 5)
    growth_events: int = 10
    #: Figure 8: fresh interpreters per handler (and for the bare interpreter); the median is taken.
    coldstart_runs: int = 7
    #: Figure 9: invocations measured per function, batch size and fan-out.
    volume_invocations: int = 3
    #: Figure 9: what a batching window costs in latency, measured: events put at this rate, with no window and with
    #: this one.
    volume_latency_events: int = 10
    volume_latency_rate: float = 1.0
    volume_latency_window_s: int = 2
    #: Figure 11 (noisy neighbours): tenant A's flood (events put at once), tenant B's events a second, how long B
    #: puts alone first, and the ingest and sender pollers running at once (as Lambda scales them).
    neighbours_flood: int = 20_000
    neighbours_rate: float = 2.0
    neighbours_quiet_s: float = 15.0
    neighbours_workers: int = 4
    #: Figure 10: deliveries held behind a disabled hook, sender workers draining them, the receiver's service time
    #: (ms); how long the gated side may take to drain, and how long the baseline runs at most (seconds).
    herd_deliveries: int = 5000
    herd_workers: int = 8
    herd_service_ms: int = 100
    herd_timeout_s: float = 900.0
    herd_baseline_s: float = 180.0
    #: The longest any wait for deliveries may take, in seconds.
    timeout_s: float = 120.0
    #: Which figures to measure (figure 7 needs the runs of figures 1-3, which it makes if they are not chosen).
    figures: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)

    def as_dict(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


QUICK: dict[str, Any] = {
    "events": 30,
    "engine_batches": 20,
    "engine_rounds": 2,
    "duration_s": 10.0,
    "growth_events": 5,
    "neighbours_flood": 5_000,
    "neighbours_quiet_s": 8.0,
    "herd_deliveries": 1000,
    "herd_baseline_s": 60.0,
}
SMOKE = BenchConfig(
    events=2,
    fan_out=2,
    payload_bytes=512,
    slow_ms=5,
    engine_batches=2,
    engine_rounds=1,
    rate=40.0,
    duration_s=0.25,
    growth_hooks=(1, 3),
    growth_scopes=(1, 2),
    growth_events=2,
    coldstart_runs=1,
    volume_invocations=1,
    volume_latency_events=2,
    volume_latency_rate=4.0,
    volume_latency_window_s=1,
    neighbours_flood=40,
    neighbours_rate=5.0,
    neighbours_quiet_s=1.0,
    neighbours_workers=2,
    herd_deliveries=24,
    herd_workers=3,
    herd_service_ms=5,
    herd_timeout_s=60.0,
    herd_baseline_s=10.0,
    timeout_s=30.0,
)


def _parse(text: str, default: Any) -> Any:
    if isinstance(default, tuple):
        return tuple(int(part) for part in text.split(",") if part.strip())
    return type(default)(text)


def from_args(argv: list[str] | None = None) -> tuple[BenchConfig, argparse.Namespace]:
    """Defaults, then --quick, then HOOKLINE_BENCH_<FIELD> variables, then --<field> flags."""
    base = BenchConfig()
    parser = argparse.ArgumentParser(prog="python -m bench", description="Hookline's cost and speed figures (issue 6)")
    parser.add_argument("--quick", action="store_true", help=f"shorter runs: {QUICK}")
    parser.add_argument("--output-dir", help="where the JSON goes (default bench/results)")
    for item in fields(base):
        default = getattr(base, item.name)
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        env = f"{ENV_PREFIX}{item.name.upper()}"
        parser.add_argument(f"--{item.name.replace('_', '-')}", help=f"default {shown}; env {env}")
    args = parser.parse_args(argv)
    config = replace(base, **QUICK) if args.quick or os.environ.get(f"{ENV_PREFIX}QUICK") == "1" else base
    overrides: dict[str, Any] = {}
    for item in fields(base):
        text = getattr(args, item.name) or os.environ.get(f"{ENV_PREFIX}{item.name.upper()}")
        if text:
            overrides[item.name] = _parse(text, getattr(base, item.name))
    chosen = replace(config, **overrides)
    if not chosen.figures or not set(chosen.figures) <= set(BenchConfig.figures):
        parser.error(f"--figures: choose among {','.join(map(str, BenchConfig.figures))}")
    return chosen, args
