"""Figure 8 (issue 13's F4): cold start, the time to import each handler module in a fresh interpreter.

Each run is a new ``python`` process that imports one handler as Lambda's runtime does at init, measured from the
parent (process start to exit), against a bare interpreter (``python -c pass``) measured in the same run; the
handler's import time is the median of its runs minus the bare interpreter's median. The process is configured as
the function is deployed: a Lambda environment (``AWS_LAMBDA_FUNCTION_NAME`` and ``LAMBDA_TASK_ROOT``, so Powertools'
Tracer and the X-Ray SDK run as with active tracing) and the function's settings; ``POWERTOOLS_TRACE_DISABLED`` is
removed, not set.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hookline import settings

ROOT = Path(__file__).resolve().parents[1]

#: Handler module → (its function's spec, its import-time target in milliseconds).
HANDLERS: dict[str, tuple[settings.FunctionSpec, float]] = {
    "hookline.handlers.ingest": (settings.INGEST_FUNCTION, 250.0),
    "hookline.handlers.sender": (settings.SENDER_FUNCTION, 250.0),
    "hookline.handlers.api": (settings.API_FUNCTION, 350.0),
}

#: What the stack sets on every function (infra/constructs/function.py), and placeholders for the resources' names.
_DEPLOYED = {
    **settings.FUNCTION_ENVIRONMENT,
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    settings.HOOKS_TABLE.env_var: "hooks",
    settings.DELIVERIES_TABLE.env_var: "deliveries",
    settings.DELIVERY_QUEUE.env_var: "https://sqs.us-east-1.amazonaws.com/000000000000/delivery",
    settings.INGEST_QUEUE.dlq_env_var: "https://sqs.us-east-1.amazonaws.com/000000000000/ingest-dlq",
    settings.INSTANCE_URL_ENV: "https://hookline.example.com",
}


def lambda_environment(spec: settings.FunctionSpec, base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment of ``spec``'s function in Lambda, tracing on; PYTHONPATH finds this checkout's code."""
    environment = {
        name: value for name, value in base.items() if not name.startswith(("POWERTOOLS_", "HOOKLINE_", "PYDANTIC_"))
    }
    environment.update(_DEPLOYED)
    environment.update(spec.environment)
    environment["AWS_LAMBDA_FUNCTION_NAME"] = spec.logical_id
    environment["AWS_EXECUTION_ENV"] = "AWS_Lambda_python3.13"
    environment["LAMBDA_TASK_ROOT"] = str(ROOT / "functions")  # the X-Ray SDK takes Lambda's path by it
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT / "functions"), str(ROOT)])
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def _run_ms(code: str, environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=environment, check=True, stdout=subprocess.DEVNULL, timeout=60)
    return (time.perf_counter() - started) * 1000


def measure(runs: int = 7) -> dict[str, Any]:
    """Median process times (ms) of a bare interpreter and of each handler's import; runs interleaved, after one
    discarded warm-up each (it writes the bytecode caches a deployed package would carry)."""
    cases = {"bare": ("pass", lambda_environment(settings.INGEST_FUNCTION))}
    for module, (spec, _) in HANDLERS.items():
        cases[module] = (f"import {module}", lambda_environment(spec))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for round_ in range(runs + 1):
        for name, (code, environment) in cases.items():
            elapsed = _run_ms(code, environment)
            if round_:
                samples[name].append(elapsed)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    bare = medians.pop("bare")
    return {
        "runs": runs,
        "bare_interpreter_ms": bare,
        "import_ms": {module: medians[module] - bare for module in HANDLERS},
        "process_ms": medians,
        "targets_ms": {module: target for module, (_, target) in HANDLERS.items()},
        "samples_ms": samples,
        "python": sys.version.split()[0],
    }
