"""Reads of two tables share BatchGetItem calls on moto: each read gets its own items back, none lost past 100 keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from hookline.adapters import aws
from hookline.adapters.aws import BatchRead, read_both
from infra.local.request_counter import RequestCounter
from infra.local.stack import LocalStack


@pytest.fixture
def two_tables(stack: LocalStack) -> Iterator[tuple[str, str]]:
    """A table keyed by a string and one keyed by a string and a number, each with items 0..149."""
    client = stack.client("dynamodb")
    names = (f"reads-a-{uuid.uuid4().hex[:8]}", f"reads-b-{uuid.uuid4().hex[:8]}")
    schemas = ([("pk", "S", "HASH")], [("pk", "S", "HASH"), ("sk", "N", "RANGE")])
    for name, schema in zip(names, schemas, strict=True):
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": attr, "KeyType": role} for attr, _, role in schema],
            AttributeDefinitions=[{"AttributeName": attr, "AttributeType": kind} for attr, kind, _ in schema],
            BillingMode="PAY_PER_REQUEST",
        )
    for index in range(150):
        client.put_item(TableName=names[0], Item={"pk": {"S": f"A#{index}"}, "v": {"N": str(index)}})
        client.put_item(TableName=names[1], Item={"pk": {"S": "B"}, "sk": {"N": str(index)}, "v": {"N": str(index)}})
    yield names
    for name in names:
        client.delete_table(TableName=name)


def values(items: list[dict]) -> list[int]:
    return sorted(int(item["v"]["N"]) for item in items)


def test_two_tables_in_one_call_each_read_gets_its_own_items(two_tables: tuple[str, str]) -> None:
    table_a, table_b = two_tables
    counter = RequestCounter().attach(aws.dynamodb())
    try:
        first = BatchRead(table_a, [{"pk": {"S": f"A#{i}"}} for i in (1, 2, 999)], values)  # 999 does not exist
        second = BatchRead(table_b, [{"pk": {"S": "B"}, "sk": {"N": str(i)}} for i in (1, 7)], values)
        assert read_both(first, second) == ([1, 2], [1, 7])
        assert counter.calls == {"DynamoDB.BatchGetItem": 1}
    finally:
        counter.detach()


def test_more_than_a_hundred_keys_in_all_take_more_calls_and_lose_nothing(two_tables: tuple[str, str]) -> None:
    table_a, table_b = two_tables
    counter = RequestCounter().attach(aws.dynamodb())
    try:
        first = BatchRead(table_a, [{"pk": {"S": f"A#{i}"}} for i in range(120)], values)
        second = BatchRead(table_b, [{"pk": {"S": "B"}, "sk": {"N": str(i)}} for i in range(0, 150, 2)], values)
        assert read_both(first, second) == (list(range(120)), list(range(0, 150, 2)))
        assert counter.calls == {"DynamoDB.BatchGetItem": 2}  # 195 keys: 100 + 95
    finally:
        counter.detach()


def test_nothing_to_read_makes_no_call(two_tables: tuple[str, str]) -> None:
    counter = RequestCounter().attach(aws.dynamodb())
    try:
        assert read_both(BatchRead(two_tables[0], [], values), BatchRead(two_tables[1], [], len)) == ([], 0)
        assert counter.total == 0
    finally:
        counter.detach()
