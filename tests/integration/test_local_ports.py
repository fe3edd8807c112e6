"""`make run` on a busy port: ``python -m infra.local`` names the port and the setting, exits non-zero at once
(nothing started, no traceback); a port variable that is not a port number is refused the same way."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.ports import API_PORT_ENV, AWS_PORT_ENV, unusable
from infra.local.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
#: Far more than a refusal needs; a stack that started instead would still be running then (the test fails).
LIMIT_S = 60


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another process would hold: bound and listening on loopback."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def _run(**ports: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"functions{os.pathsep}.", **ports}
    return subprocess.run(
        [sys.executable, "-m", "infra.local"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=LIMIT_S,  # TimeoutExpired fails the test: the command must end by itself
    )


@pytest.mark.parametrize(
    ("busy_variable", "free_variable", "what"),
    [
        (AWS_PORT_ENV, API_PORT_ENV, "the embedded AWS (moto server)"),
        (API_PORT_ENV, AWS_PORT_ENV, "the management API"),
    ],
)
def test_a_busy_port_is_named_and_the_stack_exits_at_once(
    busy_port: int, busy_variable: str, free_variable: str, what: str
) -> None:
    other = free_port()
    result = _run(**{busy_variable: str(busy_port), free_variable: str(other)})
    assert result.returncode != 0
    assert f"Port {busy_port} for {what} is already in use." in result.stderr
    assert f"Set {busy_variable}=<port>" in result.stderr and "stop the process" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "local stack is up" not in result.stdout
    assert unusable("127.0.0.1", other) is None  # nothing was left listening on the other port


def test_both_busy_ports_are_named_together(busy_port: int) -> None:
    with socket.socket() as second:
        second.bind(("127.0.0.1", 0))
        second.listen()
        other = int(second.getsockname()[1])
        result = _run(**{AWS_PORT_ENV: str(busy_port), API_PORT_ENV: str(other)})
    assert result.returncode != 0
    assert f"Port {busy_port} for the embedded AWS" in result.stderr
    assert f"Port {other} for the management API" in result.stderr
    assert f"Set {AWS_PORT_ENV}=<port> and {API_PORT_ENV}=<port>" in result.stderr


@pytest.mark.parametrize("value", ["abc", "-1", "65536", "80.5"])
def test_a_port_variable_that_is_not_a_port_is_refused(value: str) -> None:
    result = _run(**{API_PORT_ENV: value})
    assert result.returncode != 0
    assert f"{API_PORT_ENV}={value!r} is not a port number" in result.stderr
    assert "Traceback" not in result.stderr
