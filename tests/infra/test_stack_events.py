"""The event bus and the ingest rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk.assertions import Template
from constructs import IConstruct

from hookline import settings
from infra.stack import HooklineStack


def test_bus_named_from_settings(template: Template) -> None:
    template.resource_count_is("AWS::Events::EventBus", 1)
    template.has_resource_properties("AWS::Events::EventBus", {"Name": settings.DEFAULT_BUS_NAME})


def test_rule_pattern_from_settings_targets_the_ingest_queue(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    template.resource_count_is("AWS::Events::Rule", 1)
    (rule,) = template.find_resources("AWS::Events::Rule").values()
    props = rule["Properties"]
    assert props["EventPattern"] == settings.INGEST_EVENT_PATTERN
    assert props["EventBusName"] == {"Ref": logical_id(stack.ingest.bus)}
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [logical_id(stack.ingest.queue.queue), "Arn"]}
    # What EventBridge cannot hand over lands in the ingest DLQ, so a redrive replays it.
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [logical_id(stack.ingest.queue.dlq), "Arn"]}}


def test_ingest_rule_never_matches_hooklines_own_events() -> None:
    assert settings.INGEST_EVENT_PATTERN["source"] == [{"anything-but": [settings.OPS_EVENT_SOURCE]}]


def test_only_the_rule_may_send_to_the_ingest_queues(
    stack: HooklineStack, resources: dict[str, Any], logical_id: Callable[[IConstruct], str]
) -> None:
    rule_arn = {"Fn::GetAtt": [logical_id(stack.ingest.rule), "Arn"]}
    for queue in (stack.ingest.queue.queue, stack.ingest.queue.dlq):
        queue_id = logical_id(queue)
        (policy,) = (
            r["Properties"]["PolicyDocument"]
            for r in resources.values()
            if r["Type"] == "AWS::SQS::QueuePolicy" and r["Properties"]["Queues"] == [{"Ref": queue_id}]
        )
        (allow,) = (s for s in policy["Statement"] if s["Effect"] == "Allow")
        assert allow["Principal"] == {"Service": "events.amazonaws.com"}
        assert allow["Action"] == "sqs:SendMessage"
        assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arn}}
