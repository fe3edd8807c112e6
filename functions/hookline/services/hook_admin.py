"""Managing hooks: namespaces by id or path, create, read, update and delete, with GitLab's rules."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from hookline import settings
from hookline.adapters.delivery_store import DeliveryStore
from hookline.adapters.hook_store import HookLimitReached, HookNotFound, HookStore, ScopeTooLarge
from hookline.adapters.queue import OutgoingMessage, send_messages
from hookline.clock import CLOCK
from hookline.domain.branch_filter import (
    WILDCARD_MAX_LENGTH,
    BranchFilterStrategy,
    InvalidBranchFilter,
    InvalidWildcardFilter,
    validate_branch_filter,
)
from hookline.domain.delivery import (
    EVENT_TYPES_BY_LOG_TRIGGER,
    DeliveryResult,
    DeliveryTask,
    MaskedCredentials,
    current_url_hash,
    idempotency_key,
    masked_url,
    status_matches,
    unmasked_url,
)
from hookline.domain.errors import BadParameter, Invalid, NotFound, RateLimited, Refused, Unprocessable
from hookline.domain.events import DEFAULT_TRIGGERS, TRIGGERS_BY_KIND, HookKind
from hookline.domain.hook_state import AlertStatus
from hookline.domain.hooks import (
    MAX_LENGTHS,
    MAX_URL_LENGTH,
    Hook,
    HookFields,
    check_custom_headers,
    check_token,
    check_url_text,
    check_url_variables,
    missing_keys_message,
    missing_url_keys,
    namespace_key,
    normalize_path,
)
from hookline.domain.recursion import is_uuid
from hookline.domain.samples import (
    NOT_TESTABLE,
    SYSTEM_HOOK_TEST_EVENT,
    SYSTEM_HOOK_TEST_SAMPLE,
    TESTABLE_TRIGGERS,
    TRIGGER_EVENTS,
    sample_payload,
    sample_project,
)
from hookline.domain.signing import InvalidSigningToken, generate_signing_token, signing_key
from hookline.domain.url_policy import InvalidUrl, validate_url_syntax

if TYPE_CHECKING:  # the API builds its sender at the first hook test or resend (hookline.wiring)
    from hookline.services.delivery import DeliverySender

_PATH_SEGMENT = r"[A-Za-z0-9_.][A-Za-z0-9_.-]*"
#: Ids are 64-bit: a larger one names nothing (and DynamoDB numbers stop at 38 digits).
MAX_ID = 2**63 - 1
#: GitLab's full paths are at most a few hundred characters; a longer one names nothing.
MAX_PATH_LENGTH = 1024
_FULL_PATH = re.compile(rf"^{_PATH_SEGMENT}(?:/{_PATH_SEGMENT})*$")


@dataclass(frozen=True)
class Namespace:
    kind: HookKind
    keys: tuple[str, ...]  # the key it was addressed by first, then its alias if known
    id: int | None
    path: str | None


def namespace_not_found(kind: HookKind) -> NotFound:
    """``404 Project Not Found`` / ``404 Group Not Found``: an unknown namespace, or one the caller may not see."""
    return NotFound("Project" if kind is HookKind.PROJECT else "Group")


_UNSET: Any = object()
RECOVER_LIMIT = 500
HOOK_LIMITS = {HookKind.PROJECT: settings.MAX_PROJECT_HOOKS, HookKind.GROUP: settings.MAX_GROUP_HOOKS}
LogsWithPayloads = list[tuple[dict[str, Any], str | None]]  # a log item and its event's stored payload
LogItems = list[dict[str, Any]]
URL_CHANGED = "The hook URL has changed, and this log entry cannot be retried"
TRUNCATED = "This log entry was too large to keep whole, and cannot be retried"
HOOK_DISABLED = "Hook disabled"
#: The url variable and custom header endpoints: the hook field, its checker, GitLab's 404 label and its 422 message
#: when a key cannot be deleted.
PAIR_FIELDS: dict[str, tuple[Callable[[dict[str, str]], dict[str, str]], str, str]] = {
    "url_variables": (check_url_variables, "URL variable", "Could not unset variable"),
    "custom_headers": (check_custom_headers, "Custom header", "Could not unset custom header"),
}
#: GitLab's answers to a hook that fails validation on save (``save_hook``): these fields have a fixed message (the
#: reason stays on the error as its cause); any other is a model validation, ``{"message": {field: [message]}}``.
SAVE_ERRORS = {
    "url": "Invalid url given",
    "push_events_branch_filter": "Invalid branch filter given",
    "custom_headers": "Custom headers validation failed",
}
#: GitLab's answer when ``PUT …/url_variables/:key`` or ``…/custom_headers/:key`` cannot be saved.
ILLEGAL_PAIR = "Illegal key or value"


@dataclass
class HookAdmin:
    store: HookStore
    deliveries: DeliveryStore
    sender: DeliverySender
    delivery_queue_url: str
    instance_url: str
    clock: Callable[[], datetime] = CLOCK.now
    url_guard: Callable[[str], str | None] | None = None

    # --- namespaces ------------------------------------------------------------------------------------------
    def namespace(self, kind: HookKind, raw_ref: str | None, *, creating: bool = False) -> Namespace:
        """Resolve ``42`` or ``acme%2Fplatform%2Fapi``. Unknown namespaces are 404, except when a hook creates one."""
        if kind is HookKind.SYSTEM:
            return Namespace(kind, (namespace_key(kind, 0),), None, None)
        ref = unquote(raw_ref or "")
        parsed: int | str
        if ref.isascii() and ref.isdigit() and len(ref) <= 19 and 0 < int(ref) <= MAX_ID:  # isdigit() is true for "³"
            parsed = int(ref)
        elif len(ref) <= MAX_PATH_LENGTH and _FULL_PATH.match(ref) and not ref.isdigit():
            parsed = normalize_path(ref)
        else:
            raise namespace_not_found(kind)
        key = namespace_key(kind, parsed)
        known = self.store.scope_exists(key)
        if known is None and not creating:
            raise namespace_not_found(kind)
        alias = known.alias if known else None
        keys = (key, alias) if alias else (key,)
        alias_value = alias.split(":", 1)[1] if alias else None
        if isinstance(parsed, int):
            return Namespace(kind, keys, parsed, alias_value)
        return Namespace(kind, keys, int(alias_value) if alias_value and alias_value.isdigit() else None, parsed)

    # --- hooks -----------------------------------------------------------------------------------------------
    def list(self, namespace: Namespace) -> list[Hook]:
        return [_with_namespace(hook, namespace) for hook in self.store.list_for_scopes(namespace.keys)]

    def get(self, namespace: Namespace, hook_id: int) -> Hook:
        """The namespace's hook; 404 for another's, for a missing one, and for an id no hook can have."""
        if not 0 < hook_id <= MAX_ID:
            raise NotFound()
        hook = self.store.get(hook_id)
        if hook is None or hook.kind is not namespace.kind or hook.scope_key not in namespace.keys:
            raise NotFound()
        return _with_namespace(hook, namespace)

    def create(self, namespace: Namespace, request: HookFields) -> Hook:
        """A new hook of the namespace from the fields sent (``url`` is required)."""
        with _as_gitlab_saves():
            _unmasked(request.get("url") or "", None)  # a masked URL copied from a hook: its credentials stay there
            fields = _checked_fields({"url": "", **request})
            self._check_destination(fields["url"])
            _check_url_template(fields["url"], fields.get("url_variables", {}))
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
        limit = HOOK_LIMITS.get(namespace.kind)
        try:
            self.store.create(hook, limit=limit, also_counted=namespace.keys[1:])
        except HookLimitReached:
            label = "project" if namespace.kind is HookKind.PROJECT else "group"
            raise Invalid("base", f"Maximum number of {label} hooks ({limit}) exceeded") from None
        except ScopeTooLarge:
            raise _scope_too_large() from None
        return hook

    def update(self, namespace: Namespace, hook_id: int, request: HookFields) -> Hook:
        """Change the fields sent; the others keep their values (url variables and custom headers are merged)."""
        hook = self.get(namespace, hook_id)
        with _as_gitlab_saves():
            if request.get("url") is not None:  # the URL as shown, sent back: its masked credentials are the stored
                request = {**request, "url": _unmasked(request["url"], hook.url)}
            fields = _checked_fields(request, hook.branch_filter_strategy)
            if "branch_filter_strategy" in fields and "push_events_branch_filter" not in fields:
                kept: HookFields = {"push_events_branch_filter": hook.push_events_branch_filter}
                fields.update(_checked_fields(kept, fields["branch_filter_strategy"]))  # as the new strategy saves it
            if "url" in fields:
                self._check_destination(fields["url"])
            triggers = _apply_triggers(namespace.kind, set(hook.triggers), fields)
            signing = fields.pop("signing_token", _UNSET)
            updated = _secrets_kept(hook, _merged(hook, {**fields, "triggers": frozenset(triggers)}), fields)
            if signing is not _UNSET:
                updated = updated.with_signing_token(signing or None, self.clock())
            _check_url_template(updated.url, updated.url_variables)
        return self._save(updated)

    def rotate_signing_token(self, namespace: Namespace, hook_id: int) -> str:
        """Generate a signing token and return it, once; the previous one keeps signing for 24 h."""
        hook = self.get(namespace, hook_id)
        token = generate_signing_token()
        self._save(hook.with_signing_token(token, self.clock()))
        return token

    def set_pair(self, namespace: Namespace, hook_id: int, field: str, key: str, value: str | None) -> None:
        """Set (``value``) or delete (None) one url variable or custom header; 404 when deleting a missing key, and
        GitLab's 422 (``Illegal key or value``, ``Could not unset …``) when the hook would not be valid."""
        check, label, unset_refused = PAIR_FIELDS[field]
        hook = self.get(namespace, hook_id)
        pairs = dict(getattr(hook, field))
        if value is None and key not in pairs:
            raise NotFound(label)
        if value is None:
            del pairs[key]
        else:
            pairs[key] = value
        try:
            check(pairs)
            updated = _secrets_kept(hook, hook.model_copy(update={field: pairs}), {field})
            _check_url_template(updated.url, updated.url_variables)
        except Invalid as error:
            raise Unprocessable(ILLEGAL_PAIR if value is not None else unset_refused) from error
        self._save(updated)

    def _save(self, hook: Hook) -> Hook:
        """Store the hook as it now is: readable again (secrets that could not be opened are dropped)."""
        try:
            self.store.put(hook, new=False)
        except HookNotFound:
            raise NotFound() from None
        except ScopeTooLarge:
            raise _scope_too_large() from None
        return hook.model_copy(update={"unreadable": None})

    def delete(self, namespace: Namespace, hook_id: int) -> None:
        hook = self.get(namespace, hook_id)
        try:
            self.store.delete(hook)
        except HookNotFound:
            raise NotFound() from None

    # --- recent events and resend -----------------------------------------------------------------------------
    def events(
        self, namespace: Namespace, hook_id: int, statuses: frozenset[str], page: int, per_page: int
    ) -> tuple[LogsWithPayloads, int]:
        """One page of the hook's unexpired logs (newest first, filtered by status) with their payloads; the total."""
        hook = self.get(namespace, hook_id)
        index = self.deliveries.log_index(hook.id, self.clock())
        chosen = [ref for ref in index if not statuses or status_matches(ref.response_status, statuses)]
        start = (page - 1) * per_page
        logs = self.deliveries.get_logs(hook.id, chosen[start : start + per_page], self.clock())
        return self._with_payloads(logs), len(chosen)

    def event(self, namespace: Namespace, hook_id: int, event_id: int) -> tuple[dict[str, Any], str | None]:
        return self._with_payloads([self._log(self.get(namespace, hook_id), event_id)])[0]

    def _log(self, hook: Hook, event_id: int) -> dict[str, Any]:
        if not 0 < event_id <= MAX_ID:
            raise NotFound()
        log = self.deliveries.get_log(hook.id, event_id, self.clock())
        if log is None:
            raise NotFound()
        return log

    def _with_payloads(self, logs: LogItems) -> LogsWithPayloads:
        """Each log with the event's stored payload, which is its request body unless the log holds its own."""
        payloads = self.deliveries.get_payloads(log["event_uuid"] for log in logs if "request_data" not in log)
        return [(log, payloads.get(log["event_uuid"])) for log in logs]

    def resend(self, namespace: Namespace, hook_id: int, event_id: int) -> int:
        """Send a logged request again (same Idempotency-Key, not forced); the receiver's status code."""
        hook = self.get(namespace, hook_id)
        log = self._log(hook, event_id)
        if log.get("truncated"):
            raise Refused(TRUNCATED)
        if log["url"] != masked_url(hook.url) or log.get("url_hash", "") != (current_url_hash(hook) or ""):
            raise Refused(URL_CHANGED)
        now = self.clock()
        if hook.alert_status(now) is not AlertStatus.EXECUTABLE:
            raise Refused(HOOK_DISABLED)
        self._limit_manual_sends(hook, now)
        task = DeliveryTask(
            hook_id=hook.id,
            event_uuid=log["event_uuid"],
            event_name=EVENT_TYPES_BY_LOG_TRIGGER[log["trigger"]].name,
            idempotency_key=log["idempotency_key"],
            body=log.get("request_data"),
            queued_at=now,
            chain_uuid=_logged_chain(log),
        )
        result = self.sender.send_resend(hook, task)
        if result.status_code is None:
            raise Refused(result.internal_error or "internal error")
        return result.status_code

    def _limit_manual_sends(self, hook: Hook, now: datetime) -> None:
        """Tests and resends: 5 a minute per hook (a fixed window), then rate limited until the next window."""
        window = int(now.timestamp()) // 60 * 60
        if self.deliveries.count_in_window(f"manual-sends:{hook.id}", window) > settings.MANUAL_SENDS_PER_MINUTE:
            raise RateLimited(retry_after=window + 60 - int(now.timestamp()))

    def _check_destination(self, url: str) -> None:
        """On save, refuse a URL whose host is, or resolves to, a blocked address (checked again on every send)."""
        reason = self.url_guard(url) if self.url_guard else None
        if reason:
            raise Invalid("url", reason)

    # --- test and recover ------------------------------------------------------------------------------------
    def test(self, namespace: Namespace, hook_id: int, trigger: str) -> DeliveryResult:
        """Send GitLab's sample for ``trigger`` now, even to a disabled hook; a 2xx re-enables it. Anything else is
        a 422, and so is a trigger GitLab cannot test."""
        hook = self.get(namespace, hook_id)
        if trigger not in TRIGGERS_BY_KIND[hook.kind]:
            raise BadParameter("trigger does not have a valid value")
        now = self.clock()
        self._limit_manual_sends(hook, now)
        if trigger not in TESTABLE_TRIGGERS[hook.kind]:
            raise Refused(NOT_TESTABLE)
        project = sample_project(hook.kind, namespace.id or hook.namespace_id, namespace.path or hook.namespace_path)
        sample = sample_payload(trigger, project, self.instance_url, now)
        result = self.sender.send_test(hook, self._sample_task(hook, TRIGGER_EVENTS[trigger].name, sample, now))
        if result.status_code is None or not 200 <= result.status_code < 300:
            reason = result.internal_error or f"the receiver answered {result.status_code}"
            raise Refused(f"Hook execution failed: {reason}")
        return result

    def test_system(self, namespace: Namespace, hook_id: int) -> dict[str, Any]:
        """GitLab's system hook test: its fixed ``project_create`` sample, sent now; the sample is the answer,
        whatever the receiver says."""
        hook = self.get(namespace, hook_id)
        now = self.clock()
        self._limit_manual_sends(hook, now)
        sample = dict(SYSTEM_HOOK_TEST_SAMPLE)
        self.sender.send_test(hook, self._sample_task(hook, SYSTEM_HOOK_TEST_EVENT, sample, now))
        return sample

    @staticmethod
    def _sample_task(hook: Hook, event_name: str, sample: dict[str, Any], now: datetime) -> DeliveryTask:
        event_uuid = str(uuid.uuid4())
        return DeliveryTask(
            hook_id=hook.id,
            event_uuid=event_uuid,
            event_name=event_name,
            idempotency_key=idempotency_key(event_uuid, hook.id),
            body=json.dumps(sample, separators=(",", ":")),
            queued_at=now,
        )

    def recover(self, namespace: Namespace, hook_id: int, since: datetime, until: datetime | None) -> dict[str, int]:
        """Queue a hook's parked deliveries (parked in [since, until]) again, up to RECOVER_LIMIT per call."""
        hook = self.get(namespace, hook_id)
        now = self.clock()
        if hook.alert_status(now) is not AlertStatus.EXECUTABLE:
            raise Refused("Hook is disabled; a successful test re-enables it before recovery")
        parked = self.deliveries.parked(hook.id, since, until or now)
        chosen = parked[:RECOVER_LIMIT]
        fresh = {"attempt": 1, "queued_at": now, "not_before": None}
        self.deliveries.restore_payloads([key for key, _, _ in chosen], now)  # a parked delivery keeps its payload
        send_messages(
            self.delivery_queue_url,
            [
                OutgoingMessage(task.model_copy(update=fresh).model_dump_json(exclude_none=True))
                for _, task, _ in chosen
            ],
        )
        self.deliveries.delete_items([key for key, _, _ in chosen])
        return {"recovered": len(chosen), "remaining": len(parked) - len(chosen)}


