"""Hooks and their routing items in DynamoDB.

Items of the hooks table:
- ``HOOK#<id>`` / ``HOOK``: a hook's configuration and failure state (GSI ``by_scope``: scope_key, hook_id).
- ``SCOPE#<scope key>`` / ``SCOPE``: one per project, group or the system scope. It holds a routing entry per hook
  (attribute ``h<id>``), so fan-out reads every candidate hook of an event with one BatchGetItem; and ``alias``, the
  same namespace's other key (its path for an id, its id for a path), once Hookline has learnt it.
- ``COUNTER`` / ``hook``: the last hook id handed out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from pydantic import ValidationError

from hookline import settings
from hookline.adapters.aws import BatchRead, batch_get, dynamodb, from_item, increment, read, to_item
from hookline.adapters.secret_box import SecretUnreadable, secret_box
from hookline.domain.events import HookKind
from hookline.domain.hook_state import HookState
from hookline.domain.hooks import ITEM_INVALID, SECRETS_UNREADABLE, SYSTEM_SCOPE, Hook, RouteEntry

_TABLE = settings.HOOKS_TABLE
logger = Logger(service=settings.SERVICE_NAME)


def _hook_key(hook_id: int) -> dict[str, Any]:
    return to_item({_TABLE.partition_key: f"HOOK#{hook_id}", _TABLE.sort_key: "HOOK"})


def _scope_key(scope_key: str) -> dict[str, Any]:
    return to_item({_TABLE.partition_key: f"SCOPE#{scope_key}", _TABLE.sort_key: "SCOPE"})


def _route_attribute(hook_id: int) -> str:
    return f"h{hook_id}"


#: Hook fields sealed at rest: single values, and maps whose values are sealed. The URL's userinfo (``user:pass``) is
#: sealed apart, in ``url_userinfo``; ``url`` is stored without it.
SEALED_FIELDS = ("token", "signing_token", "previous_signing_token")
SEALED_MAPS = ("url_variables", "custom_headers")
USERINFO = "url_userinfo"
#: What a hook item cannot lack; a corrupt item gets these so it can still be shown, repaired and deleted.
_FALLBACKS: dict[str, Any] = {"url": "", "created_at": datetime(1970, 1, 1, tzinfo=UTC)}
_KINDS = {"project": HookKind.PROJECT, "group": HookKind.GROUP, SYSTEM_SCOPE: HookKind.SYSTEM}


def _context(hook_id: int, field: str) -> str:
    """What a sealed value is bound to: its hook and its field (a value moved elsewhere does not open)."""
    return f"hook/{hook_id}/{field}"


def split_url_userinfo(url: str) -> tuple[str, str | None]:
    """``https://user:pass@host/p`` as ``https://host/p`` and ``user:pass``; exact, so the two join back."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url, None
    end = min((index for index in map(rest.find, "/?#") if index >= 0), default=len(rest))
    userinfo, at, host = rest[:end].rpartition("@")
    if not at:
        return url, None
    return f"{scheme}://{host}{rest[end:]}", userinfo


def join_url_userinfo(url: str, userinfo: str | None) -> str:
    if userinfo is None:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{userinfo}@{rest}"


def _hook_item(hook: Hook) -> dict[str, Any]:
    box = secret_box()
    values = hook.model_dump(mode="json", exclude={"id", "triggers", "unreadable"})
    for name in SEALED_FIELDS:
        if values.get(name):
            values[name] = box.seal(values[name], _context(hook.id, name))
    for name in SEALED_MAPS:
        values[name] = {key: box.seal(value, _context(hook.id, f"{name}.{key}")) for key, value in values[name].items()}
    values["url"], userinfo = split_url_userinfo(hook.url)
    if userinfo is not None:
        values[USERINFO] = box.seal(userinfo, _context(hook.id, USERINFO))
    values["triggers"] = sorted(hook.triggers)
    values["hook_id"] = hook.id
    values["disabled_until"] = _iso(hook.disabled_until)
    values["created_at"] = _iso(hook.created_at)
    return to_item({_TABLE.partition_key: f"HOOK#{hook.id}", _TABLE.sort_key: "HOOK", **values})


def _hook_from_item(item: dict[str, Any]) -> Hook:
    """The hook an item holds. Never raises: a corrupt item, a secret that cannot be opened or a value that fails
    validation gives a hook with ``unreadable`` set (field names only, never a value) and those values empty."""
    hook_id = _id_of(item)
    try:
        values = _plain(from_item(item))
    except (TypeError, ValueError):
        values = {"scope_key": item.get("scope_key", {}).get("S")}
    unopened: list[str] = []
    values = _opened(values, hook_id, unopened)
    values["id"] = hook_id
    hook, invalid = _validated(values)
    reasons = []
    if unopened:
        reasons.append(f"{SECRETS_UNREADABLE}: {', '.join(unopened)}")
    if invalid:
        reasons.append(f"{ITEM_INVALID}: {', '.join(invalid)}")
    return hook.model_copy(update={"unreadable": "; ".join(reasons)}) if reasons else hook


