"""Managing hooks: namespaces by id or path, create, read, update and delete, with GitLab's rules."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from hookline.adapters.delivery_store import DeliveryStore
from hookline.adapters.hook_store import HookNotFound, HookStore
from hookline.adapters.queue import OutgoingMessage, send_messages
from hookline.api.models import HookCreate, HookUpdate
from hookline.clock import CLOCK
from hookline.domain.branch_filter import BranchFilterStrategy, InvalidBranchFilter, validate_branch_filter
from hookline.domain.delivery import DeliveryResult, DeliveryTask, idempotency_key
from hookline.domain.events import DEFAULT_TRIGGERS, TRIGGERS_BY_KIND, HookKind
from hookline.domain.hook_state import AlertStatus
from hookline.domain.hooks import Hook, namespace_key, normalize_path
from hookline.domain.samples import TRIGGER_EVENTS, sample_payload
from hookline.domain.url_policy import InvalidUrl, validate_url_syntax
from hookline.services.delivery import DeliverySender

_PATH_SEGMENT = r"[A-Za-z0-9_.][A-Za-z0-9_.-]*"
_FULL_PATH = re.compile(rf"^{_PATH_SEGMENT}(?:/{_PATH_SEGMENT})*$")


class ApiError(Exception):
    """An answer in GitLab's error format: ``{"message": ...}`` or ``{"error": ...}``."""

    def __init__(self, status: int, *, message: Any = None, error: str | None = None) -> None:
        super().__init__(message or error)
        self.status = status
        self.body: dict[str, Any] = {"message": message} if message is not None else {"error": error}


def not_found(what: str = "") -> ApiError:
    return ApiError(404, message=f"404 {what} Not Found" if what else "404 Not found")


@dataclass(frozen=True)
class Namespace:
    kind: HookKind
    keys: tuple[str, ...]  # the key it was addressed by first, then its alias if known
    id: int | None
    path: str | None


def _namespace_label(kind: HookKind) -> str:
    return "Project" if kind is HookKind.PROJECT else "Group"


RECOVER_LIMIT = 500


