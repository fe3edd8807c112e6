"""The neighbour invariant, checked on the local stack: a hostile hook can only ever hurt itself.

A :class:`Bulkhead` scenario is a fresh tenant pair on the shared stack:
- ``hostile``: a project ``<g>/victim`` under group ``<g>``; the hostile hook is made on it by the test;
- a healthy group hook on ``<g>`` (the same event's neighbour);
- a healthy project hook of another tenant ``<o>/neighbour`` whose event shares the sender batch.

``run()`` puts one push for each project on the ingest queue, fans both out in one ingest batch, then runs sender
batches by hand (the real handler, no poller) until the delivery queue is quiet. ``assert_invariant()`` checks that
each healthy hook got exactly one delivery, logged, that no handler raised, and that nothing is in a DLQ.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.meter import item_size
from hookline import config, settings, wiring
from hookline.adapters.delivery_store import DeliveryStore
from hookline.handlers import ingest, sender
from infra.local.lambda_runtime import LocalContext, sqs_event
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack

#: The request timeout of the scenarios that need one short (a hang then ends in a second).
TIMEOUT_S = 1.0
DYNAMODB_ITEM_LIMIT = 400 * 1024
#: Sender batches run at most this many times per scenario (retries of the hostile hook come back within a second).
MAX_SENDER_ROUNDS = 8


def push_payload(project_path: str, ref: str = "refs/heads/main", **extra: Any) -> dict[str, Any]:
    return {
        "object_kind": "push",
        "event_name": "push",
        "ref": ref,
        "checkout_sha": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
        "project": {"path_with_namespace": project_path, "name": project_path.rsplit("/", 1)[-1]},
        "commits": [{"id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "message": "Update README"}],
        "total_commits_count": 1,
        **extra,
    }


def api(stack: LocalStack, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=f"{stack.api_url}/api/v4", headers={"PRIVATE-TOKEN": token or stack.admin_token})


@dataclass
class Bulkhead:
    stack: LocalStack
    receiver: Receiver
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    handler_errors: list[BaseException] = field(default_factory=list)
    answers: list[httpx.Response] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = api(self.stack)
        self.group = f"g{self.tag}"
        self.hostile_project = f"{self.group}/victim"
        self.other_project = f"o{self.tag}/neighbour"
        self.group_path = f"/healthy-group-{self.tag}"
        self.other_path = f"/healthy-other-{self.tag}"
        self.hostile_path = f"/hostile-{self.tag}"
        self.group_hook = self._create("groups", self.group, {"url": self.receiver.url(self.group_path)})
        self.other_hook = self._create("projects", self.other_project, {"url": self.receiver.url(self.other_path)})
        self.dead_letters_before = self.dead_letters()  # earlier tests' messages, still invisible in a DLQ

    def _create(self, collection: str, path: str, fields: dict[str, Any]) -> int:
        answer = self.client.post(f"/{collection}/{_encoded(path)}/hooks", json={"push_events": True, **fields})
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    # --- the hostile hook, through the API as its owner would ---------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An API call on the hostile project's hooks (``path`` under ``/projects/<victim>/hooks``); kept."""
        answer = self.client.request(method, f"/projects/{_encoded(self.hostile_project)}/hooks{path}", **kwargs)
        self.answers.append(answer)
        assert answer.status_code < 500, f"{method} {path}: {answer.status_code} {answer.text[:300]}"
        return answer

    def hostile_hook(self, **fields: Any) -> httpx.Response:
        """POST the hostile hook; ``url`` defaults to the receiver's hostile path."""
        body = {"url": self.receiver.url(self.hostile_path), "push_events": True, **fields}
        return self.request("POST", "", json=body)

    # --- events and batches ----------------------------------------------------------------------------------
    def run(
        self,
        hostile_payload: dict[str, Any] | None = None,
        ref: str = "refs/heads/main",
        hostile_message: str | None = None,
    ) -> None:
        """One push per project in one ingest batch, then sender batches until the delivery queue is quiet.

        ``hostile_message``: a raw ingest message (a producer's) sent in the same batch, besides both pushes."""
        self.deliver(
            [
                json.dumps(envelope(self.hostile_project, hostile_payload or push_payload(self.hostile_project, ref))),
                json.dumps(envelope(self.other_project, push_payload(self.other_project))),
                *([hostile_message] if hostile_message is not None else []),
            ]
        )

    def deliver(self, bodies: list[str]) -> None:
        """These ingest messages in one ingest batch (ten at most), then sender batches until the queue is quiet."""
        sqs = self.stack.client("sqs")
        ingest_url = self.stack.environment[settings.INGEST_QUEUE.env_var]
        sqs.send_message_batch(
            QueueUrl=ingest_url,
            Entries=[{"Id": str(index), "MessageBody": body} for index, body in enumerate(bodies)],
        )
        self._drain(ingest_url, settings.INGEST_QUEUE, ingest.lambda_handler, rounds=1)
        self._drain(
            self.stack.environment[settings.DELIVERY_QUEUE.env_var],
            settings.DELIVERY_QUEUE,
            sender.lambda_handler,
            rounds=MAX_SENDER_ROUNDS,
        )

    def _drain(self, queue_url: str, spec: settings.QueueSpec, handler: Any, rounds: int) -> None:
        """Run the handler on what the queue holds, as Lambda would, recording (not raising) a handler's error."""
        sqs = self.stack.client("sqs")
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for _ in range(rounds):
            messages = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return
            try:
                response = handler(sqs_event(messages, arn), LocalContext(spec.logical_id)) or {}
            except BaseException as error:  # the batch failed: exactly what the invariant forbids
                self.handler_errors.append(error)
                continue
            kept = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
            done = [m for m in messages if m["MessageId"] not in kept]
            if done:
                sqs.delete_message_batch(
                    QueueUrl=queue_url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
                )

    # --- the invariant ---------------------------------------------------------------------------------------
    def assert_invariant(self, dead_lettered: int = 0) -> None:
        """Each healthy hook got one delivery, logged; no handler raised; ``dead_lettered`` new DLQ messages (a
        producer's rejected events), no more."""
        assert self.handler_errors == [], f"a handler raised: {self.handler_errors!r}"
        for path, hook_id in ((self.group_path, self.group_hook), (self.other_path, self.other_hook)):
            arrived = self.receiver.to(path)
            assert len(arrived) == 1, f"{path}: {len(arrived)} deliveries"
            logs = DeliveryStore().recent_logs(hook_id)
            assert len(logs) == 1 and logs[0]["response_status"] == "200", logs
        assert self.dead_letters() == self.dead_letters_before + dead_lettered

    def dead_letters(self) -> int:
        sqs = self.stack.client("sqs")
        total = 0
        for spec in (settings.INGEST_QUEUE, settings.DELIVERY_QUEUE):
            attributes = sqs.get_queue_attributes(
                QueueUrl=self.stack.environment[spec.dlq_env_var],
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            total += int(attributes["ApproximateNumberOfMessages"]) + int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            )
        return total

    def hostile_logs(self, hook_id: int) -> list[dict[str, Any]]:
        return DeliveryStore().recent_logs(hook_id)


