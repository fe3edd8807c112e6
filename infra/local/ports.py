"""The local stack's two ports: read from the environment, and checked free before anything starts."""

from __future__ import annotations

import errno
import socket
from collections.abc import Mapping
from dataclasses import dataclass

AWS_PORT_ENV = "HOOKLINE_AWS_PORT"
API_PORT_ENV = "HOOKLINE_API_PORT"
DEFAULT_AWS_PORT = 4566
DEFAULT_API_PORT = 8080


@dataclass(frozen=True)
class Port:
    number: int
    what: str  # "the embedded AWS (moto server)"
    env_var: str


class PortUnusable(RuntimeError):
    """One or more of the stack's ports is taken; the message names each, and how to choose another."""

    def __init__(self, problems: list[tuple[Port, str]]) -> None:
        lines = [f"Port {port.number} for {port.what} {problem}." for port, problem in problems]
        settings = " and ".join(f"{port.env_var}=<port>" for port, _ in problems)
        lines.append(f"Set {settings} (0 picks a free port), or stop the process that holds it.")
        super().__init__("\n".join(lines))
        self.ports = [port for port, _ in problems]


class BadPort(ValueError):
    """A port variable that is not a port number."""


def ports_from_environ(environ: Mapping[str, str]) -> tuple[int, int]:
    """``HOOKLINE_AWS_PORT`` and ``HOOKLINE_API_PORT`` (defaults 4566 and 8080); BadPort naming a bad one."""
    ports = []
    for name, default in ((AWS_PORT_ENV, DEFAULT_AWS_PORT), (API_PORT_ENV, DEFAULT_API_PORT)):
        raw = environ.get(name, "").strip()
        if not raw:
            ports.append(default)
        elif raw.isdigit() and int(raw) <= 65535:
            ports.append(int(raw))
        else:
            raise BadPort(f"{name}={raw!r} is not a port number (0 to 65535; 0 picks a free port)")
    return ports[0], ports[1]


def unusable(host: str, port: int) -> str | None:
    """Why a server cannot listen on ``host:port`` now (None when it can): a probe binds it as servers do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers set it: TIME_WAIT is no obstacle
        try:
            probe.bind((host, port))
        except OSError as error:
            return "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
    return None


def check_free(host: str, ports: list[Port]) -> None:
    """Raise PortUnusable naming every port (other than 0, a free one picked later) a server could not listen on."""
    problems = [(port, problem) for port in ports if port.number and (problem := unusable(host, port.number))]
    if problems:
        raise PortUnusable(problems)
