"""`python -m infra.local.chaos`: the fault tier. Deliveries through failing receivers, killed senders and a receiver
that goes down, every delivery accounted for at the end.

The local stack (moto in a process of its own) with its pollers stopped; fan-out runs here, the sender runs in child
processes (``python -m infra.local.chaos sender JOURNAL CLOCK``), each an SQS poller around the real
``hookline.handlers.sender.lambda_handler``. What is done to it:

- receivers fail ``failure_rate`` of the requests in mixed ways: 500, 429 with Retry-After, connection reset after the
  request was read, 404, a slow 503, and some answers that stall past the senders' timeout (shortened to 2 s through
  HOOKLINE_REQUEST_TIMEOUT_SECONDS); some deliveries always fail (they run out of retries, or their retries are pushed
  past the maximum age by the hook's disable windows) and one hook always answers 410 (its deliveries expire);
- a sender child is SIGKILLed while it is sending (a tripwire holds one request's answer until the child is dead),
  and a fresh one is started;
- one receiver's port closes (connection refused) until its hooks are disabled, then opens again.

Time is compressed, not waited for: the parent moves ``hookline.clock.CLOCK`` and writes the offset to a file each
child reads before each batch. SQS's visibility timeout is real time in moto: the messages of a killed or failed batch
are made visible again at once instead of 180 s later.

Counted at the receiver by Idempotency-Key against every event's deliveries: delivered (a 2xx received), parked
(``DeliveryStore.parked``, by reason), dead-lettered, lost (none of these), duplicates (a 2xx received more than once),
stuck (still on a queue once the run settled or ran out of time).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import math
import os
import random
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from hookline import settings
from hookline.clock import CLOCK
from hookline.domain.delivery import idempotency_key, parse_delivery_message
from infra.local.child import ROOT, ChildServer, ignore_interrupts
from infra.local.http_server import LoopbackHTTPServer, QuietHandler
from infra.local.lambda_runtime import SqsPoller
from infra.local.receiver import wait_until
from infra.local.stack import LocalStack

TICK_S = 0.2
GONE = -1  # the tenant of the hook that always answers 410
FLOWING = 20  # deliveries a second: a backlog is flowing, the clock waits for the senders
MAX_AGE = timedelta(hours=settings.DEFAULT_DELIVERY_MAX_AGE_HOURS)


@dataclass(frozen=True)
class ChaosConfig:
    """The sizes of a run. ``deliveries`` is rounded up to whole events (each goes to every hook of its tenant)."""

    deliveries: int = 10_000
    tenants: int = 10
    project_hooks: int = 3
    group_hooks: int = 2
    wave_events: int = 100
    senders: int = 3
    kills: int = 3
    timeouts: int = 30  # answers that stall past the sender's timeout (each holds one sender batch that long)
    timeout_s: float = 2.0  # the senders' request timeout (HOOKLINE_REQUEST_TIMEOUT_SECONDS), short
    failure_rate: float = 0.30
    doomed_share: float = 0.01  # deliveries whose every attempt fails: they run out of retries
    down_hooks: int = 2  # tenants whose first project hook is on the receiver that goes down
    gone_every: int = 50  # every so many events, one more for the project whose hook always answers 410
    seed: int = 10
    feed_rate: float = 300.0  # virtual seconds per real second while events are fed
    settle_rate: float = 5 * 3600.0  # at most this many virtual seconds per real second once every event was fed
    deadline_s: float = 600.0

    @property
    def hooks_per_tenant(self) -> int:
        return self.project_hooks + self.group_hooks

    @property
    def events(self) -> int:
        return math.ceil(self.deliveries / self.hooks_per_tenant)


#: The size the test runs.
SMALL = ChaosConfig(
    deliveries=400,
    tenants=4,
    wave_events=20,
    senders=2,
    kills=1,
    timeouts=3,
    down_hooks=1,
    gone_every=8,
    deadline_s=100,
)


# --- receivers -------------------------------------------------------------------------------------------------------
class Fault(StrEnum):
    OK = "200"
    SERVER_ERROR = "500"
    THROTTLED = "429 + Retry-After"
    RESET = "reset"
    NOT_FOUND = "404"
    SLOW = "slow 503"
    TIMEOUT = "past the timeout"
    DOOMED = "always 500"
    GONE = "always 410"
    TRIPWIRE = "held for the kill"


#: How the failing share of requests fails (timeouts take some of the slow ones while their budget lasts).
FAULT_WEIGHTS = {Fault.SERVER_ERROR: 30, Fault.THROTTLED: 20, Fault.RESET: 20, Fault.NOT_FOUND: 15, Fault.SLOW: 15}
STATUSES = {Fault.OK: 200, Fault.SERVER_ERROR: 500, Fault.THROTTLED: 429, Fault.NOT_FOUND: 404, Fault.SLOW: 503}
STATUSES |= {Fault.DOOMED: 500, Fault.GONE: 410, Fault.TRIPWIRE: 200}
SLOW_ANSWER_S = 0.3


class _QuietServer(LoopbackHTTPServer):
    """No traceback for a connection its client broke (a killed sender's keep-alive connections)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FaultyReceivers:
    """Loopback receivers that fail on purpose. Records, per Idempotency-Key, the status of each answer (0: none)."""

    def __init__(self, failure_rate: float, seed: int, timeouts: int, stall_s: float) -> None:
        self.stall_s = stall_s
        self.failure_rate = failure_rate
        self.rng = random.Random(seed)
        self.timeouts_left = timeouts
        self.lock = threading.Lock()
        self.answers: dict[str, list[int]] = defaultdict(list)
        self.faults: Counter[Fault] = Counter()
        self.doomed: set[str] = set()
        self.gone_paths: set[str] = set()
        self._armed = False
        self.caught: str | None = None
        self.release = threading.Event()
        self.servers: dict[str, _QuietServer] = {}
        self.ports: dict[str, int] = {}

    # --- what each request gets --------------------------------------------------------------------------------
    def choose(self, path: str, key: str) -> Fault:
        with self.lock:
            if path in self.gone_paths:
                fault = Fault.GONE
            elif key in self.doomed:
                fault = Fault.DOOMED
            elif self._armed:
                self._armed, self.caught, fault = False, key, Fault.TRIPWIRE
            elif self.rng.random() >= self.failure_rate:
                fault = Fault.OK
            else:
                fault = self.rng.choices(list(FAULT_WEIGHTS), weights=list(FAULT_WEIGHTS.values()))[0]
                if fault is Fault.SLOW and self.timeouts_left and self.rng.random() < 0.5:
                    self.timeouts_left -= 1
                    fault = Fault.TIMEOUT
            self.faults[fault] += 1
            return fault

    def note(self, key: str, status: int) -> None:
        with self.lock:
            self.answers[key].append(status)

    def arm_tripwire(self) -> None:
        """The next request to a flaky hook waits, unanswered, until ``release`` is set; its key goes to ``caught``."""
        with self.lock:
            self.caught, self._armed = None, True
            self.release.clear()

    def delivered(self) -> dict[str, int]:
        """Each key with at least one 2xx answer: how many it got."""
        with self.lock:
            counts = {key: sum(200 <= s < 300 for s in statuses) for key, statuses in self.answers.items()}
        return {key: count for key, count in counts.items() if count}

    @property
    def requests(self) -> int:
        with self.lock:
            return sum(self.faults.values())

    # --- servers -----------------------------------------------------------------------------------------------
    def start(self, name: str, port: int = 0, close_connections: bool = False) -> int:
        """A server (again on its old port when it was stopped); ``close_connections``: no keep-alive."""
        receivers = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                self.read_body()
                key = self.headers.get("Idempotency-Key", "")
                fault = receivers.choose(self.path, key)
                if fault is Fault.TRIPWIRE:
                    receivers.release.wait(60)  # the sender that sent this is killed meanwhile
                elif fault is Fault.SLOW:
                    time.sleep(SLOW_ANSWER_S)  # the receiver's own slowness, not the test's waiting
                elif fault is Fault.TIMEOUT:
                    time.sleep(receivers.stall_s)
                if fault in (Fault.RESET, Fault.TIMEOUT):
                    receivers.note(key, 0)
                    self._reset()
                    return
                status = STATUSES[fault]
                receivers.note(key, status)  # before the answer goes out: a sender's success is always counted
                reply = b'{"ok": true}' if status < 300 else b'{"error": "chaos"}'
                self.send_response(status)
                if fault is Fault.THROTTLED:
                    self.send_header("Retry-After", str(receivers.rng.randrange(5, 120)))
                if close_connections:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                try:
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:  # the tripwire's sender is dead
                    self.close_connection = True

            def _reset(self) -> None:
                """Close with RST and no answer: the request was read, the sender sees a broken connection."""
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()  # really closed once the handler's files close, right after this
                self.close_connection = True

        server = _QuietServer(("127.0.0.1", port or self.ports.get(name, 0)), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers[name] = server
        self.ports[name] = int(server.server_address[1])
        return self.ports[name]

    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    def stop(self, name: str) -> None:
        """Close the server's port: new connections are refused."""
        server = self.servers.pop(name)
        server.shutdown()
        server.server_close()

    def stop_all(self) -> None:
        self.release.set()
        for name in list(self.servers):
            self.stop(name)


# --- the shared clock ------------------------------------------------------------------------------------------------
class SharedClock:
    """CLOCK's offset from real time, published in a file by the parent and followed by each sender child."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.applied = 0.0

    @staticmethod
    def offset_s() -> float:
        return (CLOCK.now() - datetime.now(UTC)).total_seconds()

    def advance(self, seconds: float) -> None:
        CLOCK.advance(timedelta(seconds=seconds))
        self.publish()

    def publish(self) -> None:
        scratch = self.path.with_suffix(".tmp")
        scratch.write_text(f"{self.offset_s():.3f}")
        os.replace(scratch, self.path)

    def follow(self) -> None:
        """Move this process's CLOCK to the published offset."""
        with suppress(OSError, ValueError):
            target = float(self.path.read_text())
            CLOCK.advance(timedelta(seconds=target - self.applied))
            self.applied = target


# --- the sender in a child process -----------------------------------------------------------------------------------
class OneReceiveAtATime:
    """An SQS client whose ReceiveMessage calls take a file lock shared by the sender children.

    moto's ReceiveMessage is not atomic: two at once can both take the same visible message (seen here as one message
    sent by two children, and as moto's own "Set changed size during iteration"). SQS hides a received message from
    other consumers; the lock gives moto that, so duplicates come from what the tier does, not from the emulator.
    """

    def __init__(self, sqs: Any, lock_path: Path) -> None:
        self.sqs, self.lock_path = sqs, lock_path

    def receive_message(self, **kwargs: Any) -> Any:
        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self.sqs.receive_message(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sqs, name)


def sender_child(journal_path: str, clock_path: str) -> None:
    """Poll the delivery queue and invoke the real sender handler, a batch at a time, until stdin closes.

    Each batch is written to the journal before the handler runs (``open``: receipt handles and bodies) and after its
    messages were deleted (``done``), so the parent knows what a killed child was sending. A batch whose handler raised
    is made visible again at once (moto's visibility timeout is real time): it comes back as it would after 180 s.
    """
    protocol, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 - Powertools logs to stdout
    import boto3

    from hookline.handlers import sender

    ignore_interrupts()
    clock = SharedClock(Path(clock_path))
    clock.follow()
    sqs: Any = boto3.client("sqs")
    url = os.environ[settings.DELIVERY_QUEUE.env_var]
    journal = open(journal_path, "a")  # noqa: SIM115 - open for the life of the process
    stopping = threading.Event()

    def write(entry: dict[str, Any]) -> None:
        journal.write(json.dumps(entry) + "\n")
        journal.flush()

    def handler(event: dict[str, Any], context: Any) -> Any:
        records = event["Records"]
        write({"open": [[r["receiptHandle"], r["body"], r["messageId"], _receives(r)] for r in records]})
        try:
            return sender.lambda_handler(event, context)
        except Exception as error:
            write({"raised": repr(error)[:300]})
            visible_now(sqs, url, [record["receiptHandle"] for record in records])
            raise

    poller = SqsPoller("SenderFunction", OneReceiveAtATime(sqs, Path(clock_path).with_name("receive.lock")), url,
                       settings.DELIVERY_QUEUE, handler)  # fmt: skip

    def watch_stdin() -> None:
        sys.stdin.read()
        stopping.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print("ready", file=protocol, flush=True)
    while not stopping.is_set():
        clock.follow()
        try:
            if poller.poll_once(wait_seconds=1):
                write({"done": True})
        except Exception as error:  # moto busy, a connection dropped: as Lambda's poller, try again
            print(f"sender child: poll failed: {error!r}", file=sys.stderr)
            stopping.wait(0.2)


@dataclass
class SenderChild:
    """One sender child and its journal."""

    child: ChildServer
    journal: Path

    @property
    def pid(self) -> int:
        return self.child.process.pid

    def open_batch(self) -> list[tuple[str, str]]:
        """The receipt handles and bodies of the batch it was sending when it stopped (empty if none)."""
        current: list[tuple[str, str]] = []
        for line in self.journal.read_text().splitlines():
            with suppress(ValueError):
                entry = json.loads(line)
                current = [(pair[0], pair[1]) for pair in entry["open"]] if "open" in entry else []
        return current

    def batches_with(self, key: str) -> list[str]:
        """Where a key went in this child: ``<journal>#<batch> <how the batch ended>`` (open: killed mid-batch)."""
        found, number, current = [], 0, ""
        for line in self.journal.read_text().splitlines():
            with suppress(ValueError):
                entry = json.loads(line)
                if "open" in entry:
                    if current:
                        found.append(f"{current} open")
                    number += 1
                    hits = [f"{m[2][:8]}/r{m[3]}" for m in entry["open"] if key in keys_of(m[1])]  # message/receive
                    current = f"{self.journal.stem}#{number} {hits[0]}" if hits else ""
                elif current:
                    found.append(f"{current} {'done' if 'done' in entry else 'raised'}")
                    current = ""
        return [*found, f"{current} open"] if current else found

    def handler_errors(self) -> list[str]:
        return [json.loads(line)["raised"] for line in self.journal.read_text().splitlines() if '"raised"' in line]

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        self.child.process.wait(timeout=30)
        for pipe in (self.child.process.stdin, self.child.process.stdout):
            if pipe is not None:
                pipe.close()


def _receives(record: dict[str, Any]) -> str:
    return str(record.get("attributes", {}).get("ApproximateReceiveCount", ""))


def visible_now(sqs: Any, url: str, handles: list[str]) -> None:
    """Received messages visible again at once: SQS's visibility timeout (real time in moto), compressed to nothing."""
    for start in range(0, len(handles), 10):
        entries = [
            {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0} for i, h in enumerate(handles[start:][:10])
        ]
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)


def keys_of(body: str) -> list[str]:
    try:
        return [task.idempotency_key for task in parse_delivery_message(body)]
    except ValueError:
        return []


# --- the run ---------------------------------------------------------------------------------------------------------
@dataclass
class Figures:
    deliveries: int = 0
    delivered: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)  # key -> 2xx answers received
    stuck: int = 0  # messages left on the delivery and ingest queues
    stuck_keys: list[str] = field(default_factory=list)
    parked_by_reason: Counter[str] = field(default_factory=Counter)
    parked_by_kind: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, reason), see ChaosRun.kind
    kinds: Counter[str] = field(default_factory=Counter)  # deliveries by kind
    dead_lettered: dict[str, str] = field(default_factory=dict)  # key -> reason
    unexpected: list[str] = field(default_factory=list)  # keys received that no event queued
    in_flight_at_kills: set[str] = field(default_factory=set)
    #: Duplicates of deliveries not in flight at a kill: the statuses received and the sender batches that had them.
    unexplained_duplicates: dict[str, str] = field(default_factory=dict)
    #: At the end, undelivered flaky deliveries by hook: how many, and the hook as the API shows it.
    pending_by_hook: dict[int, str] = field(default_factory=dict)
    down_hooks_disabled: bool = False  # the API showed the closed receiver's hooks disabled before it came back
    kills: int = 0
    handler_errors: list[str] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    settled: bool = False
    virtual_hours: float = 0.0
    wall_s: float = 0.0

    @property
    def parked(self) -> int:
        return sum(self.parked_by_reason.values())

    def lines(self) -> list[str]:
        in_flight_dups = sum(key in self.in_flight_at_kills for key in self.duplicates)
        return [
            f"deliveries              {self.deliveries}",
            f"delivered               {self.delivered}",
            f"parked                  {self.parked}  {dict(self.parked_by_reason)}",
            "  by kind               "
            + ", ".join(f"{kind} {reason}: {n}" for (kind, reason), n in sorted(self.parked_by_kind.items()))
            + f" (of {dict(self.kinds)})",
            f"in DLQ                  {len(self.dead_lettered)}  {dict(Counter(self.dead_lettered.values()))}",
            f"lost                    {len(self.lost)}",
            f"duplicates              {len(self.duplicates)}  ({in_flight_dups} of {len(self.in_flight_at_kills)}"
            f" deliveries in flight at {self.kills} kill(s); {sum(self.duplicates.values())} 2xx answers)",
            *(f"  not from a kill: {key} {how}" for key, how in self.unexplained_duplicates.items()),
            f"stuck                   {self.stuck} message(s), {len(self.stuck_keys)} deliveries",
            *(f"  flaky, not delivered: hook {hook}: {how}" for hook, how in self.pending_by_hook.items()),
            f"unexpected keys         {len(self.unexpected)}",
            f"receiver down           its hooks disabled before it came back: {self.down_hooks_disabled}",
            f"sender handler errors   {len(self.handler_errors)}",
            f"requests received       {self.requests}  {dict(self.faults)}",
            f"settled                 {self.settled} (virtual time {self.virtual_hours:.1f} h)",
            f"wall time               {self.wall_s:.1f} s",
        ]


