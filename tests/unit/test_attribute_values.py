"""Our DynamoDB attribute values are boto3's: the same item for every value, the same value read back (bytes for B)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from hookline.adapters.attribute_values import deserialize, serialize
from hookline.adapters.aws import from_item, to_item

SERIALIZED: list[tuple[Any, dict[str, Any]]] = [
    (None, {"NULL": True}),
    (True, {"BOOL": True}),
    (False, {"BOOL": False}),
    (0, {"N": "0"}),
    (-7, {"N": "-7"}),
    (2**63, {"N": "9223372036854775808"}),
    (10**37, {"N": "10000000000000000000000000000000000000"}),
    (Decimal("1.50"), {"N": "1.50"}),
    (Decimal("-0.001"), {"N": "-0.001"}),
    (Decimal("1E+5"), {"N": "1E+5"}),
    ("", {"S": ""}),
    ("héllo\u0000", {"S": "héllo\u0000"}),
    (b"\x01\x02", {"B": b"\x01\x02"}),
    (bytearray(b"ab"), {"B": bytearray(b"ab")}),
    ({1, 2}, {"NS": ["1", "2"]}),
    ({"a"}, {"SS": ["a"]}),
    ({b"x"}, {"BS": [b"x"]}),
    (frozenset({"a"}), {"SS": ["a"]}),
    ({True}, {"NS": ["1"]}),
    (set(), {"NS": []}),
    ([1, "a", None, [b"b"]], {"L": [{"N": "1"}, {"S": "a"}, {"NULL": True}, {"L": [{"B": b"b"}]}]}),
    ((1, 2), {"L": [{"N": "1"}, {"N": "2"}]}),
    ({"a": {"b": [True]}}, {"M": {"a": {"M": {"b": {"L": [{"BOOL": True}]}}}}}),
    ({}, {"M": {}}),
]

REJECTED: list[tuple[Any, str]] = [
    (1.5, "Float types are not supported"),
    ({1.5}, "Float types are not supported"),
    (Decimal("Infinity"), "Infinity and NaN not supported"),
    ([1.0], "Float types are not supported"),
    (object(), "Unsupported type"),
    ({1, "a"}, "Unsupported type"),  # a mixed set fits no set type
]

#: Values boto3 refuses with a decimal signal: more than 38 significant digits, or out of DynamoDB's range.
OUT_OF_RANGE = [10**40 + 1, Decimal("1E+200"), Decimal("1E-200"), Decimal("1.000000000000000000000000000000000000001")]


@pytest.mark.parametrize(("value", "item"), SERIALIZED)
def test_serialize(value: Any, item: dict[str, Any]) -> None:
    assert serialize(value) == item
    assert _sorted_sets(serialize(value)) == _sorted_sets(TypeSerializer().serialize(value))


@pytest.mark.parametrize(("value", "message"), REJECTED)
def test_rejected_as_boto3_rejects_them(value: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        TypeSerializer().serialize(value)
    with pytest.raises(TypeError, match=message):
        serialize(value)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_numbers_out_of_range_raise_as_in_boto3(value: Any) -> None:
    with pytest.raises(ArithmeticError) as boto3_error:
        TypeSerializer().serialize(value)
    with pytest.raises(ArithmeticError) as ours:
        serialize(value)
    assert type(ours.value) is type(boto3_error.value)


@pytest.mark.parametrize(("value", "item"), SERIALIZED)
def test_deserialize_reads_back_what_boto3_reads(value: Any, item: dict[str, Any]) -> None:
    read = deserialize(item)
    assert read == TypeDeserializer().deserialize(item)
    assert _no_binary(read), "binaries are read as bytes, never boto3's wrapper"


@pytest.mark.parametrize(
    ("item", "value"),
    [
        ({"N": "1.50"}, Decimal("1.50")),
        ({"N": "12"}, Decimal(12)),
        ({"B": b"\x00"}, b"\x00"),
        ({"BS": [b"a", b"b"]}, {b"a", b"b"}),
        ({"NS": ["1", "2.5"]}, {Decimal(1), Decimal("2.5")}),
        ({"SS": ["a", "b"]}, {"a", "b"}),
        ({"M": {"k": {"L": [{"NULL": True}, {"BOOL": False}]}}}, {"k": [None, False]}),
    ],
)
def test_deserialize(item: dict[str, Any], value: Any) -> None:
    read = deserialize(item)
    assert read == value
    assert type(read) is type(value)


@pytest.mark.parametrize(("item", "message"), [({}, "nonempty"), ({"X": 1}, "Dynamodb type X is not supported")])
def test_deserialize_rejects_what_boto3_rejects(item: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        TypeDeserializer().deserialize(item)
    with pytest.raises(TypeError, match=message):
        deserialize(item)


def test_items_round_trip_leaving_out_none() -> None:
    values = {"pk": "HOOK#1", "n": 3, "blob": b"\x01", "gone": None, "tags": {"a"}, "deep": {"x": [1]}}
    item = to_item(values)
    assert item == {
        "pk": {"S": "HOOK#1"},
        "n": {"N": "3"},
        "blob": {"B": b"\x01"},
        "tags": {"SS": ["a"]},
        "deep": {"M": {"x": {"L": [{"N": "1"}]}}},
    }
    assert from_item(item) == {"pk": "HOOK#1", "n": 3, "blob": b"\x01", "tags": {"a"}, "deep": {"x": [1]}}


def _sorted_sets(item: dict[str, Any]) -> dict[str, Any]:
    """Set members in a stable order (a set serializes in its iteration order)."""
    ((kind, inner),) = item.items()
    if kind in ("NS", "SS", "BS"):
        return {kind: sorted(inner)}
    if kind == "L":
        return {kind: [_sorted_sets(value) for value in inner]}
    if kind == "M":
        return {kind: {key: _sorted_sets(value) for key, value in inner.items()}}
    return item


def _no_binary(value: Any) -> bool:
    if isinstance(value, Binary):
        return False
    if isinstance(value, Mapping):
        return all(map(_no_binary, value.values()))
    if isinstance(value, list | set | frozenset):
        return all(map(_no_binary, value))
    return True