def rebuild_services() -> None:
    """Build the handlers' services again from the environment (after a setting changed)."""
    for cached in (config.runtime_config, wiring.delivery_sender, wiring.hook_admin):
        cached.cache_clear()


def assert_items_under_limit(stack: LocalStack) -> None:
    """Every item of both tables is under DynamoDB's item limit."""
    dynamodb = stack.client("dynamodb")
    for table in (settings.DELIVERIES_TABLE.name, settings.HOOKS_TABLE.name):
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                assert item_size(item) < DYNAMODB_ITEM_LIMIT, (table, item.get("pk"), item.get("sk"))


def secret_forms(secret: str) -> list[str]:
    """The forms a secret could leak in: as is, repr-escaped, JSON-escaped, case-changed, and its bytes' repr."""
    forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1], secret.lower(), secret.upper()}
    forms.add(repr(secret.encode("utf-8", "replace"))[2:-1])
    return [form for form in forms if len(form.strip()) >= 6]


def assert_no_secret(secret: str, *texts: str) -> None:
    for text in texts:
        for form in secret_forms(secret):
            assert form not in text, f"secret leaked as {form!r}"


def _encoded(path: str) -> str:
    return path.replace("/", "%2F")


def envelope(project_path: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Push Hook",
        "source": "gitlab.test",
        "detail": {
            "scope": {"project": {"path": project_path}, "groups": [{"path": project_path.split("/")[0]}]},
            "payload": payload,
        },
    }
