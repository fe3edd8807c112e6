"""boto3 clients, created once per process and reused across invocations (AWS_ENDPOINT_URL points them at moto)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

_BATCH_GET_LIMIT = 100
_BATCH_WRITE_LIMIT = 25
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=50)
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@cache
def dynamodb() -> DynamoDBClient:
    return boto3.client("dynamodb", config=_CONFIG)


@cache
def sqs() -> SQSClient:
    return boto3.client("sqs", config=_CONFIG)


@cache
def events() -> EventBridgeClient:
    return boto3.client("events", config=_CONFIG)


@cache
def secretsmanager() -> SecretsManagerClient:
    return boto3.client("secretsmanager", config=_CONFIG)


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """A plain dict as a DynamoDB item (None values are left out)."""
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def batch_get(table_name: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items of ``keys`` that exist (BatchGetItem, 100 keys a call, unprocessed keys asked again)."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), _BATCH_GET_LIMIT):
        request: dict[str, Any] = {table_name: {"Keys": keys[start : start + _BATCH_GET_LIMIT]}}
        while request:
            answer = dynamodb().batch_get_item(RequestItems=request)
            found.extend(answer["Responses"].get(table_name, []))
            request = answer.get("UnprocessedKeys") or {}
    return found


def batch_write(table_name: str, requests: list[dict[str, Any]]) -> None:
    """BatchWriteItem with Put/Delete requests, 25 a call, retrying what DynamoDB leaves unprocessed."""
    for start in range(0, len(requests), _BATCH_WRITE_LIMIT):
        pending: dict[str, Any] = {table_name: requests[start : start + _BATCH_WRITE_LIMIT]}
        while pending:
            pending = dynamodb().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def increment(table_name: str, key: dict[str, Any]) -> int:
    """Add one to the counter item at ``key`` (attribute ``value``) and return the new value."""
    answer = dynamodb().update_item(
        TableName=table_name,
        Key=key,
        UpdateExpression="ADD #v :one",
        ExpressionAttributeNames={"#v": "value"},
        ExpressionAttributeValues=to_item({":one": 1}),
        ReturnValues="UPDATED_NEW",
    )
    return int(answer["Attributes"]["value"]["N"])