def _id_of(item: dict[str, Any]) -> int:
    """The hook id of an item: from its key, which a write always sets (its ``hook_id`` attribute as a fallback)."""
    key = item.get(_TABLE.partition_key, {}).get("S", "").removeprefix("HOOK#")
    number = item.get("hook_id", {}).get("N", "")
    for text in (key, number):
        if text.isascii() and text.isdigit() and len(text) <= 19:
            return int(text)
    return 0


def _opened(values: dict[str, Any], hook_id: int, unopened: list[str]) -> dict[str, Any]:
    """The item's values with its secrets opened; the names of those that cannot be are added to ``unopened``."""
    box = secret_box()

    def open_one(value: Any, field: str, legacy_field: str) -> str | None:
        if not isinstance(value, bytes | str):
            unopened.append(field)
            return None
        try:
            return box.open(value, _context(hook_id, field), legacy_field)
        except SecretUnreadable:
            unopened.append(field)
            return None

    for name in SEALED_FIELDS:
        if values.get(name):
            values[name] = open_one(values[name], name, name)
    for name in SEALED_MAPS:
        if isinstance(values.get(name), dict):
            opened = {key: open_one(value, f"{name}.{key}", f"{name}.{key}") for key, value in values[name].items()}
            values[name] = {key: value for key, value in opened.items() if value is not None}
    if USERINFO in values:
        userinfo = open_one(values.pop(USERINFO), USERINFO, USERINFO)
        if isinstance(values.get("url"), str):
            values["url"] = join_url_userinfo(values["url"], userinfo)
    return values


def _validated(values: dict[str, Any]) -> tuple[Hook, list[str]]:
    """The hook, and the fields that failed validation (replaced by their defaults or a fallback)."""
    invalid: list[str] = []
    for _ in range(3):
        try:
            return Hook.model_validate(values), invalid
        except ValidationError as error:
            failed = sorted({str(detail["loc"][0]) for detail in error.errors() if detail["loc"]} - set(invalid))
            if not failed:
                break
            invalid.extend(failed)
            for name in failed:
                values.pop(name, None)
            for name, fallback in _FALLBACKS.items():
                values.setdefault(name, fallback)
            if "kind" not in values:
                scope = values.get("scope_key")
                values["kind"] = _KINDS.get(scope.split(":", 1)[0] if isinstance(scope, str) else "", HookKind.PROJECT)
    scope = values.get("scope_key")
    minimal = Hook(
        id=values["id"],
        kind=HookKind.PROJECT,
        scope_key=scope if isinstance(scope, str) else "",
        url="",
        created_at=_FALLBACKS["created_at"],
    )
    return minimal, [*invalid, "item"]


def _plain(value: Any) -> Any:
    """Decimals from DynamoDB back to ints."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | set):
        return [_plain(inner) for inner in value]
    return value


def _route_entry(scope_key: str, name: str, value: Any) -> RouteEntry | None:
    """A hook's routing entry, or None when it cannot be read: that hook alone misses the event (logged)."""
    try:
        return RouteEntry.model_validate(value)
    except ValueError:
        logger.warning("Unreadable routing entry; the hook is skipped", extra={"scope": scope_key, "entry": name})
        return None


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


class HookLimitReached(Exception):
    """The namespace holds as many hooks as it may."""


class ScopeTooLarge(Exception):
    """The write would take an item past DynamoDB's 400 KB (the scope's routing entries: its branch filters)."""


class _ConditionFailed(Exception):
    pass


_COUNT = "hook_count"
_CREATE_ATTEMPTS = 20
_CONFLICT_ATTEMPTS = 4