def _logged_chain(log: dict[str, Any]) -> str | None:
    """The chain UUID a logged delivery carried, when it was not its event's own."""
    sent = (log.get("request_headers") or {}).get("X-Gitlab-Event-UUID")
    return sent if isinstance(sent, str) and sent != log["event_uuid"] and is_uuid(sent) else None


def _checked_fields(
    request: HookFields, current: BranchFilterStrategy = BranchFilterStrategy.WILDCARD
) -> dict[str, Any]:
    """The fields the request sets, validated by GitLab's rules (trigger fields are kept apart)."""
    fields: dict[str, Any] = dict(request)
    _check_lengths(fields)
    for name, (check, _, _) in PAIR_FIELDS.items():
        if name in fields:
            fields[name] = check(dict(fields[name] or {}))
            if not fields[name]:
                del fields[name]  # an empty list changes nothing (GitLab)
    if "url" in fields:
        if not fields["url"]:
            raise BadParameter("url is missing")
        if len(fields["url"]) > MAX_URL_LENGTH:  # refused before it is parsed
            check_url_text(fields["url"])
        try:
            validate_url_syntax(fields["url"])
        except InvalidUrl as error:
            raise Unprocessable(str(error)) from None
        check_url_text(fields["url"])
    if fields.get("token"):
        check_token(fields["token"])
    if fields.get("signing_token"):
        try:
            signing_key(fields["signing_token"])
        except InvalidSigningToken as error:
            raise Invalid("signing_token", str(error)) from None
    if fields.get("branch_filter_strategy") is None:
        fields.pop("branch_filter_strategy", None)
    for name in ("enable_ssl_verification", "concurrency_limit"):
        if name in fields and fields[name] is None:
            fields.pop(name)
    strategy = fields.get("branch_filter_strategy") or current
    try:
        saved_filter = validate_branch_filter(strategy, fields.get("push_events_branch_filter"))
    except InvalidWildcardFilter as error:
        raise Invalid("push_events_branch_filter", str(error)) from None  # GitLab: Invalid branch filter given
    except InvalidBranchFilter as error:
        raise BadParameter(f"push_events_branch_filter {error}") from None
    if len(saved_filter or "") > WILDCARD_MAX_LENGTH:  # any strategy: the routing item holds it
        limit = WILDCARD_MAX_LENGTH
        raise BadParameter(f"push_events_branch_filter is too long (maximum is {limit} characters)")
    if "push_events_branch_filter" in fields:
        fields["push_events_branch_filter"] = saved_filter
    if strategy is BranchFilterStrategy.ALL_BRANCHES:
        fields["push_events_branch_filter"] = None  # GitLab drops the filter of an all_branches hook
    return fields


