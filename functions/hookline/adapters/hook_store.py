"""Hooks and their routing items in DynamoDB.

Items of the hooks table:
- ``HOOK#<id>`` / ``HOOK``: a hook's configuration and failure state (GSI ``by_scope``: scope_key, hook_id).
- ``SCOPE#<scope key>`` / ``SCOPE``: one per project, group or the system scope. It holds a routing entry per hook
  (attribute ``h<id>``), so fan-out reads every candidate hook of an event with one BatchGetItem; and ``alias``, the
  same namespace's other key (its path for an id, its id for a path), once Hookline has learnt it.
- ``COUNTER`` / ``hook``: the last hook id handed out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from hookline import settings
from hookline.adapters.aws import BatchRead, batch_get, dynamodb, from_item, increment, read, to_item
from hookline.adapters.secret_box import secret_box
from hookline.domain.hook_state import HookState
from hookline.domain.hooks import Hook, RouteEntry

_TABLE = settings.HOOKS_TABLE


def _hook_key(hook_id: int) -> dict[str, Any]:
    return to_item({_TABLE.partition_key: f"HOOK#{hook_id}", _TABLE.sort_key: "HOOK"})


def _scope_key(scope_key: str) -> dict[str, Any]:
    return to_item({_TABLE.partition_key: f"SCOPE#{scope_key}", _TABLE.sort_key: "SCOPE"})


def _route_attribute(hook_id: int) -> str:
    return f"h{hook_id}"


#: Hook fields sealed at rest: single values, and maps whose values are sealed.
SEALED_FIELDS = ("token", "signing_token", "previous_signing_token")
SEALED_MAPS = ("url_variables", "custom_headers")


def _sealed(values: dict[str, Any], transform: Callable[[str, str], str]) -> dict[str, Any]:
    """The hook's secret fields passed through ``transform(value, field)`` (seal or open)."""
    for name in SEALED_FIELDS:
        if values.get(name):
            values[name] = transform(values[name], name)
    for name in SEALED_MAPS:
        if values.get(name):
            values[name] = {key: transform(value, f"{name}.{key}") for key, value in values[name].items()}
    return values


def _hook_item(hook: Hook) -> dict[str, Any]:
    values = _sealed(hook.model_dump(mode="json", exclude={"id", "triggers", "unreadable"}), secret_box().seal)
    values["triggers"] = sorted(hook.triggers)
    values["hook_id"] = hook.id
    values["disabled_until"] = _iso(hook.disabled_until)
    values["created_at"] = _iso(hook.created_at)
    return to_item({_TABLE.partition_key: f"HOOK#{hook.id}", _TABLE.sort_key: "HOOK", **values})


def _hook_from_item(item: dict[str, Any]) -> Hook:
    values = _sealed(_plain(from_item(item)), secret_box().open)
    values["id"] = int(values.pop("hook_id"))
    return Hook.model_validate(values)


def _plain(value: Any) -> Any:
    """Decimals from DynamoDB back to ints."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | set):
        return [_plain(inner) for inner in value]
    return value


def _route_value(entry: RouteEntry) -> dict[str, Any]:
    return _null_safe(entry.model_dump(mode="json"))


@dataclass(frozen=True)
class ScopeRoutes:
    """A scope's routing item: its hooks' entries and the namespace's other key, if known."""

    scope_key: str
    entries: dict[int, RouteEntry]
    alias: str | None


class HookNotFound(LookupError):
    pass


