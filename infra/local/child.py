"""Servers in processes of their own (moto, bench receivers): started, asked their address, stopped with stdin.

A child module prints one line (its address) once it serves, and serves until its stdin closes, so a parent that dies
takes its children with it.
"""

from __future__ import annotations

import select
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class ChildServer:
    """``python -m <module> <args>`` from the project's root; ``address`` is the first line it printed."""

    def __init__(self, module: str, *args: str, env: dict[str, str] | None = None, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline().strip() if ready else ""
        if not line:
            self.stop()
            raise RuntimeError(f"{module} did not start (exit code {self.process.poll()})")
        self.address = line

    def tell(self, line: str) -> None:
        """Send the child one line on its stdin."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def stop(self) -> str:
        """Close its stdin and wait (kill it if it does not go); what it printed after its address."""
        if self.process.returncode is not None:
            return ""
        try:
            rest, _ = self.process.communicate(timeout=self.timeout)  # closes stdin: the child's cue to stop
        except subprocess.TimeoutExpired:
            self.process.kill()
            rest, _ = self.process.communicate()
        return rest or ""


def ignore_interrupts() -> None:
    """For a child's main thread: Ctrl-C in a terminal reaches the whole process group, but the parent decides when
    its children stop (it closes their stdin)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def serve_until_stdin_closes(address: str) -> None:
    """The child's side: announce ``address``, then block until the parent closes our stdin (or exits)."""
    print(address, flush=True)
    sys.stdin.read()
