"""Every function is built the same way: arm64, Python 3.13, the layer, its own role, tracing, log retention."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Template
from constructs import IConstruct

from hookline import settings
from infra.constructs.function import HooklineFunction
from infra.stack import HooklineStack

SPECS = [settings.INGEST_FUNCTION, settings.SENDER_FUNCTION, settings.API_FUNCTION]
COMMON_ENV = {
    "POWERTOOLS_SERVICE_NAME": settings.SERVICE_NAME,
    "POWERTOOLS_METRICS_NAMESPACE": settings.METRICS_NAMESPACE,
    "LOG_LEVEL": "INFO",
}


def _functions(stack: HooklineStack) -> dict[str, HooklineFunction]:
    """The stack's functions by spec logical id (FunctionSpec holds a dict, so it is no dict key)."""
    return {
        settings.INGEST_FUNCTION.logical_id: stack.ingest.function,
        settings.SENDER_FUNCTION.logical_id: stack.delivery.sender,
        settings.API_FUNCTION.logical_id: stack.api.function,
    }


@pytest.fixture(params=SPECS, ids=lambda spec: spec.logical_id)
def function(
    request: pytest.FixtureRequest,
    stack: HooklineStack,
    resources: dict[str, Any],
    logical_id: Callable[[IConstruct], str],
) -> tuple[settings.FunctionSpec, dict[str, Any]]:
    spec: settings.FunctionSpec = request.param
    return spec, resources[logical_id(_functions(stack)[spec.logical_id].function)]["Properties"]


def _env(props: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = props["Environment"]["Variables"]
    return env


def test_one_function_per_spec(template: Template) -> None:
    template.resource_count_is("AWS::Lambda::Function", len(SPECS))


def test_runtime_architecture_and_spec(function: tuple[settings.FunctionSpec, dict[str, Any]]) -> None:
    spec, props = function
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == spec.handler
    assert props["MemorySize"] == spec.memory_mb
    assert props["Timeout"] == spec.timeout_s
    assert props["TracingConfig"] == {"Mode": "Active"}


def test_every_function_uses_the_one_layer(
    function: tuple[settings.FunctionSpec, dict[str, Any]], template: Template
) -> None:
    template.resource_count_is("AWS::Lambda::LayerVersion", 1)
    (layer_id,) = template.find_resources("AWS::Lambda::LayerVersion")
    layer = template.to_json()["Resources"][layer_id]["Properties"]
    assert layer["CompatibleRuntimes"] == ["python3.13"]
    assert layer["CompatibleArchitectures"] == ["arm64"]
    assert function[1]["Layers"] == [{"Ref": layer_id}]


def _lambda_roles(template: Template) -> dict[str, Any]:
    return {
        role_id: role
        for role_id, role in template.find_resources("AWS::IAM::Role").items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "lambda.amazonaws.com"}
    }


def test_each_function_has_its_own_role(template: Template) -> None:
    functions = template.find_resources("AWS::Lambda::Function")
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()}
    assert len(roles) == len(functions) == len(SPECS)
    assert roles == set(_lambda_roles(template))


def test_function_roles_carry_no_managed_policies(template: Template) -> None:
    for role in _lambda_roles(template).values():
        assert not role["Properties"].get("ManagedPolicyArns"), "grant on the function's own role instead"


def test_log_group_with_retention(
    function: tuple[settings.FunctionSpec, dict[str, Any]], resources: dict[str, Any]
) -> None:
    log_group_id = function[1]["LoggingConfig"]["LogGroup"]["Ref"]
    assert resources[log_group_id]["Properties"]["RetentionInDays"] == 30


def test_common_environment(function: tuple[settings.FunctionSpec, dict[str, Any]]) -> None:
    spec, props = function
    env = _env(props)
    assert env.items() >= {**COMMON_ENV, **spec.environment}.items()
    assert settings.HOOKS_TABLE.env_var in env
    assert settings.DELIVERIES_TABLE.env_var in env
    assert settings.DELIVERY_QUEUE.env_var in env
    assert settings.INSTANCE_URL_ENV in env


def test_function_specific_environment(
    stack: HooklineStack, resources: dict[str, Any], logical_id: Callable[[IConstruct], str]
) -> None:
    env = {name: _env(resources[logical_id(fn.function)]["Properties"]) for name, fn in _functions(stack).items()}
    ingest, sender, api = (env[spec.logical_id] for spec in SPECS)
    assert sender[settings.BUS_NAME_ENV] == {"Ref": logical_id(stack.ingest.bus)}
    assert sender[settings.OUTBOUND_ALLOWLIST_ENV] == api[settings.OUTBOUND_ALLOWLIST_ENV] == ""
    assert api[settings.ADMIN_TOKEN_SECRET_ENV] == {"Ref": logical_id(stack.api.admin_token)}
    for variables in (ingest, sender):
        assert settings.ADMIN_TOKEN_SECRET_ENV not in variables
    for variables in (ingest, sender, api):
        assert settings.ADMIN_TOKEN_ENV not in variables, "the token itself never goes in plain environment"
    assert ingest[settings.INGEST_QUEUE.dlq_env_var] == {"Ref": logical_id(stack.ingest.queue.dlq)}
    assert sender[settings.DELIVERY_QUEUE.env_var] == {"Ref": logical_id(stack.delivery.queue.queue)}


def test_event_sources_report_batch_item_failures(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    mappings = template.find_resources("AWS::Lambda::EventSourceMapping")
    by_queue = {m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]: m["Properties"] for m in mappings.values()}
    expected = {
        stack.ingest.queue: stack.ingest.function,
        stack.delivery.queue: stack.delivery.sender,
    }
    assert len(by_queue) == len(mappings) == len(expected)
    for work_queue, function in expected.items():
        mapping = by_queue[logical_id(work_queue.queue)]
        assert mapping["FunctionName"] == {"Ref": logical_id(function.function)}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == work_queue.spec.batch_size
        assert mapping["MaximumBatchingWindowInSeconds"] == work_queue.spec.max_batching_window_s
        # no window by default: a window delays each delivery by up to as long per queue (bench figure 5's latency)
        assert mapping["MaximumBatchingWindowInSeconds"] == 0
