"""The DynamoDB tables, built from the TableSpecs in settings."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from hookline.settings import DELIVERIES_TABLE, HOOKS_TABLE, TableSpec

#: Reads by key only (the ingest and sender functions).
KEY_READS = ("dynamodb:GetItem", "dynamodb:BatchGetItem")
#: Item reads without Scan: by key or through a query (the API lists hooks and logs).
READ_ITEMS = (*KEY_READS, "dynamodb:Query")
WRITE_ITEMS = ("dynamodb:PutItem", "dynamodb:BatchWriteItem")
UPDATE_ITEM = "dynamodb:UpdateItem"

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _table(scope: Construct, spec: TableSpec) -> dynamodb.Table:
    table = dynamodb.Table(
        scope,
        spec.logical_id,
        partition_key=dynamodb.Attribute(name=spec.partition_key, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name=spec.sort_key, type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        time_to_live_attribute=spec.ttl_attribute,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        # Hooks and delivery logs are user data: deleting the stack must not delete them.
        removal_policy=RemovalPolicy.RETAIN,
    )
    for index in spec.indexes:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=dynamodb.Attribute(name=index.partition_key, type=_ATTRIBUTE_TYPES[index.partition_type]),
            sort_key=dynamodb.Attribute(name=index.sort_key, type=_ATTRIBUTE_TYPES[index.sort_type]),
            projection_type=dynamodb.ProjectionType.ALL,
        )
    return table


class Storage(Construct):
    """The hooks table (hooks, per-scope routing items, id counter) and the deliveries table (logs and payloads)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.hooks_table = _table(self, HOOKS_TABLE)
        self.deliveries_table = _table(self, DELIVERIES_TABLE)
