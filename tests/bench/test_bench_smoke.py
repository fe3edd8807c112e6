"""The bench with tiny sizes on the shared local stack, so `make bench` cannot rot without `make test` noticing."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench.config import SMOKE
from bench.report import table
from bench.runner import run_all
from hookline import settings
from infra.local.stack import LocalStack


def test_every_figure_is_measured_saved_and_follows_the_workload(stack: LocalStack, tmp_path: Path) -> None:
    messages: list[str] = []
    _, path = run_all(stack, SMOKE, tmp_path, progress=messages.append)

    saved = json.loads(path.read_text())
    assert path.parent == tmp_path and path.suffix == ".json"
    assert [figure["number"] for figure in saved["figures"]] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    for figure in saved["figures"]:
        assert isinstance(figure["value"], int | float) and math.isfinite(figure["value"]), figure
        assert figure["value"] > 0 and isinstance(figure["passed"], bool) and figure["target"], figure
    assert any("figure 5" in message for message in messages) and messages[-1].endswith("done")
    assert len(table(saved["figures"]).splitlines()) == 13

    figures = {figure["number"]: figure for figure in saved["figures"]}
    requests = figures[1]["details"]
    assert requests["deliveries"] == SMOKE.events * SMOKE.fan_out
    assert requests["calls"]["SQS.ReceiveMessage"] == requests["ingest_invocations"] + requests["sender_invocations"]
    written = figures[2]["details"]["items_written"]
    assert written.pop("WINDOW", 0) <= requests["sender_invocations"]  # one rate-limit counter update per batch
    # the concurrency gate: at most a lease acquired and released per hook per batch (figure 9 shows what it costs)
    assert written.pop("GATE", 0) <= 2 * SMOKE.fan_out * requests["sender_invocations"]
    # the payload once per event; a log item per hook per sender batch, not one per delivery
    assert written.pop("PAYLOAD") == SMOKE.events
    assert written == {"LOG": SMOKE.fan_out * requests["sender_invocations"]}
    engine = figures[4]["details"]  # batches as dequeued: ten messages of fan_out deliveries, one log item per hook
    batch = settings.DELIVERY_QUEUE.batch_size * SMOKE.fan_out
    assert engine["deliveries_per_batch"] == batch
    assert engine["deliveries_per_side"] == SMOKE.engine_rounds * SMOKE.engine_batches * batch
    assert engine["log_items_built"] == (1 + SMOKE.engine_rounds * SMOKE.engine_batches) * SMOKE.fan_out
    latency = figures[5]["details"]
    assert latency["deliveries"] == latency["events"] * SMOKE.fan_out
    # the functions ran in their own process and reported their timings, the warm-up left out
    assert latency["ingest_invocations"] >= 1 and latency["sender_invocations"] >= 1
    assert round(latency["ingest_mean_batch"] * latency["ingest_invocations"]) == latency["events"]
    assert figures[6]["passed"], figures[6]["shown"]  # routing reads stay flat however many hooks match
    assert set(figures[7]["details"]["per_million_by_part"]) >= {"sqs", "dynamodb_writes", "lambda_duration"}
    cold = figures[8]["details"]  # each handler imported in a fresh interpreter, against a bare one
    assert set(cold["import_ms"]) == {"hookline.handlers.ingest", "hookline.handlers.sender", "hookline.handlers.api"}
    assert cold["targets_ms"] == {
        "hookline.handlers.ingest": 250.0,
        "hookline.handlers.sender": 250.0,
        "hookline.handlers.api": 350.0,
    }
    assert all(len(samples) == SMOKE.coldstart_runs for samples in cold["samples_ms"].values())
    assert all(ms > 0 for ms in cold["import_ms"].values()) and cold["bare_interpreter_ms"] > 0
    assert set(cold["import_cpu_ms"]) == set(cold["import_ms"]) and all(ms > 0 for ms in cold["import_cpu_ms"].values())
    volume = figures[9]["details"]  # each function's cost per invocation measured at a batch of one and a full one
    for measured in volume["measured_per_invocation"].values():
        for function in ("ingest", "sender"):
            small, full = measured[function]["small"], measured[function]["full"]
            assert small["messages"] == 1 and full["messages"] == settings.DELIVERY_QUEUE.batch_size, measured
            assert small["calls"]["SQS.ReceiveMessage"] == full["calls"]["SQS.ReceiveMessage"] == 1
        # the sender writes a log item per hook per batch: more units for a full batch, far fewer per message
        sender = measured["sender"]
        assert sender["full"]["write_units"] < sender["small"]["write_units"] * settings.DELIVERY_QUEUE.batch_size
        assert measured["ingest"]["full"]["write_units"] >= settings.DELIVERY_QUEUE.batch_size  # a payload an event
    rows = {(row["rate"], row["fan_out"], row["settings"]): row for row in volume["rows"]}
    assert len(rows) == 4 * 2 * 2 and volume["table"].count("\n") == 2 + 4 * 2 - 1
    plain, windowed = volume["window_latency_measured"]  # a window's latency, measured beside none
    assert plain["window_s"] == 0 and windowed["window_s"] == SMOKE.volume_latency_window_s
    assert plain["deliveries"] == windowed["deliveries"] == SMOKE.volume_latency_events
    assert windowed["modelled_max_wait_ms"] == 2000 * SMOKE.volume_latency_window_s
    for (_rate, fan_out, label), row in rows.items():  # a trickle costs more per delivery than a flood
        assert row["usd_per_million"] >= rows[(1000, fan_out, label)]["usd_per_million"] - 1e-9, row
    herd = figures[10]["details"]  # the backlog behind a recovered hook, with the gate and without, same receiver
    for side, gated in ((herd["gated"], True), (herd["baseline"], False)):
        assert side["gated"] is gated and side["deliveries"] == SMOKE.herd_deliveries, side
        assert side["workers"] == SMOKE.herd_workers and side["sender_invocations"] >= 1, side
        assert side["first_in_flight"][0] == 1, side  # the probe goes alone
    assert herd["gated"]["drained"] and herd["gated"]["delivered"] == SMOKE.herd_deliveries, herd["gated"]
    neighbours = figures[11]["details"]  # a flood beside a trickle, with message groups and without, in one run
    for run in (neighbours["fair"], neighbours["baseline"]):
        assert run["a_events"] == SMOKE.neighbours_flood and run["b_events"] >= 1 and run["a_deliveries_per_s"] > 0
    assert neighbours["b_quiet_events"] >= 1 and neighbours["workers"] == SMOKE.neighbours_workers


def test_cold_start_runs_with_tracing_on_as_deployed() -> None:
    from bench.coldstart import HANDLERS, lambda_environment

    for spec, _ in HANDLERS.values():
        environment = lambda_environment(spec, {"POWERTOOLS_TRACE_DISABLED": "true", "HOOKLINE_ADMIN_TOKEN": "x"})
        assert "POWERTOOLS_TRACE_DISABLED" not in environment and "HOOKLINE_ADMIN_TOKEN" not in environment
        # Powertools' Tracer is on in Lambda (by AWS_LAMBDA_FUNCTION_NAME), and the X-Ray SDK takes Lambda's path
        assert environment["AWS_LAMBDA_FUNCTION_NAME"] == spec.logical_id and environment["LAMBDA_TASK_ROOT"]
    assert {module: spec.handler.rsplit(".", 1)[0] for module, (spec, _) in HANDLERS.items()} == {
        module: module for module in HANDLERS
    }


def test_cold_start_imports_only_what_the_function_has_in_lambda() -> None:
    """The layer's packages and the runtime's boto3 import; development tools beside them do not (httpx would load its
    command line client, with rich and click, when it finds them)."""
    import subprocess
    import sys

    from bench.coldstart import _as_deployed, absent_modules

    absent = absent_modules()
    assert {"rich", "click", "pygments", "moto", "pytest", "aws_cdk"} <= absent
    assert not absent & {"httpx", "pydantic", "aws_lambda_powertools", "aws_xray_sdk", "wrapt", "botocore", "boto3"}
    assert "hookline" not in absent
    probe = "import sys, httpx, botocore, aws_xray_sdk; print('rich' in sys.modules)\ntry:\n import rich\nexcept ImportError:\n print('absent')"
    answer = subprocess.run([sys.executable, "-c", _as_deployed(probe)], capture_output=True, text=True, check=True)
    assert answer.stdout.split() == ["False", "absent"]