@dataclass
class HookAdmin:
    store: HookStore
    deliveries: DeliveryStore
    sender: DeliverySender
    delivery_queue_url: str
    clock: Callable[[], datetime] = CLOCK.now

    # --- namespaces ------------------------------------------------------------------------------------------
    def namespace(self, kind: HookKind, raw_ref: str | None, *, creating: bool = False) -> Namespace:
        """Resolve ``42`` or ``acme%2Fplatform%2Fapi``. Unknown namespaces are 404, except when a hook creates one."""
        if kind is HookKind.SYSTEM:
            return Namespace(kind, (namespace_key(kind, 0),), None, None)
        ref = unquote(raw_ref or "")
        parsed: int | str
        if ref.isdigit() and int(ref) > 0:
            parsed = int(ref)
        elif _FULL_PATH.match(ref) and not ref.isdigit():
            parsed = normalize_path(ref)
        else:
            raise not_found(_namespace_label(kind))
        key = namespace_key(kind, parsed)
        known = self.store.scope_exists(key)
        if known is None and not creating:
            raise not_found(_namespace_label(kind))
        alias = known.alias if known else None
        keys = (key, alias) if alias else (key,)
        alias_value = alias.split(":", 1)[1] if alias else None
        if isinstance(parsed, int):
            return Namespace(kind, keys, parsed, alias_value)
        return Namespace(kind, keys, int(alias_value) if alias_value and alias_value.isdigit() else None, parsed)

    # --- hooks -----------------------------------------------------------------------------------------------
    def list(self, namespace: Namespace) -> list[Hook]:
        return self.store.list_for_scopes(namespace.keys)

    def get(self, namespace: Namespace, hook_id: int) -> Hook:
        hook = self.store.get(hook_id)
        if hook is None or hook.kind is not namespace.kind or hook.scope_key not in namespace.keys:
            raise not_found()
        return hook

    def create(self, namespace: Namespace, request: HookCreate) -> Hook:
        fields = _checked_fields(request)
        triggers = set(DEFAULT_TRIGGERS) & set(TRIGGERS_BY_KIND[namespace.kind])
        triggers = _apply_triggers(namespace.kind, triggers, fields)
        hook = Hook(
            id=self.store.next_hook_id(),
            kind=namespace.kind,
            scope_key=namespace.keys[0],
            namespace_id=namespace.id,
            namespace_path=namespace.path,
            triggers=frozenset(triggers),
            created_at=self.clock(),
            **fields,
        )
        self.store.put(hook, new=True)
        return hook

    def update(self, namespace: Namespace, hook_id: int, request: HookUpdate) -> Hook:
        hook = self.get(namespace, hook_id)
        fields = _checked_fields(request, hook.branch_filter_strategy)
        if "branch_filter_strategy" in fields and "push_events_branch_filter" not in fields:
            _checked_fields(
                HookUpdate(push_events_branch_filter=hook.push_events_branch_filter), fields["branch_filter_strategy"]
            )
        if "url" in fields and fields["url"] != hook.url and "token" not in fields:
            fields["token"] = None  # a new URL does not inherit the old URL's secret
        triggers = _apply_triggers(namespace.kind, set(hook.triggers), fields)
        updated = hook.model_copy(update={**fields, "triggers": frozenset(triggers)})
        try:
            self.store.put(updated, new=False)
        except HookNotFound:
            raise not_found() from None
        return updated

    def delete(self, namespace: Namespace, hook_id: int) -> None:
        hook = self.get(namespace, hook_id)
        try:
            self.store.delete(hook)
        except HookNotFound:
            raise not_found() from None

    # --- test and recover ------------------------------------------------------------------------------------
    def test(self, namespace: Namespace, hook_id: int, trigger: str) -> DeliveryResult:
        """Send a sample event now, even to a disabled hook; a 2xx re-enables it. Anything else is a 422."""
        hook = self.get(namespace, hook_id)
        if trigger not in TRIGGERS_BY_KIND[hook.kind]:
            raise ApiError(400, error="trigger does not have a valid value")
        now = self.clock()
        event_uuid = str(uuid.uuid4())
        task = DeliveryTask(
            hook_id=hook.id,
            event_uuid=event_uuid,
            event_name=TRIGGER_EVENTS[trigger].name,
            idempotency_key=idempotency_key(event_uuid, hook.id),
            body=json.dumps(sample_payload(hook, trigger, now), separators=(",", ":")),
            queued_at=now,
        )
        result = self.sender.send_test(hook, task)
        if result.status_code is None or not 200 <= result.status_code < 300:
            reason = result.internal_error or f"the receiver answered {result.status_code}"
            raise ApiError(422, message=f"Hook execution failed: {reason}")
        return result

    def recover(self, namespace: Namespace, hook_id: int, since: datetime, until: datetime | None) -> dict[str, int]:
        """Queue a hook's parked deliveries (parked in [since, until]) again, up to RECOVER_LIMIT per call."""
        hook = self.get(namespace, hook_id)
        now = self.clock()
        if hook.alert_status(now) is not AlertStatus.EXECUTABLE:
            raise ApiError(422, message="Hook is disabled; a successful test re-enables it before recovery")
        parked = self.deliveries.parked(hook.id, since, until or now)
        chosen = parked[:RECOVER_LIMIT]
        fresh = {"attempt": 1, "queued_at": now, "not_before": None}
        send_messages(
            self.delivery_queue_url,
            [
                OutgoingMessage(task.model_copy(update=fresh).model_dump_json(exclude_none=True))
                for _, task, _ in chosen
            ],
        )
        self.deliveries.delete_items([key for key, _, _ in chosen])
        return {"recovered": len(chosen), "remaining": len(parked) - len(chosen)}


def _checked_fields(
    request: HookUpdate, current: BranchFilterStrategy = BranchFilterStrategy.WILDCARD
) -> dict[str, Any]:
    """The fields the request sets, validated by GitLab's rules (trigger fields are kept apart)."""
    fields = {name: getattr(request, name) for name in request.model_fields_set}
    if "url" in fields:
        if not fields["url"]:
            raise ApiError(400, error="url is missing")
        try:
            validate_url_syntax(fields["url"])
        except InvalidUrl as error:
            raise ApiError(422, error=str(error)) from None
    if fields.get("branch_filter_strategy") is None:
        fields.pop("branch_filter_strategy", None)
    if "enable_ssl_verification" in fields and fields["enable_ssl_verification"] is None:
        fields.pop("enable_ssl_verification")
    strategy = fields.get("branch_filter_strategy") or current
    try:
        validate_branch_filter(strategy, fields.get("push_events_branch_filter"))
    except InvalidBranchFilter as error:
        raise ApiError(400, error=f"push_events_branch_filter {error}") from None
    return fields


def _apply_triggers(kind: HookKind, triggers: set[str], fields: dict[str, Any]) -> set[str]:
    """Set or clear the kind's trigger booleans the request names; other kinds' triggers are ignored."""
    for trigger in list(fields):
        if trigger.endswith("_events"):
            value = fields.pop(trigger)
            if trigger not in TRIGGERS_BY_KIND[kind] or value is None:
                continue
            (triggers.add if value else triggers.discard)(trigger)
    return triggers