def _check_lengths(fields: dict[str, Any]) -> None:
    """GitLab's model validations of the free-text fields: 422, as Rails words them."""
    for name, limit in MAX_LENGTHS.items():
        if len(fields.get(name) or "") > limit:
            raise Invalid(name, f"is too long (maximum is {limit} characters)")


def _apply_triggers(kind: HookKind, triggers: set[str], fields: dict[str, Any]) -> set[str]:
    """Set or clear the kind's trigger booleans the request names; other kinds' triggers are ignored."""
    for trigger in list(fields):
        if trigger.endswith("_events"):
            value = fields.pop(trigger)
            if trigger not in TRIGGERS_BY_KIND[kind] or value is None:
                continue
            (triggers.add if value else triggers.discard)(trigger)
    return triggers


@contextmanager
def _as_gitlab_saves() -> Iterator[None]:
    """GitLab's answers to a hook that fails validation on save: its fixed message for the url, the branch filter
    and the custom headers (``Unprocessable``, caused by the reason), a model validation for any other field."""
    try:
        yield
    except Invalid as error:
        fixed = SAVE_ERRORS.get(error.field)
        if fixed is None:
            raise
        raise Unprocessable(fixed) from error


def _unmasked(sent: str, stored: str | None) -> str:
    try:
        return unmasked_url(sent, stored)
    except MaskedCredentials as error:
        raise Invalid("url", str(error)) from None


