"""The DynamoDB tables follow settings.HOOKS_TABLE / DELIVERIES_TABLE."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Template
from constructs import IConstruct

from hookline import settings
from infra.stack import HooklineStack

SPECS = [settings.HOOKS_TABLE, settings.DELIVERIES_TABLE]


@pytest.fixture(params=SPECS, ids=lambda spec: spec.logical_id)
def table(
    request: pytest.FixtureRequest,
    stack: HooklineStack,
    resources: dict[str, Any],
    logical_id: Callable[[IConstruct], str],
) -> tuple[settings.TableSpec, dict[str, Any]]:
    spec: settings.TableSpec = request.param
    construct = {
        settings.HOOKS_TABLE: stack.storage.hooks_table,
        settings.DELIVERIES_TABLE: stack.storage.deliveries_table,
    }[spec]
    return spec, resources[logical_id(construct)]


def test_one_table_per_spec(template: Template) -> None:
    template.resource_count_is("AWS::DynamoDB::Table", len(SPECS))


def test_string_keys_on_demand_pitr(table: tuple[settings.TableSpec, dict[str, Any]]) -> None:
    spec, resource = table
    props = resource["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": spec.partition_key, "KeyType": "HASH"},
        {"AttributeName": spec.sort_key, "KeyType": "RANGE"},
    ]
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert (types[spec.partition_key], types[spec.sort_key]) == ("S", "S")
    assert (spec.partition_key, spec.sort_key) == ("pk", "sk")
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"


def test_indexes_from_settings(table: tuple[settings.TableSpec, dict[str, Any]]) -> None:
    spec, resource = table
    props = resource["Properties"]
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    indexes = {index["IndexName"]: index for index in props.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {index.name for index in spec.indexes}
    for index in spec.indexes:
        assert indexes[index.name]["KeySchema"] == [
            {"AttributeName": index.partition_key, "KeyType": "HASH"},
            {"AttributeName": index.sort_key, "KeyType": "RANGE"},
        ]
        assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}
        assert (types[index.partition_key], types[index.sort_key]) == (index.partition_type, index.sort_type)


def test_ttl_attribute_from_settings(table: tuple[settings.TableSpec, dict[str, Any]]) -> None:
    spec, resource = table
    ttl = resource["Properties"].get("TimeToLiveSpecification")
    expected = None if spec.ttl_attribute is None else {"AttributeName": spec.ttl_attribute, "Enabled": True}
    assert ttl == expected


def test_hooks_have_the_scope_index_and_deliveries_expire(
    stack: HooklineStack, resources: dict[str, Any], logical_id: Callable[[IConstruct], str]
) -> None:
    hooks = resources[logical_id(stack.storage.hooks_table)]["Properties"]
    deliveries = resources[logical_id(stack.storage.deliveries_table)]["Properties"]
    assert [i["IndexName"] for i in hooks["GlobalSecondaryIndexes"]] == [i.name for i in settings.HOOKS_TABLE.indexes]
    assert settings.HOOKS_TABLE.indexes, "settings lost the hooks table's GSI"
    assert deliveries["TimeToLiveSpecification"]["AttributeName"] == settings.DELIVERIES_TABLE.ttl_attribute
    assert settings.DELIVERIES_TABLE.ttl_attribute, "settings lost the deliveries table's TTL attribute"
