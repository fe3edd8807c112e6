"""boto3 clients, created once per process and reused across invocations (AWS_ENDPOINT_URL points them at moto)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")
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


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(16, thread_name_prefix="aws")


def in_parallel(calls: list[Callable[[], T]]) -> list[T]:
    """Independent AWS calls at once (clients are thread-safe), their answers in order; the first error raises."""
    if len(calls) <= 1:
        return [call() for call in calls]
    return list(_pool().map(lambda call: call(), calls))


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """A plain dict as a DynamoDB item (None values are left out)."""
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


@dataclass(frozen=True)
class BatchRead(Generic[T]):
    """Keys to read from one table, and what their items become; several reads can share BatchGetItem calls."""

    table_name: str
    keys: list[dict[str, Any]]
    parse: Callable[[list[dict[str, Any]]], T]
    consistent: bool = False  # a strongly consistent read (an item written moments ago must be found)


def batch_get(table_name: str, keys: list[dict[str, Any]], consistent: bool = False) -> list[dict[str, Any]]:
    """The items of ``keys`` that exist (BatchGetItem, 100 keys a call, unprocessed keys asked again)."""
    return _batch_get_all([(table_name, keys)], {table_name} if consistent else set())[0]


def read(request: BatchRead[T]) -> T:
    return request.parse(batch_get(request.table_name, request.keys, request.consistent))


def read_both(first: BatchRead[T], second: BatchRead[U]) -> tuple[T, U]:
    """Two reads sharing their BatchGetItem calls (100 keys a call), even across tables."""
    consistent = {request.table_name for request in (first, second) if request.consistent}
    found_first, found_second = _batch_get_all(
        [(first.table_name, first.keys), (second.table_name, second.keys)], consistent
    )
    return first.parse(found_first), second.parse(found_second)


def read_three(first: BatchRead[T], second: BatchRead[U], third: BatchRead[V]) -> tuple[T, U, V]:
    """Three reads sharing their BatchGetItem calls (100 keys a call), even across tables."""
    requests = (first, second, third)
    consistent = {request.table_name for request in requests if request.consistent}
    found = _batch_get_all([(request.table_name, request.keys) for request in requests], consistent)
    return first.parse(found[0]), second.parse(found[1]), third.parse(found[2])


def _batch_get_all(
    requests: list[tuple[str, list[dict[str, Any]]]], consistent: set[str]
) -> list[list[dict[str, Any]]]:
    """The existing items of each (table, keys) request, in request order; the keys of all share the calls.
    Tables named in ``consistent`` are read with strong consistency."""
    owners: dict[tuple[str, tuple[Any, ...]], int] = {}
    keys_to_read: list[tuple[str, dict[str, Any]]] = []
    for index, (table_name, keys) in enumerate(requests):
        for key in keys:
            owner = (table_name, _key_of(key, key))
            if owner not in owners:
                owners[owner] = index
                keys_to_read.append((table_name, key))
    names = {table_name: list(keys[0]) for table_name, keys in requests if keys}
    found: list[list[dict[str, Any]]] = [[] for _ in requests]
    for start in range(0, len(keys_to_read), _BATCH_GET_LIMIT):
        request: dict[str, Any] = {}
        for table_name, key in keys_to_read[start : start + _BATCH_GET_LIMIT]:
            entry = request.setdefault(table_name, {"Keys": []})
            entry["Keys"].append(key)
            if table_name in consistent:
                entry["ConsistentRead"] = True
        while request:
            answer = dynamodb().batch_get_item(RequestItems=request)
            for table_name, items in answer["Responses"].items():
                for item in items:
                    found[owners[(table_name, _key_of(item, names[table_name]))]].append(item)
            request = answer.get("UnprocessedKeys") or {}
    return found


def _key_of(item: dict[str, Any], names: Iterable[str]) -> tuple[Any, ...]:
    """The key attributes of ``item`` (S, N or B values, all hashable) as a tuple."""
    return tuple((name, *next(iter(item[name].items()))) for name in names)


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
