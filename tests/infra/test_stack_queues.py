"""The ingest and delivery queues and their DLQs follow settings.INGEST_QUEUE / DELIVERY_QUEUE."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Template
from constructs import IConstruct

from hookline import settings
from infra.constructs.queue import WorkQueue
from infra.stack import HooklineStack

SPECS = [settings.INGEST_QUEUE, settings.DELIVERY_QUEUE]


@pytest.fixture(params=SPECS, ids=lambda spec: spec.logical_id)
def work_queue(request: pytest.FixtureRequest, stack: HooklineStack) -> WorkQueue:
    return {settings.INGEST_QUEUE: stack.ingest.queue, settings.DELIVERY_QUEUE: stack.delivery.queue}[request.param]


def test_a_queue_and_a_dlq_per_spec(template: Template) -> None:
    template.resource_count_is("AWS::SQS::Queue", 2 * len(SPECS))


def test_queue_settings_and_redrive(
    work_queue: WorkQueue, resources: dict[str, Any], logical_id: Callable[[IConstruct], str]
) -> None:
    spec = work_queue.spec
    props = resources[logical_id(work_queue.queue)]["Properties"]
    assert props["VisibilityTimeout"] == spec.visibility_timeout_s
    assert props["MessageRetentionPeriod"] == spec.retention_s
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [logical_id(work_queue.dlq), "Arn"]},
        "maxReceiveCount": spec.max_receive_count,
    }
    dlq = resources[logical_id(work_queue.dlq)]["Properties"]
    assert dlq["MessageRetentionPeriod"] == spec.dlq_retention_s


def test_visibility_timeout_covers_the_consumer(work_queue: WorkQueue) -> None:
    consumer = {settings.INGEST_QUEUE: settings.INGEST_FUNCTION, settings.DELIVERY_QUEUE: settings.SENDER_FUNCTION}
    assert work_queue.spec.visibility_timeout_s >= 6 * consumer[work_queue.spec].timeout_s


def test_encrypted_and_tls_only(
    work_queue: WorkQueue, resources: dict[str, Any], logical_id: Callable[[IConstruct], str]
) -> None:
    for queue in (work_queue.queue, work_queue.dlq):
        queue_id = logical_id(queue)
        assert resources[queue_id]["Properties"]["SqsManagedSseEnabled"] is True
        policies = [
            r["Properties"]["PolicyDocument"]["Statement"]
            for r in resources.values()
            if r["Type"] == "AWS::SQS::QueuePolicy" and r["Properties"]["Queues"] == [{"Ref": queue_id}]
        ]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for statements in policies
            for s in statements
        ), f"{queue.node.path} accepts non-TLS requests"
