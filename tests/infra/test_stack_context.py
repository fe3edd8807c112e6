"""CDK context overrides: `bus_name`, `instance_url`, `api_gateway_logging_role`, `client_cert_secret`,
`batching_window_seconds` (given as strings, like `cdk -c`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from hookline import settings
from infra.stack import HooklineStack

CONTEXT = {
    "bus_name": "hookline-staging",
    "instance_url": "https://gitlab.example.com",
    "api_gateway_logging_role": "false",
    "client_cert_secret": "hookline/client-certificate",
    "batching_window_seconds": str(settings.ECONOMY_BATCHING_WINDOW_S),
}


@pytest.fixture(scope="module")
def stack(cdk_context: dict[str, Any]) -> HooklineStack:
    return HooklineStack(App(context={**cdk_context, **CONTEXT}), "Overridden")


@pytest.fixture(scope="module")
def overridden(stack: HooklineStack) -> Template:
    return Template.from_stack(stack)


def test_bus_name_from_context(overridden: Template) -> None:
    overridden.has_resource_properties("AWS::Events::EventBus", {"Name": CONTEXT["bus_name"]})


def test_instance_url_from_context(overridden: Template) -> None:
    functions = overridden.find_resources("AWS::Lambda::Function")
    assert len(functions) == 3
    for function in functions.values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables[settings.INSTANCE_URL_ENV] == CONTEXT["instance_url"]


def test_without_the_account_logging_role(overridden: Template) -> None:
    overridden.resource_count_is("AWS::ApiGateway::Account", 0)
    (stage,) = overridden.find_resources("AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["MethodSettings"][0]["LoggingLevel"] == "OFF"
    assert "AccessLogSetting" in stage["Properties"]


def test_nag_clean_as_well(stack: HooklineStack) -> None:
    report = AwsSolutionsChecks().validate_scope(stack)
    assert [v.rule_name for v in report.violations] == []


def test_client_certificate_secret_is_read_by_the_senders_only(stack: HooklineStack, overridden: Template) -> None:
    functions = overridden.find_resources("AWS::Lambda::Function")
    with_cert = {
        logical_id
        for logical_id, function in functions.items()
        if function["Properties"]["Environment"]["Variables"].get(settings.CLIENT_CERT_SECRET_ENV)
        == CONTEXT["client_cert_secret"]
    }
    resolve = stack.resolve
    expected = {resolve(f.function.node.default_child.logical_id) for f in (stack.delivery.sender, stack.api.function)}
    assert with_cert == expected
    policies = json.dumps(resolve(overridden.find_resources("AWS::IAM::Policy")))
    assert policies.count("secret:hookline/client-certificate-??????") == 2


def test_batching_window_from_context_on_both_mappings(stack: HooklineStack, overridden: Template) -> None:
    window = settings.ECONOMY_BATCHING_WINDOW_S
    mappings = overridden.find_resources("AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 2
    for mapping in mappings.values():
        assert mapping["Properties"]["MaximumBatchingWindowInSeconds"] == window
        assert mapping["Properties"]["BatchSize"] == settings.DELIVERY_QUEUE.batch_size
    # the queue hides a batch's messages while they wait in the window too (Lambda's advice: 6 x timeout + window)
    for work_queue in (stack.ingest.queue, stack.delivery.queue):
        queue = overridden.to_json()["Resources"][stack.resolve(work_queue.queue.node.default_child.logical_id)]
        assert queue["Properties"]["VisibilityTimeout"] == work_queue.spec.visibility_timeout_s + window


@pytest.mark.parametrize("given", ["-1", "301", "1.5", "soon"])
def test_a_batching_window_lambda_refuses_is_refused_at_synth(cdk_context: dict[str, Any], given: str) -> None:
    with pytest.raises(ValueError, match="batching_window_seconds"):
        HooklineStack(App(context={**cdk_context, "batching_window_seconds": given}), "BadWindow")
