"""Least privilege: each function's role holds what its code needs, on the resources it needs it for."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from constructs import IConstruct

from infra.constructs.function import HooklineFunction
from infra.stack import HooklineStack

Permissions = dict[str, set[str]]
"""Actions allowed by a role, by the logical id of the resource they apply to ("*" for any resource)."""

KEY_READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem"}
READ = KEY_READS | {"dynamodb:Query"}
#: TransactWriteItems is no IAM action: IAM checks each of its parts.
TRANSACT_WRITE = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}
CONSUME = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"}


def _resource_id(resource: Any) -> str:
    """The logical id a policy resource points to: Ref, GetAtt, or a Join starting with one (index ARNs)."""
    if resource == "*":
        return "*"
    if "Ref" in resource:
        return str(resource["Ref"])
    if "Fn::GetAtt" in resource:
        return str(resource["Fn::GetAtt"][0])
    parts = resource["Fn::Join"][1]
    return _resource_id(parts[0]) + "".join(p for p in parts[1:] if isinstance(p, str))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def permissions(
    stack: HooklineStack, resources: dict[str, Any], logical_id: Callable[[IConstruct], str]
) -> Callable[[HooklineFunction], Permissions]:
    def of(function: HooklineFunction) -> Permissions:
        role = {"Ref": logical_id(function.role)}
        allowed: Permissions = defaultdict(set)
        for resource in resources.values():
            if resource["Type"] != "AWS::IAM::Policy" or role not in resource["Properties"]["Roles"]:
                continue
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                assert statement["Effect"] == "Allow"
                for target in _as_list(statement["Resource"]):
                    allowed[_resource_id(target)] |= set(_as_list(statement["Action"]))
        return dict(allowed)

    return of


def _all_actions(permissions: Permissions) -> set[str]:
    return set().union(*permissions.values())


def test_no_wildcard_actions_and_only_xray_on_any_resource(
    stack: HooklineStack, permissions: Callable[[HooklineFunction], Permissions]
) -> None:
    for function in stack.functions:
        allowed = permissions(function)
        assert not any("*" in action for action in _all_actions(allowed)), function.node.path
        assert allowed["*"] == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, function.node.path


def test_each_function_writes_only_its_own_logs(
    stack: HooklineStack,
    permissions: Callable[[HooklineFunction], Permissions],
    logical_id: Callable[[IConstruct], str],
) -> None:
    for function in stack.functions:
        allowed = permissions(function)
        log_resources = {
            resource for resource, actions in allowed.items() if any(a.startswith("logs:") for a in actions)
        }
        assert log_resources == {logical_id(function.log_group)}
        assert allowed[logical_id(function.log_group)] == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_ingest(
    stack: HooklineStack,
    permissions: Callable[[HooklineFunction], Permissions],
    logical_id: Callable[[IConstruct], str],
) -> None:
    allowed = permissions(stack.ingest.function)
    hooks, deliveries = logical_id(stack.storage.hooks_table), logical_id(stack.storage.deliveries_table)
    assert allowed[hooks] == KEY_READS | {"dynamodb:UpdateItem"}
    assert allowed[hooks + "/index/*"] == allowed[hooks]
    assert allowed[deliveries] == KEY_READS | {"dynamodb:PutItem", "dynamodb:BatchWriteItem"}  # + recursion chains
    assert allowed[logical_id(stack.ingest.queue.queue)] >= CONSUME
    assert "sqs:SendMessage" in allowed[logical_id(stack.delivery.queue.queue)]
    assert not CONSUME & allowed[logical_id(stack.delivery.queue.queue)]
    # Contract breaches go straight to the ingest DLQ.
    assert "sqs:SendMessage" in allowed[logical_id(stack.ingest.queue.dlq)]
    assert not CONSUME & allowed[logical_id(stack.ingest.queue.dlq)]
    assert not {a for a in _all_actions(allowed) if a.startswith(("events:", "secretsmanager:"))}, "no PutEvents"


def test_sender(
    stack: HooklineStack,
    permissions: Callable[[HooklineFunction], Permissions],
    logical_id: Callable[[IConstruct], str],
) -> None:
    allowed = permissions(stack.delivery.sender)
    hooks, deliveries = logical_id(stack.storage.hooks_table), logical_id(stack.storage.deliveries_table)
    assert allowed[hooks] == KEY_READS | {"dynamodb:UpdateItem"}
    assert allowed[deliveries] == KEY_READS | {"dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"}
    assert CONSUME | {"sqs:SendMessage"} <= allowed[logical_id(stack.delivery.queue.queue)]
    assert logical_id(stack.ingest.queue.queue) not in allowed
    assert logical_id(stack.ingest.queue.dlq) not in allowed
    assert allowed[logical_id(stack.ingest.bus)] == {"events:PutEvents"}
    assert not {a for a in _all_actions(allowed) if a.startswith("secretsmanager:")}, "the sender cannot read the token"
    assert logical_id(stack.api.admin_token) not in allowed


def test_api(
    stack: HooklineStack,
    permissions: Callable[[HooklineFunction], Permissions],
    logical_id: Callable[[IConstruct], str],
) -> None:
    allowed = permissions(stack.api.function)
    hooks, deliveries = logical_id(stack.storage.hooks_table), logical_id(stack.storage.deliveries_table)
    assert allowed[hooks] >= READ | TRANSACT_WRITE
    assert allowed[deliveries] == READ | {"dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"}
    assert "sqs:SendMessage" in allowed[logical_id(stack.delivery.queue.queue)]
    assert "sqs:ReceiveMessage" not in _all_actions(allowed)
    assert logical_id(stack.ingest.queue.queue) not in allowed
    assert logical_id(stack.ingest.queue.dlq) not in allowed
    assert allowed[logical_id(stack.api.admin_token)] == {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    }
    assert allowed[logical_id(stack.ingest.bus)] == {"events:PutEvents"}  # a successful test re-enables a hook


def test_only_the_api_seals_and_only_api_and_sender_open_hook_secrets(
    stack: HooklineStack,
    permissions: Callable[[HooklineFunction], Permissions],
    logical_id: Callable[[IConstruct], str],
) -> None:
    key = logical_id(stack.secrets_key)
    assert permissions(stack.api.function)[key] == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert permissions(stack.delivery.sender)[key] == {"kms:Decrypt"}
    assert key not in permissions(stack.ingest.function)
