"""DynamoDB attribute values ↔ Python values, as boto3's ``TypeSerializer``/``TypeDeserializer`` write and read them.

Our own copy so that no handler imports boto3 (its import costs a cold start ~120 ms, mostly S3 transfer and resource
code Hookline never uses). Items come out exactly as boto3 writes them: ``None`` → NULL, ``bool`` → BOOL, ``int`` and
``Decimal`` → N (38 digits at most; a float, an infinity or a NaN is a ``TypeError``), ``str`` → S, ``bytes`` → B, a set
of numbers, strings or bytes → NS, SS or BS, a mapping → M, a list or tuple → L. Read back, N is a ``Decimal`` and B is
``bytes`` (boto3 wraps it in its ``Binary``, which compares and hashes as its bytes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

#: DynamoDB's numbers: 38 significant digits, exponent -130 to 125; anything else raises (boto3's DYNAMODB_CONTEXT).
NUMBER_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    return isinstance(value, int | Decimal)  # a bool in a set is a number, as in boto3


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_binary(value: Any) -> bool:
    return isinstance(value, bytes | bytearray)


def _number(value: int | Decimal) -> str:
    number = str(NUMBER_CONTEXT.create_decimal(value))
    if number in ("Infinity", "NaN"):
        raise TypeError("Infinity and NaN not supported")
    return number


def serialize(value: Any) -> dict[str, Any]:
    """``value`` as a DynamoDB attribute value (``{"S": "x"}``, ``{"N": "1"}``, …)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if _is_number(value):
        return {"N": _number(value)}
    if _is_string(value):
        return {"S": value}
    if _is_binary(value):
        return {"B": value}
    if isinstance(value, Set):
        for kind, is_kind, convert in _SET_KINDS:
            if all(map(is_kind, value)):
                return {kind: [convert(member) for member in value]}
    elif isinstance(value, Mapping):
        return {"M": {key: serialize(inner) for key, inner in value.items()}}
    elif isinstance(value, list | tuple):
        return {"L": [serialize(inner) for inner in value]}
    raise TypeError(f'Unsupported type "{type(value)}" for value "{value}"')


_SET_KINDS: tuple[tuple[str, Callable[[Any], bool], Callable[[Any], Any]], ...] = (
    ("NS", _is_number, _number),
    ("SS", _is_string, lambda member: member),
    ("BS", _is_binary, lambda member: member),
)


def deserialize(value: Mapping[str, Any]) -> Any:
    """The Python value of a DynamoDB attribute value."""
    if not value:
        raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")
    kind = next(iter(value))
    try:
        read = _READERS[kind]
    except KeyError:
        raise TypeError(f"Dynamodb type {kind} is not supported") from None
    return read(value[kind])


_READERS: dict[str, Callable[[Any], Any]] = {
    "NULL": lambda _: None,
    "BOOL": lambda flag: flag,
    "N": NUMBER_CONTEXT.create_decimal,
    "S": lambda text: text,
    "B": bytes,
    "NS": lambda numbers: set(map(NUMBER_CONTEXT.create_decimal, numbers)),
    "SS": set,
    "BS": lambda blobs: set(map(bytes, blobs)),
    "L": lambda values: [deserialize(inner) for inner in values],
    "M": lambda values: {key: deserialize(inner) for key, inner in values.items()},
}