class HookStore:
    def __init__(self, table_name: str | None = None) -> None:
        self.table_name = table_name or _TABLE.name

    # --- ids -------------------------------------------------------------------------------------------------
    def next_hook_id(self) -> int:
        return increment(self.table_name, to_item({_TABLE.partition_key: "COUNTER", _TABLE.sort_key: "hook"}))

    # --- hooks -----------------------------------------------------------------------------------------------
    def put(self, hook: Hook, *, new: bool) -> None:
        """Write a hook and its routing entry in one transaction (a new hook: see ``create``)."""
        if new:
            self.create(hook, limit=None)
            return
        self._transact(
            [
                self._hook_put(hook, "attribute_exists(#pk)"),
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": _scope_key(hook.scope_key),
                        "UpdateExpression": "SET #h = :entry",
                        "ExpressionAttributeNames": {"#h": _route_attribute(hook.id)},
                        "ExpressionAttributeValues": {":entry": _route_value(hook.route_entry())},
                    }
                },
            ],
            missing=hook.id,
        )

    def create(self, hook: Hook, *, limit: int | None, also_counted: Iterable[str] = ()) -> None:
        """Write a new hook, its routing entry and its scope's hook count in one transaction.

        With a ``limit``, the write is conditional on the count (plus that of ``also_counted``, the namespace's other
        key) being below it, so parallel creates cannot pass it: ``HookLimitReached`` otherwise. A scope written before
        counts existed starts from the number of its routing entries.
        """
        others = [key for key in dict.fromkeys(also_counted) if key != hook.scope_key]
        for _ in range(_CREATE_ATTEMPTS):
            counts = {key: self._hook_count(key) for key in [hook.scope_key, *others]}
            own = counts[hook.scope_key][0]
            other_total = sum(counts[key][0] for key in others)
            if limit is not None and own + other_total >= limit:
                raise HookLimitReached(limit)
            values: dict[str, Any] = {
                ":entry": _route_value(hook.route_entry()),
                ":init": _null_safe(own),
                ":one": _null_safe(1),
            }
            update: dict[str, Any] = {
                "TableName": self.table_name,
                "Key": _scope_key(hook.scope_key),
                "UpdateExpression": "SET #h = :entry, #n = if_not_exists(#n, :init) + :one",
                "ExpressionAttributeNames": {"#h": _route_attribute(hook.id), "#n": _COUNT},
                "ExpressionAttributeValues": values,
            }
            if limit is not None:
                update["ConditionExpression"] = "attribute_not_exists(#n) OR #n < :room"
                values[":room"] = _null_safe(limit - other_total)
            checks = [self._count_check(key, *counts[key]) for key in others]
            try:
                self._transact([self._hook_put(hook, "attribute_not_exists(#pk)"), {"Update": update}, *checks])
            except _ConditionFailed:
                continue  # another create or delete got there first: count again
            return
        raise HookLimitReached(limit or 0)

    def _hook_count(self, scope_key: str) -> tuple[int, bool]:
        """How many hooks a scope holds (its counter, or its routing entries when it has none), and whether the counter
        is stored."""
        key = _scope_key(scope_key)
        item = dynamodb().get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        if not item:
            return 0, False
        if _COUNT in item:
            return int(item[_COUNT]["N"]), True
        return sum(1 for name in item if name.startswith("h") and name[1:].isdigit()), False

    def _count_check(self, scope_key: str, count: int, stored: bool) -> dict[str, Any]:
        """A transaction item that holds only while the scope's count is still ``count``."""
        check: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": _scope_key(scope_key),
            "ExpressionAttributeNames": {"#n": _COUNT},
        }
        if stored:
            check["ConditionExpression"] = "#n = :n"
            check["ExpressionAttributeValues"] = {":n": _null_safe(count)}
        else:
            check["ConditionExpression"] = "attribute_not_exists(#n)"
        return {"ConditionCheck": check}

    def _hook_put(self, hook: Hook, condition: str) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": _hook_item(hook),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#pk": _TABLE.partition_key},
            }
        }

    def _transact(self, items: list[dict[str, Any]], missing: int | None = None) -> None:
        """TransactWriteItems, tried again when it only met another transaction. A failed condition is
        ``HookNotFound(missing)`` when given, else ``_ConditionFailed``; an item past DynamoDB's size limit is
        ``ScopeTooLarge``."""
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
                return
            except ClientError as error:
                code = error.response["Error"]["Code"]
                reasons = error.response.get("CancellationReasons", [])
                codes = {reason.get("Code") for reason in reasons}
                if any(
                    reason.get("Code") == "ValidationException" and "size" in str(reason.get("Message"))
                    for reason in [error.response["Error"], *reasons]
                ):
                    raise ScopeTooLarge from None
                if code != "TransactionCanceledException":
                    raise
                if "ConditionalCheckFailed" not in codes and attempt + 1 < _CONFLICT_ATTEMPTS:
                    continue  # TransactionConflict: another writer had the item
                if missing is not None:
                    raise HookNotFound(missing) from None
                raise _ConditionFailed from None

    def delete(self, hook: Hook) -> None:
        """Delete a hook, its routing entry, and count it out of its scope, in one transaction."""
        own, _ = self._hook_count(hook.scope_key)
        self._transact(
            [
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
                        "UpdateExpression": "REMOVE #h SET #n = if_not_exists(#n, :init) - :one",
                        "ExpressionAttributeNames": {"#h": _route_attribute(hook.id), "#n": _COUNT},
                        "ExpressionAttributeValues": {":init": _null_safe(own), ":one": _null_safe(1)},
                    }
                },
            ],
            missing=hook.id,
        )

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
                int(name[1:]): entry
                for name, value in values.items()
                if name.startswith("h") and name[1:].isdigit() and (entry := _route_entry(key, name, value)) is not None
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