class HookStore:
    def __init__(self, table_name: str | None = None) -> None:
        self.table_name = table_name or _TABLE.name

    # --- ids -------------------------------------------------------------------------------------------------
    def next_hook_id(self) -> int:
        return increment(self.table_name, to_item({_TABLE.partition_key: "COUNTER", _TABLE.sort_key: "hook"}))

    # --- hooks -----------------------------------------------------------------------------------------------
    def put(self, hook: Hook, *, new: bool) -> None:
        """Write a hook and its routing entry in one transaction."""
        condition = "attribute_not_exists(#pk)" if new else "attribute_exists(#pk)"
        try:
            dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": _hook_item(hook),
                            "ConditionExpression": condition,
                            "ExpressionAttributeNames": {"#pk": _TABLE.partition_key},
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": _scope_key(hook.scope_key),
                            "UpdateExpression": "SET #h = :entry",
                            "ExpressionAttributeNames": {"#h": _route_attribute(hook.id)},
                            "ExpressionAttributeValues": {":entry": _route_value(hook.route_entry())},
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException" and not new:
                raise HookNotFound(hook.id) from None
            raise

    def delete(self, hook: Hook) -> None:
        try:
            dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self.table_name,
                            "Key": _hook_key(hook.id),
                            "ConditionExpression": "attribute_exists(#pk)",
                            "ExpressionAttributeNames": {"#pk": _TABLE.partition_key},
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": _scope_key(hook.scope_key),
                            "UpdateExpression": "REMOVE #h",
                            "ExpressionAttributeNames": {"#h": _route_attribute(hook.id)},
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise HookNotFound(hook.id) from None
            raise

    def get(self, hook_id: int) -> Hook | None:
        item = dynamodb().get_item(TableName=self.table_name, Key=_hook_key(hook_id), ConsistentRead=True).get("Item")
        return _hook_from_item(item) if item else None

    def get_many(self, hook_ids: Iterable[int]) -> dict[int, Hook]:
        """The current configuration of each hook that still exists (BatchGetItem, 100 keys a call)."""
        return read(self.many_read(hook_ids))

    def many_read(self, hook_ids: Iterable[int]) -> BatchRead[dict[int, Hook]]:
        """``get_many`` as a read that can share its BatchGetItem with another table's."""
        keys = [_hook_key(hook_id) for hook_id in dict.fromkeys(hook_ids)]
        return BatchRead(self.table_name, keys, lambda items: {hook.id: hook for hook in map(_hook_from_item, items)})

    def list_for_scopes(self, scope_keys: Iterable[str]) -> list[Hook]:
        index = _TABLE.indexes[0]
        hooks: list[Hook] = []
        for scope_key in dict.fromkeys(scope_keys):
            paginator = dynamodb().get_paginator("query")
            for page in paginator.paginate(
                TableName=self.table_name,
                IndexName=index.name,
                KeyConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": index.partition_key},
                ExpressionAttributeValues=to_item({":s": scope_key}),
            ):
                hooks.extend(_hook_from_item(item) for item in page["Items"])
        return sorted(hooks, key=lambda hook: hook.id)

    # --- routing ---------------------------------------------------------------------------------------------
    def scope_routes(self, scope_keys: Iterable[str]) -> dict[str, ScopeRoutes]:
        """The routing items of these scopes that exist, with one BatchGetItem."""
        items = batch_get(self.table_name, [_scope_key(key) for key in dict.fromkeys(scope_keys)])
        routes: dict[str, ScopeRoutes] = {}
        for item in items:
            values = _plain(from_item(item))
            key = values[_TABLE.partition_key].removeprefix("SCOPE#")
            entries = {
                int(name[1:]): RouteEntry.model_validate(value)
                for name, value in values.items()
                if name.startswith("h") and name[1:].isdigit()
            }
            routes[key] = ScopeRoutes(key, entries, values.get("alias"))
        return routes

    def learn_alias(self, first: str, second: str) -> None:
        """Record that two keys name the same namespace (``project:42`` and ``project:acme/api``)."""
        for key, alias in ((first, second), (second, first)):
            dynamodb().update_item(
                TableName=self.table_name,
                Key=_scope_key(key),
                UpdateExpression="SET alias = :alias",
                ExpressionAttributeValues=to_item({":alias": alias}),
            )

    def scope_exists(self, scope_key: str) -> ScopeRoutes | None:
        return self.scope_routes([scope_key]).get(scope_key)

    def ensure_scope(self, scope_key: str) -> None:
        """Make a namespace known (a hook registration creates it)."""
        dynamodb().update_item(
            TableName=self.table_name,
            Key=_scope_key(scope_key),
            UpdateExpression="SET known = :t",
            ExpressionAttributeValues=to_item({":t": True}),
        )

    # --- failure state ---------------------------------------------------------------------------------------
    def replace_state(self, hook_id: int, expected: HookState, new: HookState) -> bool:
        """Set the failure state only if it is still ``expected``; False when another writer got there first."""
        names = {"#rf": "recent_failures", "#du": "disabled_until", "#pk": _TABLE.partition_key}
        values: dict[str, Any] = {":rf": new.recent_failures, ":old_rf": expected.recent_failures}
        condition = "attribute_exists(#pk) AND #rf = :old_rf AND "
        if expected.disabled_until is None:
            condition += "(attribute_not_exists(#du) OR #du = :null)"
            values[":null"] = None
        else:
            condition += "#du = :old_du"
            values[":old_du"] = _iso(expected.disabled_until)
        update = "SET #rf = :rf, #du = :du"
        values[":du"] = _iso(new.disabled_until) if new.disabled_until else None
        try:
            dynamodb().update_item(
                TableName=self.table_name,
                Key=_hook_key(hook_id),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={key: _null_safe(value) for key, value in values.items()},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def acquire_probe(self, hook_id: int, now: datetime, lease_until: datetime) -> bool:
        """Claim the one probe a recovering hook may have in flight; False when another sender holds it."""
        try:
            dynamodb().update_item(
                TableName=self.table_name,
                Key=_hook_key(hook_id),
                UpdateExpression="SET probe_until = :until",
                ConditionExpression=(
                    "attribute_exists(#pk) AND (attribute_not_exists(probe_until) OR probe_until < :now)"
                ),
                ExpressionAttributeNames={"#pk": _TABLE.partition_key},
                ExpressionAttributeValues=to_item({":until": _iso(lease_until), ":now": _iso(now)}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _iso(moment: datetime | None) -> str | None:
    """One fixed format, so stored instants compare correctly as strings."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment else None


def _null_safe(value: Any) -> dict[str, Any]:
    return {"NULL": True} if value is None else to_item({"v": value})["v"]
