"""The dashboard and the alarms on DLQ depth and queue age."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_cdk.assertions import Template
from constructs import IConstruct

from hookline import settings
from infra.stack import HooklineStack


def _dashboard_body(stack: HooklineStack, template: Template) -> str:
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    body = stack.resolve(dashboard["Properties"]["DashboardBody"])
    # The body is a Fn::Join of JSON text and references; flatten the references to their logical ids.
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return "".join(p if isinstance(p, str) else json.dumps(p) for p in parts)


def test_dashboard_widgets(stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]) -> None:
    body = _dashboard_body(stack, template)
    for title in (
        "Deliveries",
        "Delivery success rate",
        "Delivery latency",
        "Age of oldest message",
        "Dead-letter queue depth",
        "Held, retried and parked deliveries",
        "Hooks disabled",
    ):
        assert f'"title":"{title}' in body, title
    assert json.dumps(settings.METRICS_NAMESPACE) in body
    for metric in (
        "Deliveries",
        "DeliverySucceeded",
        "DeliveryFailed4xx",
        "DeliveryFailed5xx",
        "DeliveryFailedInternal",
        "DeliveryLatency",
        "DeliveriesHeld",
        "DeliveriesParked",
        "DeliveriesRetried",
        "HooksDisabled",
    ):
        assert f'"{metric}","service","{settings.SERVICE_NAME}"' in body, metric
    assert '"expression":"100 * succeeded / deliveries"' in body
    assert '"stat":"p50"' in body and '"stat":"p99"' in body
    assert "ApproximateAgeOfOldestMessage" in body and "ApproximateNumberOfMessagesVisible" in body
    for work_queue in (stack.ingest.queue, stack.delivery.queue):
        assert logical_id(work_queue.queue) in body and logical_id(work_queue.dlq) in body


def _alarms_on(template: Template, metric_name: str) -> dict[str, dict[str, Any]]:
    return {
        alarm_id: alarm["Properties"]
        for alarm_id, alarm in template.find_resources("AWS::CloudWatch::Alarm").items()
        if alarm["Properties"].get("MetricName") == metric_name
    }


def _queue_name_ref(props: dict[str, Any]) -> str:
    (dimension,) = props["Dimensions"]
    assert dimension["Name"] == "QueueName"
    ref: str = dimension["Value"]["Fn::GetAtt"][0]
    return ref


def test_alarm_when_a_dlq_is_not_empty(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    alarms = _alarms_on(template, "ApproximateNumberOfMessagesVisible")
    assert {_queue_name_ref(props) for props in alarms.values()} == {
        logical_id(stack.ingest.queue.dlq),
        logical_id(stack.delivery.queue.dlq),
    }
    topic = {"Ref": logical_id(stack.monitoring.topic)}
    for props in alarms.values():
        assert props["Namespace"] == "AWS/SQS"
        assert props["ComparisonOperator"] == "GreaterThanThreshold"
        assert props["Threshold"] == 0
        assert props["AlarmActions"] == [topic]


def test_alarm_on_queue_age(stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]) -> None:
    alarms = _alarms_on(template, "ApproximateAgeOfOldestMessage")
    assert {_queue_name_ref(props) for props in alarms.values()} == {
        logical_id(stack.ingest.queue.queue),
        logical_id(stack.delivery.queue.queue),
    }
    for props in alarms.values():
        assert props["ComparisonOperator"] == "GreaterThanThreshold"
        assert props["Threshold"] > 0
        assert props["AlarmActions"] == [{"Ref": logical_id(stack.monitoring.topic)}]


def test_alarm_when_a_hook_cannot_be_read(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    (props,) = _alarms_on(template, settings.METRIC_HOOK_UNREADABLE).values()
    assert props["Namespace"] == settings.METRICS_NAMESPACE
    assert props["Statistic"] == "Sum" and props["Threshold"] == 0
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["AlarmActions"] == [{"Ref": logical_id(stack.monitoring.topic)}]


def test_alarm_topic_requires_tls(template: Template) -> None:
    template.resource_count_is("AWS::SNS::Topic", 1)
    (policy,) = template.find_resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
