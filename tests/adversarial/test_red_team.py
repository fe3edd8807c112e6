"""Red team, sender / fan-out / outbound side: each test is an input that breaks the neighbour invariant (or another
promise of the README) before it was fixed; each failed then and guards it now."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hookline import settings, wiring
from hookline.domain.delivery import REQUEST_TIMEOUT_SECONDS, idempotency_key
from hookline.domain.sending import send_window
from hookline.handlers import ingest, sender
from infra.local.zoo import Zoo
from tests.adversarial import neighbours
from tests.adversarial.neighbours import TIMEOUT_S, Bulkhead, envelope, push_payload, rebuild_services
from tests.adversarial.test_seen import stored_hostile


@pytest.fixture(scope="module")
def zoo() -> Iterator[Zoo]:
    server = Zoo().start()
    yield server
    server.stop()


def _delivery_url(bulkhead: Bulkhead) -> str:
    return bulkhead.stack.environment[settings.DELIVERY_QUEUE.env_var]


def _ingest_url(bulkhead: Bulkhead) -> str:
    return bulkhead.stack.environment[settings.INGEST_QUEUE.env_var]


def _put_on_delivery_queue(bulkhead: Bulkhead, body: str) -> None:
    bulkhead.stack.client("sqs").send_message(QueueUrl=_delivery_url(bulkhead), MessageBody=body)


def _task(hook_id: int, **fields: Any) -> dict[str, Any]:
    event_uuid = str(uuid.uuid4())
    return {
        "hook_id": hook_id,
        "event_uuid": event_uuid,
        "event_name": "Push Hook",
        "idempotency_key": idempotency_key(event_uuid, hook_id),
        "body": json.dumps({"object_kind": "push"}),
        "queued_at": datetime.now(UTC).isoformat(),
        **fields,
    }


# --- 1. A poison message on the delivery queue fails the whole sender batch --------------------------------------
# parse_record only checks the message's shape; a task that parses but cannot be acted on raises in deliver(), after
# the neighbours' requests went out and before any log is written: the batch comes back whole (every neighbour sent
# again, unlogged, up to maxReceiveCount, then the neighbours' messages are in the DLQ).


def test_a_task_with_an_unknown_event_name_fails_only_its_own_message(bulkhead: Bulkhead) -> None:
    _put_on_delivery_queue(bulkhead, json.dumps(_task(987_654_321, event_name="Nope Hook")))
    bulkhead.run()
    bulkhead.assert_invariant()


def test_a_task_with_a_naive_queued_at_fails_only_its_own_message(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    naive = datetime.now(UTC).replace(tzinfo=None).isoformat()
    _put_on_delivery_queue(bulkhead, json.dumps(_task(hook_id, queued_at=naive)))
    bulkhead.run()
    bulkhead.assert_invariant()


def test_a_task_with_a_naive_not_before_fails_only_its_own_message(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    naive = datetime.now(UTC).replace(tzinfo=None).isoformat()
    _put_on_delivery_queue(bulkhead, json.dumps(_task(hook_id, not_before=naive)))
    bulkhead.run()
    bulkhead.assert_invariant()


def test_a_task_with_a_negative_attempt_fails_only_its_own_message(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    bulkhead.receiver.statuses[bulkhead.hostile_path] = 500
    _put_on_delivery_queue(bulkhead, json.dumps(_task(hook_id, attempt=-100)))
    bulkhead.run()
    bulkhead.assert_invariant()


# --- 2. A stored hook state that overflows ------------------------------------------------------------------------


def test_a_stored_disabled_until_at_the_end_of_time_fails_only_its_own_delivery(bulkhead: Bulkhead) -> None:
    end_of_time = datetime.max.replace(tzinfo=UTC) - timedelta(microseconds=1)
    stored_hostile(bulkhead, recent_failures=5, disabled_until=end_of_time)
    bulkhead.run()
    bulkhead.assert_invariant()


def test_a_stored_naive_disabled_until_fails_only_its_own_delivery(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    naive = (datetime.now(UTC) + timedelta(minutes=5)).replace(tzinfo=None).isoformat()  # as an older writer kept it
    bulkhead.stack.client("dynamodb").update_item(
        TableName=settings.HOOKS_TABLE.name,
        Key={"pk": {"S": f"HOOK#{hook_id}"}, "sk": {"S": "HOOK"}},
        UpdateExpression="SET recent_failures = :f, disabled_until = :d",
        ExpressionAttributeValues={":f": {"N": "5"}, ":d": {"S": naive}},
    )
    bulkhead.run()
    bulkhead.assert_invariant()


# --- 3. One hook's slow receiver makes the whole batch outlive the Lambda's timeout -------------------------------
# At most 4 requests go to one hook at a time, and nothing in the sender looks at the invocation's remaining time.
# A hook that is in every message of a batch (10 events, 10 deliveries) and whose receiver hangs takes
# ceil(10 / 4) = 3 rounds of the 10 s attempt timeout: 30 s, the sender function's timeout. Lambda kills the
# invocation: no log is written, the neighbours (already sent in round 1) come back and are sent again, five times,
# then their messages are dead-lettered. Here the attempt timeout is 1 s and the Lambda's is scaled the same way.


def _issue_envelope(project_path: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Issue Hook",
        "source": "gitlab.test",
        "detail": {
            "scope": {"project": {"path": project_path}, "groups": [{"path": project_path.split("/")[0]}]},
            "payload": {"object_kind": "issue", "object_attributes": {"title": "x"}},
        },
    }


def _lambda_deadline(budget_s: float, handler: Any) -> Any:
    """The handler as Lambda runs it: an invocation past ``budget_s`` is killed (its outcome discarded)."""

    def run(event: dict[str, Any], context: Any) -> Any:
        started = time.monotonic()
        answer = handler(event, context)
        print(f"sender invocation: {time.monotonic() - started:.2f} s (budget {budget_s:.2f} s)")
        if time.monotonic() - started > budget_s:
            raise TimeoutError(f"Task timed out after {budget_s:.2f} seconds")
        return answer

    return run


def test_one_hook_hanging_in_every_message_of_a_batch_does_not_outlive_the_lambda(
    bulkhead: Bulkhead, zoo: Zoo, short_timeout: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = bulkhead.hostile_hook(url=zoo.url("/hang"), issues_events=True)
    assert answer.status_code == 201, answer.text
    sqs = bulkhead.stack.client("sqs")
    for _ in range(8):  # 8 issues: the hostile hook alone; with the two pushes, one sender batch of 10 messages
        sqs.send_message(
            QueueUrl=_ingest_url(bulkhead), MessageBody=json.dumps(_issue_envelope(bulkhead.hostile_project))
        )
    bulkhead._drain(_ingest_url(bulkhead), settings.INGEST_QUEUE, ingest.lambda_handler, rounds=2)
    scale = TIMEOUT_S / REQUEST_TIMEOUT_SECONDS  # the function's timeout and the send window shrink with the attempt's
    budget = settings.SENDER_FUNCTION.timeout_s * scale
    service = wiring.delivery_sender()
    service.policy = replace(service.policy, send_window_seconds=send_window(REQUEST_TIMEOUT_SECONDS) * scale)
    monkeypatch.setattr(
        neighbours, "sender", SimpleNamespace(lambda_handler=_lambda_deadline(budget, sender.lambda_handler))
    )
    bulkhead.run()
    bulkhead.assert_invariant()


# --- 4. Keys past DynamoDB's limits (2048 bytes for a partition key, 1024 for a sort key) ---------------------------
# moto accepts any key size; DynamoDB answers ValidationException. The fixture makes the handlers' client answer as
# DynamoDB does, so a key one producer or one message makes too long shows what it does to the batch it is in.

PK_LIMIT, SK_LIMIT = 2048, 1024


def _check_keys(value: Any) -> None:
    from botocore.exceptions import ClientError

    if isinstance(value, dict):
        for name, limit in (("pk", PK_LIMIT), ("sk", SK_LIMIT)):
            inner = value.get(name)
            if isinstance(inner, dict) and isinstance(inner.get("S"), str) and len(inner["S"].encode()) > limit:
                message = f"One or more parameter values were invalid: Size of key {name} exceeds {limit} bytes"
                raise ClientError({"Error": {"Code": "ValidationException", "Message": message}}, "DynamoDB")
        for inner in value.values():
            _check_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            _check_keys(inner)


@pytest.fixture
def dynamodb_key_limits() -> Iterator[None]:
    from hookline.adapters.aws import dynamodb

    def check(params: dict[str, Any], **_: Any) -> None:
        _check_keys(params)

    events = dynamodb().meta.events
    events.register("provide-client-params.dynamodb.*", check, unique_id="red-team-key-limits")
    yield
    events.unregister("provide-client-params.dynamodb.*", unique_id="red-team-key-limits")


def test_the_key_limit_emulation_answers_as_dynamodb_does(dynamodb_key_limits: None) -> None:
    from botocore.exceptions import ClientError

    from hookline.adapters.aws import dynamodb

    with pytest.raises(ClientError, match="ValidationException"):
        dynamodb().get_item(TableName=settings.HOOKS_TABLE.name, Key={"pk": {"S": "x" * 2049}, "sk": {"S": "HOOK"}})


def test_a_producer_path_within_the_contract_fails_only_its_own_event(
    bulkhead: Bulkhead, dynamodb_key_limits: None
) -> None:
    path = "p" * 2040
    bulkhead.run(hostile_message=json.dumps(envelope(path, push_payload(path))))
    rejected = bulkhead.dead_letters() - bulkhead.dead_letters_before
    assert rejected in (0, 1)
    bulkhead.assert_invariant(dead_lettered=rejected)


def test_a_producer_path_of_multibyte_characters_fails_only_its_own_event(
    bulkhead: Bulkhead, dynamodb_key_limits: None
) -> None:
    path = "é" * 1100
    bulkhead.run(hostile_message=json.dumps(envelope(path, push_payload(path))))
    rejected = bulkhead.dead_letters() - bulkhead.dead_letters_before
    assert rejected in (0, 1)
    bulkhead.assert_invariant(dead_lettered=rejected)


def test_a_task_whose_event_uuid_is_too_long_for_a_key_fails_only_its_own_message(
    bulkhead: Bulkhead, dynamodb_key_limits: None
) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    task = _task(hook_id, event_uuid="e" * 3000)
    del task["body"]  # the payload is read from the store: its key joins the batch's BatchGetItem
    _put_on_delivery_queue(bulkhead, json.dumps(task))
    bulkhead.run()
    bulkhead.assert_invariant()


# --- 5. Slow DNS of one tenant's names starves every other delivery's lookup ------------------------------------------
# resolve_host uses loop.getaddrinfo: a blocking getaddrinfo in the event loop's default executor, min(32, CPUs + 4)
# threads (6 on a 2-vCPU Lambda). The attempt timeout cancels the await, not the thread: a lookup that hangs (the
# tenant runs the authoritative DNS of its own names) keeps its thread. A tenant with as many hooks (or deliveries)
# as there are threads, on names that never resolve, leaves no thread for any other hook's lookup: the neighbour's
# delivery times out (and the threads stay taken for the next invocations of that Lambda environment too).
# The DNS is emulated: names under slow-dns.test block until the test ends; good-dns.test is 127.0.0.1.


@pytest.fixture
def slow_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import socket
    import threading

    real = socket.getaddrinfo
    release = threading.Event()
    armed = threading.Event()

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith("slow-dns.test") and armed.is_set():
            release.wait(60)  # an authoritative server that never answers, until the test is over
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        if isinstance(host, str) and host.endswith("good-dns.test"):
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield armed
    release.set()


SLOW_HOOKS = 8


def test_one_tenants_slow_dns_does_not_starve_a_neighbours_lookup(
    bulkhead: Bulkhead, short_timeout: None, slow_dns: Any
) -> None:
    from hookline.adapters.hook_store import HookStore

    store = HookStore()
    port = bulkhead.receiver.server.server_address[1]
    for index in range(SLOW_HOOKS):
        stored_hostile(bulkhead, url=f"http://h{index}.slow-dns.test:{port}{bulkhead.hostile_path}")
    group_hook = store.get(bulkhead.group_hook)
    assert group_hook is not None
    store.put(group_hook.model_copy(update={"url": f"http://good-dns.test:{port}{bulkhead.group_path}"}), new=False)
    slow_dns.set()
    bulkhead.run()
    bulkhead.assert_invariant()


# --- 6. A receiver that echoes the request puts the hook's secrets in its log ----------------------------------------
# Outgoing.scrub is applied to the internal error only; the response body and headers are logged as received. A
# receiver (or a proxy, or an error page) that reflects the request, as httpbin's /anything or many WAF pages do,
# makes the token, the custom header values and the Basic auth of the URL readable in "Recent events".


@pytest.fixture
def echo_receiver() -> Iterator[str]:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            reply = json.dumps({"headers": dict(self.headers.items())}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Echo-Token", self.headers.get("X-Gitlab-Token", ""))
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_receiver_echoing_the_request_does_not_put_secrets_in_the_log(bulkhead: Bulkhead, echo_receiver: str) -> None:
    token, header_value = "red-Team-Token-0451", "red-Team-Header-0452"
    answer = bulkhead.hostile_hook(
        url=f"{echo_receiver}/echo",
        token=token,
        custom_headers=[{"key": "X-Api-Key", "value": header_value}],
    )
    assert answer.status_code == 201, answer.text
    bulkhead.run()
    bulkhead.assert_invariant()
    logs = bulkhead.hostile_logs(answer.json()["id"])
    assert logs
    neighbours.assert_no_secret(token, json.dumps(logs, default=str))
    neighbours.assert_no_secret(header_value, json.dumps(logs, default=str))


# --- 7. A stored item that cannot be read fails every batch it is in --------------------------------------------------
# The README (Bulkheads) and the HookUnreadable alarm promise that a hook whose stored item cannot be read (a corrupt
# item, a secret that cannot be opened) fails only its own deliveries, as "hook unreadable". Nothing sets
# Hook.unreadable: HookStore.many_read parses every item of the batch's one BatchGetItem and the first that does not
# parse raises out of deliver(). Likewise the fan-out parses every hook's routing entry of every scope of the batch
# before its per-event bulkhead: one entry it cannot read fails the whole ingest batch. (The parse lives in
# hook_store.py; the missing bulkhead is the sender's and the fan-out's.)


def test_a_hook_whose_sealed_token_cannot_be_opened_fails_only_its_own_delivery(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook(token="a-token-to-seal").json()["id"]
    bulkhead.stack.client("dynamodb").update_item(
        TableName=settings.HOOKS_TABLE.name,
        Key={"pk": {"S": f"HOOK#{hook_id}"}, "sk": {"S": "HOOK"}},
        UpdateExpression="SET #t = :t",
        ExpressionAttributeNames={"#t": "token"},
        ExpressionAttributeValues={":t": {"S": "kms1:" + "A" * 40 + ":" + "B" * 40}},  # a key that is gone
    )
    bulkhead.run()
    bulkhead.assert_invariant()
    (log,) = bulkhead.hostile_logs(hook_id)
    assert log["response_status"] == "internal error"


def test_a_hook_item_that_does_not_parse_fails_only_its_own_delivery(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    bulkhead.stack.client("dynamodb").update_item(
        TableName=settings.HOOKS_TABLE.name,
        Key={"pk": {"S": f"HOOK#{hook_id}"}, "sk": {"S": "HOOK"}},
        UpdateExpression="SET #k = :k",
        ExpressionAttributeNames={"#k": "kind"},
        ExpressionAttributeValues={":k": {"S": "instance"}},  # a kind a later version knows, this one does not
    )
    bulkhead.run()
    bulkhead.assert_invariant()


def test_a_routing_entry_that_does_not_parse_fails_only_its_own_hook(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    bulkhead.stack.client("dynamodb").update_item(
        TableName=settings.HOOKS_TABLE.name,
        Key={"pk": {"S": f"SCOPE#project:{bulkhead.hostile_project}"}, "sk": {"S": "SCOPE"}},
        UpdateExpression="SET #h.#s = :s",
        ExpressionAttributeNames={"#h": f"h{hook_id}", "#s": "branch_filter_strategy"},
        ExpressionAttributeValues={":s": {"S": "glob"}},  # a strategy saved by an older version
    )
    bulkhead.run()
    bulkhead.assert_invariant()


def test_a_hook_with_a_long_namespace_path_fails_only_its_own_delivery(
    bulkhead: Bulkhead, dynamodb_key_limits: None
) -> None:
    stored_hostile(bulkhead, namespace_path="é" * 1100 + "/victim")  # 2,200 bytes: the counter key is past 2 KB
    bulkhead.run()
    bulkhead.assert_invariant()


# --- 8. Scrubbing url variables from the internal error multiplies it ---------------------------------------------------
# Outgoing.scrub replaces each url variable's value by "{key}", one variable after the other, over the text the
# previous ones made. A value that is one letter and keys made of that letter (all valid for the API: keys
# ^[A-Za-z_][A-Za-z0-9_]*$, values 1 to 100 characters) multiply the message by each key's length: four variables
# of 100 "e"s turn "Connection refused" (3 "e"s) into 3 * 100**4 = 300 million characters, and building the log
# item from it peaks near 1 GB: the 512 MB sender Lambda is killed, with its whole batch. A fifth variable makes it
# 30 GB. Here the invocation is measured with tracemalloc against the function's memory size.


def _memory_limit(limit_mb: int, handler: Any) -> Any:
    import tracemalloc

    def run(event: dict[str, Any], context: Any) -> Any:
        tracemalloc.start()
        try:
            answer = handler(event, context)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        if peak > limit_mb * 2**20:
            raise MemoryError(f"Runtime exited: the invocation needed {peak / 2**20:.0f} MB of {limit_mb} MB")
        return answer

    return run


def test_url_variables_that_name_each_other_do_not_blow_up_the_log(
    bulkhead: Bulkhead, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = ["e" * (100 - index) for index in range(4)]
    answer = bulkhead.hostile_hook(
        url="http://127.0.0.1:1/" + "".join("{" + key + "}" for key in keys),  # port 1: "Connection refused"
        url_variables=[{"key": key, "value": "e"} for key in keys],
    )
    assert answer.status_code == 201, answer.text
    limit = settings.SENDER_FUNCTION.memory_mb
    monkeypatch.setattr(
        neighbours, "sender", SimpleNamespace(lambda_handler=_memory_limit(limit, sender.lambda_handler))
    )
    bulkhead.run()
    bulkhead.assert_invariant()


# --- 9. A pooled TLS connection verified for one tenant's name carries another tenant's delivery -------------------
# The sender pins each request to the checked address and sets SNI to the hook's host, but httpcore pools connections
# by origin only (scheme, address, port): sni_hostname is not part of the key. Two names on the same address (a shared
# load balancer, CDN or PaaS front: the tenant registers a name of its own there) share connections: the neighbour's
# request, its X-Gitlab-Token with it, goes over a connection whose certificate was verified for the hostile tenant's
# name, never for the neighbour's. A front that routes by SNI hands it to the tenant; one that checks answers 421.
# Here: one TLS listener with a certificate (from a CA the client trusts, as a public CA would) for the hostile name only.


@pytest.fixture
def shared_front(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Any]:
    import asyncio
    import ssl
    import threading

    import certifi
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    import hookline.adapters.tls as tls

    now = datetime.now(UTC)

    def certificate(subject: str, issuer: Any, key: Any, public: Any, ca: bool, san: str | None) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            ).add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        return builder.sign(key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Red Team Public CA")])
    ca = certificate("Red Team Public CA", ca_name, ca_key, ca_key.public_key(), True, None)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = certificate(
        "attacker.good-dns.test", ca_name, ca_key, leaf_key.public_key(), False, "attacker.good-dns.test"
    )
    pem = lambda cert: cert.public_bytes(serialization.Encoding.PEM)  # noqa: E731
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes() + pem(ca))
    chain, key_file = tmp_path / "leaf.pem", tmp_path / "leaf.key"
    chain.write_bytes(pem(leaf))
    key_file.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    monkeypatch.setattr(tls, "certifi", SimpleNamespace(where=lambda: str(bundle)))

    seen: list[tuple[str | None, str, str]] = []  # (SNI of the connection, Host, X-Gitlab-Token) of each request
    names: dict[int, str | None] = {}
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(chain), str(key_file))
    context.sni_callback = lambda obj, name, ctx: names.__setitem__(id(obj), name)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sni = names.get(id(writer.get_extra_info("ssl_object")))
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                fields = {
                    line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in head[1:] if ":" in line
                }
                await reader.readexactly(int(fields.get("content-length", "0")))
                seen.append((sni, fields.get("host", "").split(":")[0], fields.get("x-gitlab-token", "")))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            writer.close()

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(serve, "127.0.0.1", 0, ssl=context))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    rebuild_services()  # a sender whose clients trust the bundle
    yield SimpleNamespace(port=server.sockets[0].getsockname()[1], seen=seen)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    rebuild_services()


def test_a_connection_verified_for_one_tenants_name_never_carries_anothers_delivery(
    bulkhead: Bulkhead, slow_dns: Any, shared_front: Any
) -> None:
    from hookline.adapters.hook_store import HookStore

    port = shared_front.port
    answer = bulkhead.hostile_hook(
        url=f"https://attacker.good-dns.test:{port}/a", push_events=False, issues_events=True
    )
    assert answer.status_code == 201, answer.text
    store = HookStore()
    group_hook = store.get(bulkhead.group_hook)
    assert group_hook is not None
    victim = f"https://victim.good-dns.test:{port}/v"
    update = {"url": victim, "token": "victim-Token-0453", "enable_ssl_verification": True}
    store.put(group_hook.model_copy(update=update), new=False)
    # the hostile tenant's own event first: its connection (SNI attacker.good-dns.test, verified) stays in the pool
    sqs = bulkhead.stack.client("sqs")
    sqs.send_message(QueueUrl=_ingest_url(bulkhead), MessageBody=json.dumps(_issue_envelope(bulkhead.hostile_project)))
    bulkhead._drain(_ingest_url(bulkhead), settings.INGEST_QUEUE, ingest.lambda_handler, rounds=1)
    bulkhead._drain(_delivery_url(bulkhead), settings.DELIVERY_QUEUE, sender.lambda_handler, rounds=1)
    assert shared_front.seen == [("attacker.good-dns.test", "attacker.good-dns.test", "")]
    bulkhead.run()  # the neighbour's push: its certificate is for attacker.good-dns.test only
    assert [(sni, host, token) for sni, host, token in shared_front.seen if sni != host] == []