def _with_namespace(hook: Hook, namespace: Namespace) -> Hook:
    """The hook with what Hookline has learned of its namespace since it was made: a hook registered by path gets
    its project's (or group's) id once an event names both (kept on the hook's next save)."""
    known = {"namespace_id": namespace.id, "namespace_path": namespace.path}
    missing = {name: value for name, value in known.items() if getattr(hook, name) is None and value is not None}
    return hook.model_copy(update=missing) if missing else hook


def _merged(old: Hook, update: dict[str, Any]) -> Hook:
    """The hook with the update applied; url variables and custom headers sent are merged into the hook's (a key
    sent again replaces its value, as GitLab does), unless the update changes the destination (the URL with its
    variables filled in): then only the pairs sent are kept, so old secrets never follow a new destination."""
    merged = {name: {**getattr(old, name), **update[name]} for name in PAIR_FIELDS if name in update}
    new = old.model_copy(update={**update, **merged})
    if merged and (new.url != old.url or current_url_hash(new) != current_url_hash(old)):
        new = old.model_copy(update=update)
    for name in merged:
        PAIR_FIELDS[name][0](getattr(new, name))  # the caps hold after merging
    return new


def _secrets_kept(old: Hook, new: Hook, sent: Collection[str]) -> Hook:
    """A new destination (the URL, or its variables filled in) does not inherit the old one's token, custom headers
    and url variables, unless the request sets them too (GitLab)."""
    if new.url == old.url and current_url_hash(new) == current_url_hash(old):
        return new
    cleared: dict[str, Any] = {"token": None, "custom_headers": {}, "url_variables": {}}
    return new.model_copy(update={name: value for name, value in cleared.items() if name not in sent})


def _scope_too_large() -> Invalid:
    """DynamoDB's 400 KB per item: the namespace's routing item holds every hook's branch filter."""
    return Invalid(
        "push_events_branch_filter",
        "together with the namespace's other hooks' filters, exceeds the space Hookline has for them",
    )


def _check_url_template(url: str, variables: dict[str, str]) -> None:
    """Every ``{key}`` in the URL needs a url variable (GitLab validates this on save)."""
    missing = missing_url_keys(url, variables)
    if missing:
        raise Invalid("url", missing_keys_message(missing))
