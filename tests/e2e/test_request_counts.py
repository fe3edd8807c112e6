"""AWS requests per event and per delivery on the local stack, counted with botocore event hooks."""

from __future__ import annotations

import json

import gitlab

from hookline import settings
from hookline.adapters import aws
from hookline.adapters.delivery_store import DeliveryStore
from infra.local.receiver import Receiver, wait_until
from infra.local.request_counter import RequestCounter
from infra.local.stack import LocalStack

EVENTS, FAN_OUT = 20, 5


def test_requests_per_event_and_per_delivery(running: LocalStack, gl: gitlab.Gitlab, receiver: Receiver) -> None:
    project = gl.projects.get("count/team/svc", lazy=True)
    hooks = [project.hooks.create({"url": receiver.url(f"/count-{i}")}) for i in range(FAN_OUT)]
    counter = RequestCounter().attach(aws.dynamodb(), aws.sqs(), *(poller.sqs for poller in running.pollers))
    payload = {"object_kind": "push", "ref": "refs/heads/main", "blob": "x" * 2000}
    events = running.client("events")
    try:
        for index in range(0, EVENTS, 10):
            entries = [
                {
                    "Source": "gitlab.test",
                    "DetailType": "Push Hook",
                    "Detail": json.dumps({"scope": {"project": {"path": "count/team/svc"}}, "payload": payload}),
                    "EventBusName": settings.bus_name(),
                }
                for _ in range(min(10, EVENTS - index))
            ]
            assert events.put_events(Entries=entries)["FailedEntryCount"] == 0
        receiver.wait_for(lambda requests: len(requests) >= EVENTS * FAN_OUT, timeout=60)
        wait_until(lambda: _queues_empty(running), timeout=60)  # a batch's logs are written before it is deleted
    finally:
        counter.detach()
    store = DeliveryStore()
    assert sum(len(store.recent_logs(hook.id)) for hook in hooks) == EVENTS * FAN_OUT
    for hook in hooks:
        hook.delete()

    deliveries = EVENTS * FAN_OUT
    per_delivery = counter.total / deliveries
    print(f"\nAWS requests for {EVENTS} events x {FAN_OUT} hooks: {dict(sorted(counter.calls.items()))}")
    print(f"per event: {counter.total / EVENTS:.2f}, per delivery: {per_delivery:.2f}")
    assert len(receiver.requests) == deliveries
    # routing is read once per ingest batch, never once per scope or per hook
    assert counter.calls["DynamoDB.BatchGetItem"] <= counter.calls["SQS.ReceiveMessage"]
    assert counter.calls["DynamoDB.Query"] == 0 and counter.calls["DynamoDB.GetItem"] == 0
    assert counter.calls["SQS.SendMessage"] == 0  # messages are queued in batches of ten
    # an event's deliveries travel as one message, and a sender batch writes one log item per hook
    assert per_delivery <= 0.5


def _queues_empty(stack: LocalStack) -> bool:
    sqs = stack.client("sqs")
    for spec in (settings.INGEST_QUEUE, settings.DELIVERY_QUEUE):
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.environment[spec.env_var],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if int(attributes["ApproximateNumberOfMessages"]) or int(attributes["ApproximateNumberOfMessagesNotVisible"]):
            return False
    return True
