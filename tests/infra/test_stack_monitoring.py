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


# --- Functions, API and the delivery failure rate -------------------------------------------------------------------


def _single_metric(props: dict[str, Any]) -> dict[str, Any]:
    """An alarm's one metric as {MetricName, Namespace, Dimensions, Stat, Period}, whether the alarm names it at the
    top level or as a single MetricStat (cdk-monitoring-constructs' form)."""
    if "Metrics" in props:
        (query,) = props["Metrics"]
        stat = query["MetricStat"]
        return {**stat["Metric"], "Stat": stat["Stat"], "Period": stat["Period"]}
    return {
        "MetricName": props["MetricName"],
        "Namespace": props["Namespace"],
        "Dimensions": props.get("Dimensions", []),
        "Stat": props.get("ExtendedStatistic") or props["Statistic"],
        "Period": props["Period"],
    }


def _alarms_by_metric(template: Template, namespace: str, metric_name: str) -> list[dict[str, Any]]:
    found = []
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if "Metrics" in props and len(props["Metrics"]) != 1:
            continue  # a metric math alarm
        metric = _single_metric(props)
        if metric["Namespace"] == namespace and metric["MetricName"] == metric_name:
            found.append({**props, "metric": metric})
    return found


def _function_ref(metric: dict[str, Any]) -> str:
    (dimension,) = metric["Dimensions"]
    assert dimension["Name"] == "FunctionName"
    ref: str = dimension["Value"]["Ref"]
    return ref


def _notifies_topic(props: dict[str, Any], stack: HooklineStack, logical_id: Callable[[IConstruct], str]) -> None:
    topic = {"Ref": logical_id(stack.monitoring.topic)}
    assert props["AlarmActions"] == [topic]
    assert props["OKActions"] == [topic]
    assert props.get("ActionsEnabled", True) is True


def _functions(stack: HooklineStack, logical_id: Callable[[IConstruct], str]) -> dict[str, settings.FunctionSpec]:
    """Each function's logical id → its spec (settings' FunctionSpec)."""
    found = {logical_id(function.function): function.spec for function in stack.functions}
    assert sorted(spec.logical_id for spec in found.values()) == ["ApiFunction", "IngestFunction", "SenderFunction"]
    return found


