"""Figure 8 (issue 13's F4): cold start, the time to import each handler module in a fresh interpreter.

Each run is a new ``python`` process that imports one handler as Lambda's runtime does at init, measured from the
parent (process start to exit), against a bare interpreter (``python -c pass``) measured in the same run; the
handler's import time is the median of its runs minus the bare interpreter's median. The process is configured as
the function is deployed: a Lambda environment (``AWS_LAMBDA_FUNCTION_NAME`` and ``LAMBDA_TASK_ROOT``, so Powertools'
Tracer and the X-Ray SDK run as with active tracing) and the function's settings; ``POWERTOOLS_TRACE_DISABLED`` is
removed, not set. Only the packages the function has in Lambda can be imported: those of the layer
(layers/requirements.txt) and the runtime's boto3, with their dependencies. The development tools installed beside
them are hidden, as some libraries import optional extras when they find them (httpx loads its command line client,
with click, rich and pygments).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


#: What Lambda's Python runtime brings besides the standard library.
RUNTIME_DISTRIBUTIONS = ("boto3",)


def _closure(names: Iterable[str]) -> set[str]:
    """The distributions ``names`` need, themselves included (canonical names; extras left out)."""
    found: set[str] = set()
    pending = [canonicalize_name(name) for name in names]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonicalize_name(requirement.name))
    return found


def _top_level_names(distribution: metadata.Distribution) -> set[str]:
    """The top-level modules and packages a distribution installs."""
    listed = distribution.read_text("top_level.txt")
    if listed:
        return {line.strip() for line in listed.splitlines() if line.strip()}
    names = set()
    for file in distribution.files or []:
        first = file.parts[0]
        if len(file.parts) == 1 and not first.endswith((".py", ".so", ".pyd")):
            continue
        if first.endswith((".dist-info", ".egg-info", ".pth")) or first in ("..", "__pycache__", "bin"):
            continue
        names.add(first.split(".", 1)[0])
    return names


@cache
def absent_modules() -> frozenset[str]:
    """Top-level modules installed here that the deployed function does not have."""
    lines = (line.split("#", 1)[0].strip() for line in _REQUIREMENTS.read_text().splitlines())
    deployed = _closure([*(Requirement(line).name for line in lines if line), *RUNTIME_DISTRIBUTIONS])
    present: set[str] = set()
    installed: set[str] = set()
    for distribution in metadata.distributions():
        names = _top_level_names(distribution)
        (present if canonicalize_name(distribution.metadata["Name"]) in deployed else installed).update(names)
    return frozenset(installed - present - {"hookline"})


_REQUIREMENTS = ROOT / "layers" / "requirements.txt"


def _as_deployed(code: str) -> str:
    """``code`` run with the modules Lambda lacks made unimportable (first on ``sys.meta_path``)."""
    return (
        "import sys\n"
        "class _Absent:\n"
        f"    names = frozenset({sorted(absent_modules())!r})\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] in self.names:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _Absent())\n"
        f"{code}\n"
    )


def _run_ms(code: str, environment: dict[str, str]) -> tuple[float, float]:
    """The wall-clock time of a process running ``code`` as deployed, and the CPU time it used (ms)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _as_deployed(code)], env=environment, check=True, stdout=subprocess.DEVNULL, timeout=60
    )
    elapsed = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000


def measure(runs: int = 7) -> dict[str, Any]:
    """Median process times (ms) of a bare interpreter and of each handler's import; runs interleaved, after one
    discarded warm-up each (it writes the bytecode caches a deployed package would carry)."""
    cases = {"bare": ("pass", lambda_environment(settings.INGEST_FUNCTION))}
    for module, (spec, _) in HANDLERS.items():
        cases[module] = (f"import {module}", lambda_environment(spec))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu_samples: dict[str, list[float]] = {name: [] for name in cases}
    for round_ in range(runs + 1):
        for name, (code, environment) in cases.items():
            elapsed, cpu = _run_ms(code, environment)
            if round_:
                samples[name].append(elapsed)
                cpu_samples[name].append(cpu)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu_samples.items()}
    bare = medians.pop("bare")
    return {
        "runs": runs,
        "bare_interpreter_ms": bare,
        "import_ms": {module: medians[module] - bare for module in HANDLERS},
        #: The same, in CPU time (user + system) of the processes: what a busy machine inflates least.
        "import_cpu_ms": {module: cpu_medians[module] - cpu_medians["bare"] for module in HANDLERS},
        "process_ms": medians,
        "absent_modules": sorted(absent_modules()),
        "targets_ms": {module: target for module, (_, target) in HANDLERS.items()},
        "samples_ms": samples,
        "python": sys.version.split()[0],
    }