@dataclass
class Hooked:
    hook_id: int
    tenant: int
    project: bool
    flaky: bool  # False: the hook that always answers 410
    flapping: bool  # on the receiver that goes down and comes back


class ChaosRun:
    """One run on a started local stack whose pollers are stopped."""

    def __init__(self, stack: LocalStack, config: ChaosConfig, workdir: Path, progress: bool = False) -> None:
        self.stack, self.config, self.workdir, self.progress = stack, config, workdir, progress
        self.sqs = stack.client("sqs")
        self.delivery_url = stack.environment[settings.DELIVERY_QUEUE.env_var]
        self.ingest_url = stack.environment[settings.INGEST_QUEUE.env_var]
        self.receivers = FaultyReceivers(config.failure_rate, config.seed, config.timeouts, config.timeout_s + 1)
        self.clock = SharedClock(workdir / "clock")
        self.rng = random.Random(config.seed)
        self.tag = uuid.uuid4().hex[:6]
        self.hooks: list[Hooked] = []
        self.expected: dict[str, int] = {}  # key -> hook id
        self.doomed: set[str] = set()
        self.parked: dict[str, str] = {}
        self.dead_lettered: dict[str, str] = {}
        self.children: list[SenderChild] = []
        self.every_child: list[SenderChild] = []
        self.figures = Figures()
        self.started_at = CLOCK.now()
        self._pace = threading.Event()
        self._rate = 0.0
        self._settle_at = 0.0
        self._delivered = 0
        self._next_rate_look = 0.0
        self._last_fed_s = 0.0
        self._quiet_checks = 0
        self._next_parked_read = 0.0
        self._dead_letters_seen = 0
        self._gone_hooks: set[int] = set()
        self._started = 0
        self.api = httpx.Client(
            base_url=f"{stack.api_url}/api/v4", headers={"PRIVATE-TOKEN": stack.admin_token}, timeout=30
        )

    # --- set-up --------------------------------------------------------------------------------------------------
    def project(self, tenant: int) -> str:
        return f"chaos-{self.tag}-{'gone' if tenant == GONE else tenant}/app"

    def setup(self) -> None:
        """The tenants' hooks (a project with its group), and the gone hook alone on a project of its own."""
        self.receivers.start("steady")
        self.receivers.start("flapping", close_connections=True)
        for tenant in range(self.config.tenants):
            for index in range(self.config.hooks_per_tenant):
                on_project = index < self.config.project_hooks
                flapping = on_project and index == 0 and 1 <= tenant <= self.config.down_hooks
                self._hook(tenant, index, on_project, "flapping" if flapping else "steady")
        self._hook(GONE, 0, True, "steady")
        self.receivers.gone_paths.add(f"/{GONE}/0")
        self._gone_hooks = {hook.hook_id for hook in self.hooks if not hook.flaky}
        self.started_at = CLOCK.now()
        self.clock.publish()

    def _hook(self, tenant: int, index: int, on_project: bool, server: str) -> None:
        project = self.project(tenant)
        path = project if on_project else project.split("/")[0]
        answer = self.api.post(
            f"/{'projects' if on_project else 'groups'}/{quote(path, safe='')}/hooks",
            json={"url": self.receivers.url(server, f"/{tenant}/{index}"), "push_events": True},
        )
        assert answer.status_code == 201, answer.text
        hook_id = int(answer.json()["id"])
        self.hooks.append(Hooked(hook_id, tenant, on_project, tenant != GONE, server == "flapping"))

    def start_sender(self) -> SenderChild:
        self._started += 1
        journal = self.workdir / f"sender-{self._started}.jsonl"
        journal.touch()
        env = {**os.environ, **self.stack.environment, settings.REQUEST_TIMEOUT_ENV: str(self.config.timeout_s)}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "functions"), str(ROOT), env.get("PYTHONPATH", "")])
        child = ChildServer("infra.local.chaos", "sender", str(journal), str(self.clock.path), env=env, timeout=15)
        self.children.append(SenderChild(child, journal))
        self.every_child.append(self.children[-1])
        return self.children[-1]

    # --- events --------------------------------------------------------------------------------------------------
    def feed(self, events: int, first: int) -> None:
        """``events`` pushes over the tenants on the ingest queue, a tenant's together (a sender batch then touches
        few hooks); fan-out runs here until the queue is empty."""
        from hookline.handlers import ingest

        entries = []
        for number in range(first, first + events):
            tenant = number % self.config.tenants
            event_id = str(uuid.uuid4())
            for hook in (h for h in self.hooks if h.tenant == tenant):
                key = idempotency_key(event_id, hook.hook_id)
                self.expected[key] = hook.hook_id
                if hook.flaky and self.rng.random() < self.config.doomed_share:
                    self.doomed.add(key)
            entries.append((tenant, json.dumps(_envelope(event_id, self.project(tenant), number))))
            if number % self.config.gone_every == 0:  # now and then an event for the gone hook's project too
                event_id = str(uuid.uuid4())
                gone = next(hook for hook in self.hooks if hook.tenant == GONE)
                self.expected[idempotency_key(event_id, gone.hook_id)] = gone.hook_id
                entries.append((GONE, json.dumps(_envelope(event_id, self.project(GONE), number))))
        entries.sort(key=lambda entry: entry[0])
        with self.receivers.lock:
            self.receivers.doomed |= self.doomed
        for start in range(0, len(entries), 10):
            chunk = [body for _, body in entries[start : start + 10]]
            self.sqs.send_message_batch(
                QueueUrl=self.ingest_url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(chunk)]
            )
        poller = SqsPoller("IngestFunction", self.sqs, self.ingest_url, settings.INGEST_QUEUE, ingest.lambda_handler)
        while poller.poll_once():
            pass
        self._last_fed_s = self.virtual_s

    # --- faults --------------------------------------------------------------------------------------------------
    def kill_a_sender(self) -> None:
        """SIGKILL the child whose request is held by the tripwire (it is mid-batch), then start a fresh one."""
        self.receivers.arm_tripwire()
        try:
            key = wait_until(lambda: self.receivers.caught, timeout=60)
            victim, batch = wait_until(lambda: self._sending(key), timeout=10)
            victim.kill()
        finally:
            self.receivers.release.set()
        self.children.remove(victim)
        self.figures.kills += 1
        self.figures.in_flight_at_kills |= {k for _, body in batch for k in keys_of(body)}
        visible_now(self.sqs, self.delivery_url, [handle for handle, _ in batch])  # not after the visibility timeout
        self.figures.handler_errors += victim.handler_errors()
        self.start_sender()

    def _sending(self, key: str) -> tuple[SenderChild, list[tuple[str, str]]] | None:
        for child in self.children:
            batch = child.open_batch()
            if any(key in keys_of(body) for _, body in batch):
                return child, batch
        return None

    def hook_path(self, hook: Hooked) -> str:
        project = self.project(hook.tenant)
        namespace = quote(project if hook.project else project.split("/")[0], safe="")
        return f"/{'projects' if hook.project else 'groups'}/{namespace}/hooks/{hook.hook_id}"

    def down_hooks_disabled(self) -> bool:
        """Whether the API shows every hook of the closed receiver disabled."""
        for hook in (h for h in self.hooks if h.flapping):
            answer = self.api.get(self.hook_path(hook))
            if answer.json().get("alert_status") == "executable":
                return False
        return True

    # --- accounting ----------------------------------------------------------------------------------------------
    def queue_depth(self, *urls: str) -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        names.append("ApproximateNumberOfMessagesDelayed")
        total = 0
        for url in urls:
            attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
            total += sum(int(attributes.get(name, 0)) for name in names)
        return total

    def read_dead_letters(self) -> None:
        """Keys of the messages in both DLQs, with the reason: the ``reason`` attribute, or the receive count."""
        events = {}
        self._dead_letters_seen = 0
        for env in (settings.DELIVERY_QUEUE.dlq_env_var, settings.INGEST_QUEUE.dlq_env_var):
            url = self.stack.environment[env]
            receive = {"MaxNumberOfMessages": 10, "VisibilityTimeout": 600, "AttributeNames": ["All"]}
            while messages := self.sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], **receive).get(
                "Messages", []
            ):
                self._dead_letters_seen += len(messages)
                for message in messages:
                    reason = message.get("MessageAttributes", {}).get("reason", {}).get("StringValue")
                    reason = reason or f"received {message['Attributes'].get('ApproximateReceiveCount')} times"
                    for key in keys_of(message["Body"]):
                        self.dead_lettered[key] = reason
                    with suppress(ValueError, KeyError, TypeError):
                        events[json.loads(message["Body"])["id"]] = reason
        for key, hook_id in self.expected.items():  # an event in the ingest DLQ: all its deliveries
            for event_id, reason in events.items():
                if idempotency_key(event_id, hook_id) == key:
                    self.dead_lettered[key] = reason

    def read_parked(self, keys: set[str]) -> None:
        since = self.started_at - timedelta(minutes=1)
        until = CLOCK.now() + timedelta(days=1)
        from hookline.adapters.delivery_store import DeliveryStore

        store = DeliveryStore()
        for hook_id in {self.expected[key] for key in keys}:
            for _, task, reason in store.parked(hook_id, since, until):
                self.parked[task.idempotency_key] = reason

    def pending(self) -> set[str]:
        delivered = self.receivers.delivered()
        return {k for k in self.expected if k not in delivered and k not in self.parked and k not in self.dead_lettered}

    def kind(self, key: str) -> str:
        """What a delivery was meant to meet: ``gone`` (the hook that always answers 410), ``doomed`` (its every
        attempt fails) or ``flaky`` (it should end delivered)."""
        if self.expected[key] in self._gone_hooks:
            return "gone"
        return "doomed" if key in self.doomed else "flaky"

    # --- the clock -----------------------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @property
    def virtual_s(self) -> float:
        return (CLOCK.now() - self.started_at).total_seconds()

    # --- the whole run -------------------------------------------------------------------------------------------
    def run(self) -> Figures:
        """Feed the waves (closing the flapping receiver, killing senders on the way), then let the clock run until
        every delivery is accounted for and the queues are empty, or the deadline."""
        config, began = self.config, time.monotonic()
        deadline = began + config.deadline_s
        waves = math.ceil(config.events / config.wave_events)
        kill_waves = {(n + 1) * waves // (config.kills + 1) for n in range(config.kills)}
        down_wave = max(1, waves // 4) if config.down_hooks else -1
        down_since: tuple[int, float] | None = None
        for _ in range(config.senders):
            self.start_sender()
        fed = wave = 0
        last_feed = next_look = next_report = next_feed_look = 0.0
        try:
            while time.monotonic() < deadline:
                now = time.monotonic()
                if wave < waves and now >= next_feed_look:
                    next_feed_look = now + 0.5
                    if self._room(now - last_feed):
                        if wave == down_wave:
                            self.receivers.stop("flapping")
                            down_since = (wave, now)
                        count = min(config.wave_events, config.events - fed)
                        self.feed(count, fed)
                        fed, wave, last_feed = fed + count, wave + 1, time.monotonic()
                        if wave in kill_waves:
                            self.kill_a_sender()
                if self.progress and now >= next_report:
                    next_report = now + 10
                    self.report(now - began, fed)
                if down_since is not None and now >= next_look:
                    next_look = now + 1
                    if wave >= down_since[0] + 2 or wave == waves:
                        disabled = self.down_hooks_disabled()
                        if disabled or now - down_since[1] > 30:
                            self.figures.down_hooks_disabled = disabled
                            self.receivers.start("flapping", close_connections=True)
                            down_since = None
                if wave < waves or down_since is not None:
                    self.advance(config.feed_rate * TICK_S)
                elif self.settle():
                    self.figures.settled = True
                    break
                self._pace.wait(TICK_S)  # the pace of the compressed clock (a tick), not a wait for an outcome
        finally:
            self.finish(began)
        return self.figures

    def settle(self) -> bool:
        """One step once everything was fed: account, move the clock on, and tell whether the run has settled.

        The clock's rate doubles each second in which few deliveries got through and halves in one where a backlog
        flowed (the senders' pace), between ``feed_rate`` and ``settle_rate``; it stops 2 h past the maximum age of
        the last delivery fed. Flaky deliveries get through; the gone hook's deliveries expire, and so may doomed ones
        whose retries the hook's disable windows (doubling with each failure) pushed past the maximum age."""
        now = time.monotonic()
        pending = self.pending()
        flaky = sum(self.kind(key) == "flaky" for key in pending)
        if pending and now >= self._next_parked_read:
            self.read_parked(pending)
            dlq = self.stack.environment[settings.DELIVERY_QUEUE.dlq_env_var]
            ingest_dlq = self.stack.environment[settings.INGEST_QUEUE.dlq_env_var]
            if self.queue_depth(dlq, ingest_dlq) > self._dead_letters_seen:
                self.read_dead_letters()
            self._next_parked_read = time.monotonic() + 10  # a Query per hook: moto is busy enough
            pending = self.pending()
            flaky = sum(self.kind(key) == "flaky" for key in pending)
        elapsed, self._settle_at = min(now - (self._settle_at or now), 1.0), now
        if now >= self._next_rate_look:
            self._next_rate_look = now + 1
            delivered = len(self.receivers.delivered())
            if flaky and delivered - self._delivered >= FLOWING:
                self._rate = max(self._rate / 2, self.config.feed_rate)
            else:
                self._rate = min(max(self._rate * 2, self.config.feed_rate), self.config.settle_rate)
            self._delivered = delivered
        limit = self._last_fed_s + (MAX_AGE + timedelta(hours=2)).total_seconds()
        step = min(self._rate * elapsed, max(limit - self.virtual_s, 0))
        if step:
            self.advance(step)
        quiet = not pending and self.queue_depth(self.delivery_url, self.ingest_url) == 0
        self._quiet_checks = self._quiet_checks + 1 if quiet else 0
        return self._quiet_checks >= 2

    def report(self, elapsed: float, fed: int) -> None:
        delivered = self.receivers.delivered()
        print(
            f"{elapsed:6.0f} s  events fed {fed}  deliveries {len(self.expected)}  delivered {len(delivered)}"
            f"  parked {len(self.parked)}  requests {self.receivers.requests}  senders {len(self.children)}"
            f"  kills {self.figures.kills}  virtual {self.virtual_s / 3600:.1f} h",
            file=sys.stderr,
            flush=True,
        )

    def _room(self, since_last_feed: float) -> bool:
        """Whether the next wave may go: moto's SQS reads every message of a queue on each receive, so the delivery
        queue is kept short (its held and delayed messages count too)."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        names.append("ApproximateNumberOfMessagesDelayed")
        depth = self.sqs.get_queue_attributes(QueueUrl=self.delivery_url, AttributeNames=names)["Attributes"]
        visible, total = int(depth[names[0]]), sum(int(depth[name]) for name in names)
        wave = self.config.wave_events
        return total < 3 * wave and (visible < wave // 2 or since_last_feed > 15)

    def finish(self, began: float) -> None:
        """Stop the senders, then count: what is left on the queues is stuck."""
        for sender in self.children:
            sender.child.stop()
            self.figures.handler_errors += sender.handler_errors()
        self.receivers.stop_all()
        figures = self.figures
        figures.wall_s = time.monotonic() - began
        figures.stuck = self.queue_depth(self.delivery_url, self.ingest_url)
        if figures.stuck:  # held messages are hidden a second at most: read them all
            found: dict[str, list[str]] = {}

            def drained() -> bool:
                for url in (self.delivery_url, self.ingest_url):
                    for m in self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                        found[m["MessageId"]] = keys_of(m["Body"])
                return len(found) >= figures.stuck

            with suppress(AssertionError):
                wait_until(drained, timeout=10)
            figures.stuck_keys = sorted({key for keys in found.values() for key in keys})
        self.read_dead_letters()
        self.read_parked(self.pending())
        delivered = self.receivers.delivered()
        figures.deliveries = len(self.expected)
        figures.delivered = sum(key in delivered for key in self.expected)
        figures.duplicates = {key: count for key, count in delivered.items() if count > 1}
        for key in sorted(set(figures.duplicates) - figures.in_flight_at_kills):
            batches = [batch for child in self.every_child for batch in child.batches_with(key)]
            figures.unexplained_duplicates[key] = f"statuses {self.receivers.answers[key]}, batches {batches}"
        figures.parked_by_reason = Counter(self.parked[key] for key in self.expected if key in self.parked)
        figures.parked_by_kind = Counter(
            (self.kind(key), self.parked[key]) for key in self.expected if key in self.parked
        )
        figures.kinds = Counter(self.kind(key) for key in self.expected)
        figures.dead_lettered = {key: self.dead_lettered[key] for key in self.expected if key in self.dead_lettered}
        stuck = set(figures.stuck_keys)
        figures.lost = sorted(key for key in self.pending() if key not in stuck)
        with self.receivers.lock:
            figures.unexpected = sorted(key for key in self.receivers.answers if key not in self.expected)
            figures.faults = Counter({fault.value: n for fault, n in self.receivers.faults.items()})
        figures.requests = sum(figures.faults.values())
        waiting = Counter(self.expected[key] for key in self.pending() if self.kind(key) == "flaky")
        for hook in (h for h in self.hooks if h.hook_id in waiting):
            shown = self.api.get(self.hook_path(hook)).json()
            state = {name: shown.get(name) for name in ("alert_status", "disabled_until")}
            figures.pending_by_hook[hook.hook_id] = f"{waiting[hook.hook_id]} (flapping: {hook.flapping}, {state})"
        figures.virtual_hours = self.virtual_s / 3600
        self.api.close()


def _envelope(event_id: str, project: str, number: int) -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Push Hook",
        "source": "chaos.gitlab",
        "detail": {
            "scope": {"project": {"path": project}, "groups": [{"path": project.split("/")[0]}]},
            "payload": {
                "object_kind": "push",
                "event_name": "push",
                "ref": "refs/heads/main",
                "checkout_sha": f"{number:040x}",
                "project": {"path_with_namespace": project},
                "commits": [{"id": f"{number:040x}", "message": f"change {number}"}],
                "total_commits_count": 1,
            },
        },
    }


@contextmanager
def restored_clock() -> Iterator[None]:
    """CLOCK as it was after the run (a test shares the process with other tests)."""
    before = SharedClock.offset_s()
    try:
        yield
    finally:
        CLOCK.advance(timedelta(seconds=before - SharedClock.offset_s()))


def run_chaos(stack: LocalStack, config: ChaosConfig, workdir: Path, progress: bool = False) -> Figures:
    """The fault tier on a started stack (pollers stopped); CLOCK is put back afterwards. ``progress``: a line on
    stderr every 10 s."""
    with restored_clock():
        run = ChaosRun(stack, config, workdir, progress)
        run.setup()
        return run.run()


def main() -> None:
    if sys.argv[1:2] == ["sender"]:
        sender_child(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(prog="python -m infra.local.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=ChaosConfig.deliveries)
    parser.add_argument("--senders", type=int, default=ChaosConfig.senders)
    parser.add_argument("--kills", type=int, default=ChaosConfig.kills)
    parser.add_argument("--seed", type=int, default=ChaosConfig.seed)
    parser.add_argument("--small", action="store_true", help="the size the test runs")
    args = parser.parse_args()
    config = (
        SMALL if args.small else ChaosConfig(args.deliveries, senders=args.senders, kills=args.kills, seed=args.seed)
    )
    report, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 - the handlers log to stdout
    stack = LocalStack(aws_port=0, api_port=0, start_pollers=False, max_hold_seconds=2).start()
    try:
        with tempfile.TemporaryDirectory(prefix="hookline-chaos-") as workdir:
            figures = run_chaos(stack, config, Path(workdir), progress=True)
    finally:
        stack.stop()
    print("\n".join(figures.lines()), file=report, flush=True)
    bad = figures.lost or figures.stuck or not figures.settled
    bad = bad or not set(figures.duplicates) <= figures.in_flight_at_kills
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