def test_alarm_on_each_function_error(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    alarms = _alarms_by_metric(template, "AWS/Lambda", "Errors")
    assert sorted(_function_ref(a["metric"]) for a in alarms) == sorted(_functions(stack, logical_id))
    for props in alarms:
        assert props["metric"]["Stat"] == "Sum" and props["metric"]["Period"] == 300
        assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"
        assert props["EvaluationPeriods"] == 1 and props["TreatMissingData"] == "notBreaching"
        _notifies_topic(props, stack, logical_id)


def test_alarm_on_each_function_throttle(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    alarms = _alarms_by_metric(template, "AWS/Lambda", "Throttles")
    assert sorted(_function_ref(a["metric"]) for a in alarms) == sorted(_functions(stack, logical_id))
    for props in alarms:
        assert props["metric"]["Stat"] == "Sum"
        assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"
        _notifies_topic(props, stack, logical_id)


def test_alarm_when_a_function_nears_its_timeout(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    functions = _functions(stack, logical_id)
    alarms = _alarms_by_metric(template, "AWS/Lambda", "Duration")
    assert sorted(_function_ref(a["metric"]) for a in alarms) == sorted(functions)
    for props in alarms:
        spec = functions[_function_ref(props["metric"])]
        # Duration is in milliseconds: 80 % of the timeout the function is deployed with.
        assert props["Threshold"] == spec.timeout_s * 1000 * 0.8, spec
        assert props["metric"]["Stat"] == "p99"
        assert props["ComparisonOperator"] == "GreaterThanThreshold"
        assert props["EvaluationPeriods"] == 3
        _notifies_topic(props, stack, logical_id)
    (function,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": settings.API_FUNCTION.handler}}
    ).values()
    assert function["Properties"]["Timeout"] == settings.API_FUNCTION.timeout_s


def _api_dimensions(stack: HooklineStack, logical_id: Callable[[IConstruct], str]) -> list[dict[str, Any]]:
    stage = stack.api.rest_api.deployment_stage
    return [
        {"Name": "ApiName", "Value": f"{stack.stack_name}-api"},
        {"Name": "Stage", "Value": {"Ref": logical_id(stage)}},
    ]


def test_rest_api_is_named_as_its_metrics_dimension(template: Template, stack: HooklineStack) -> None:
    template.has_resource_properties("AWS::ApiGateway::RestApi", {"Name": f"{stack.stack_name}-api"})


def test_alarm_on_api_5xx(stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]) -> None:
    (props,) = _alarms_by_metric(template, "AWS/ApiGateway", "5XXError")
    assert props["metric"]["Dimensions"] == _api_dimensions(stack, logical_id)
    assert props["metric"]["Stat"] == "Sum"
    assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"
    _notifies_topic(props, stack, logical_id)


def test_alarm_on_api_p99_latency(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    from infra.constructs.monitoring import API_LATENCY_P99

    (props,) = _alarms_by_metric(template, "AWS/ApiGateway", "Latency")
    assert props["metric"]["Dimensions"] == _api_dimensions(stack, logical_id)
    assert props["metric"]["Stat"] == "p99"
    assert props["Threshold"] == API_LATENCY_P99.to_milliseconds() == 5000
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["EvaluationPeriods"] == 3
    _notifies_topic(props, stack, logical_id)


def test_alarm_on_delivery_failure_rate(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    math = [
        alarm["Properties"]
        for alarm in template.find_resources("AWS::CloudWatch::Alarm").values()
        if any("Expression" in query for query in alarm["Properties"].get("Metrics", []))
    ]
    (props,) = math
    queries = {query["Id"]: query for query in props["Metrics"]}
    (expression,) = (q for q in queries.values() if "Expression" in q)
    assert expression["ReturnData"] is True
    assert expression["Expression"] == (
        "IF(deliveries >= 20, 100 * (FILL(failed0, 0) + FILL(failed1, 0) + FILL(failed2, 0)) / deliveries, 0)"
    )
    inputs = {
        query_id: _single_metric({"Metrics": [query]}) for query_id, query in queries.items() if "MetricStat" in query
    }
    assert {query_id: m["MetricName"] for query_id, m in inputs.items()} == {
        "deliveries": settings.METRIC_DELIVERIES,
        "failed0": settings.METRIC_FAILED_4XX,
        "failed1": settings.METRIC_FAILED_5XX,
        "failed2": settings.METRIC_FAILED_INTERNAL,
    }
    for metric in inputs.values():
        assert metric["Namespace"] == settings.METRICS_NAMESPACE
        assert metric["Dimensions"] == [{"Name": "service", "Value": settings.SERVICE_NAME}]
        assert metric["Stat"] == "Sum"
        assert all(q.get("ReturnData") is False for q in queries.values() if "MetricStat" in q)
    assert props["Threshold"] == 25 and props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["EvaluationPeriods"] == 3
    _notifies_topic(props, stack, logical_id)


def test_every_alarm_notifies_the_topic_and_shows_on_the_dashboard(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 4 + 1 + 1 + 1 + 3 * 3 + 2
    for props in (alarm["Properties"] for alarm in alarms.values()):
        assert props["AlarmActions"] == [{"Ref": logical_id(stack.monitoring.topic)}]
    body = _dashboard_body(stack, template)
    for alarm_id in alarms:
        assert alarm_id in body, alarm_id
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)


# --- Fairness between tenants ------------------------------------------------------------------------------------


def test_alarm_when_hooks_are_held_by_their_concurrency_limit_for_15_minutes(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    (props,) = _alarms_on(template, settings.METRIC_HOOKS_AT_LIMIT).values()
    assert props["MetricName"] == "HooksAtConcurrencyLimit"
    assert props["Namespace"] == settings.METRICS_NAMESPACE
    assert props["Dimensions"] == [{"Name": "service", "Value": settings.SERVICE_NAME}]
    assert props["Statistic"] == "Maximum" and props["Period"] == 300
    assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["EvaluationPeriods"] == props["DatapointsToAlarm"] == 3  # every period of 15 minutes
    assert props["TreatMissingData"] == "notBreaching"
    assert props["AlarmActions"] == props["OKActions"] == [{"Ref": logical_id(stack.monitoring.topic)}]


def test_dashboard_has_a_fairness_row(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    body = _dashboard_body(stack, template)
    for title in (
        "Fairness: queue age per class",
        "Fairness: noisy tenants and the quiet backlog",
        "Fairness: held by the concurrency limit",
    ):
        assert f'"title":"{title}' in body, title
    delivery = logical_id(stack.delivery.queue.queue)
    for metric in (
        "ApproximateAgeOfOldestMessageInQuietGroups",
        "ApproximateNumberOfNoisyGroups",
        "ApproximateNumberOfMessagesVisibleInQuietGroups",
    ):
        ref = json.dumps({"Fn::GetAtt": [delivery, "QueueName"]})
        assert f'["AWS/SQS","{metric}","QueueName","{ref}"' in body, metric
    for metric in ("DeliveriesHeldByConcurrency", "HooksAtConcurrencyLimit", "DeliveriesThrottled"):
        assert f'"{metric}","service","{settings.SERVICE_NAME}"' in body, metric
    assert '"label":"delivery: quiet"' in body and '"label":"delivery: every tenant"' in body
