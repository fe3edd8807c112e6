"""Speeds up moto's request handling for the local stack's moto server, without changing any answer.

Profiled on moto 5.2.5 under the bench's load, these took most of the server's time:

- ``camelcase_to_underscores``: SQS rebuilds every queue attribute's name with it each time it reads a queue;
- ``backends.list_of_moto_modules``: the dispatcher lists moto's package directory on every request;
- ``jsonpath_ng.ext.parse``: EventBridge builds a parser (a PLY grammar) for each input path of each target, per event;
- the response serializer looks up every member of a structure through alias providers, even when the value is a
  plain dict already in wire form: each DynamoDB attribute value tries all ten of ``S``, ``N``, ``B``, ``M``, ...

- SQS with a deep queue (thousands of messages, issue 13's herd): each message sent computes the queue's attributes,
  three scans of every message that read the time through ``datetime`` twice per message; each receive scans the queue
  the same way; each delete and visibility change searches every message for its receipt handle, twice.

The first three are pure functions of their argument (or of the installed package) and are memoised. For the fourth,
a plain dict's member is looked up under the same candidate keys the alias providers give (memoised per member and
shape: for a dict they depend on nothing else). For SQS, the time is read from ``time.time_ns`` (the same arithmetic,
to the microsecond), a scan reads it once, and a receipt handle finds its message through an index of the handles
each message was given. A moto upgrade that moves any of these fails ``apply`` loudly, and
tests/integration/test_local_moto.py compares answers with and without the speed-ups.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import time
import weakref
from collections.abc import Callable
from typing import Any


def _memoise_everywhere(module: Any, name: str) -> None:
    """Replace ``module.name`` with a memoised copy, also where moto's modules imported it by name already."""
    original: Callable[..., Any] = getattr(module, name)
    cached = functools.lru_cache(maxsize=4096)(original)
    for loaded in list(sys.modules.values()):
        if getattr(loaded, "__name__", "").startswith("moto") and getattr(loaded, name, None) is original:
            setattr(loaded, name, cached)
    setattr(module, name, cached)


def apply() -> None:
    import jsonpath_ng.ext
    from moto import backends
    from moto.core import utils

    _memoise_everywhere(utils, "camelcase_to_underscores")
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)
    _plain_dict_members_looked_up_directly()
    _sqs_deep_queues()


def _plain_dict_members_looked_up_directly() -> None:
    from moto.core import serialize

    original = serialize.ResponseSerializer._serialize_structure_member
    candidates: dict[tuple[str, Any], tuple[str, ...]] = {}

    def serialize_member(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        picker = self._value_picker
        if (
            type(value) is not dict
            or type(picker) is not serialize.XFormedAttributePicker
            or picker.response_transformers
        ):
            return original(self, serialized, value, shape, key)
        keys = candidates.get((key, shape))
        if keys is None:
            context = serialize.AttributePickerContext(obj=value, key=key, shape=shape)
            keys = candidates[(key, shape)] = tuple(picker.get_possible_keys(context))
        if any("." in candidate for candidate in keys):  # a path into nested objects: moto's own lookup
            return original(self, serialized, value, shape, key)
        member = next((value[candidate] for candidate in keys if candidate in value), None)
        if member is not None:
            self._serialize(serialized, member, shape, key)
        return None

    serialize.ResponseSerializer._serialize_structure_member = serialize_member  # type: ignore[method-assign]


def _unix_time(dt: Any = None, _original: Callable[..., float] | None = None) -> float:
    """moto's ``unix_time``: seconds since the epoch, to the microsecond; without ``datetime`` when ``dt`` is None."""
    if dt is not None:
        assert _original is not None
        return _original(dt)
    days, rest = divmod(time.time_ns() // 1000, 86_400_000_000)
    seconds, micros = divmod(rest, 1_000_000)
    return days * 86400 + (seconds + micros / 1e6)


def _sqs_deep_queues() -> None:
    from moto.sqs import models

    unix_time = functools.partial(_unix_time, _original=models.unix_time)

    def unix_time_millis(dt: Any = None) -> float:
        return unix_time(dt) * 1000.0

    models.unix_time, models.unix_time_millis = unix_time, unix_time_millis
    queue_class: Any = models.Queue
    message_class: Any = models.Message
    backend_class: Any = models.SQSBackend

    def visible_now(queue: Any) -> list[Any]:
        now = unix_time_millis()
        return [m for m in queue._messages if now > m.visible_at and not now < m.delayed_until]

    def delayed_count(queue: Any) -> int:
        now = unix_time_millis()
        return sum(1 for m in queue._messages if now < m.delayed_until)

    def not_visible_count(queue: Any) -> int:
        now = unix_time_millis()
        return sum(1 for m in queue._messages if not now > m.visible_at)

    queue_class.messages = property(visible_now)
    queue_class.approximate_number_of_messages_delayed = property(delayed_count)
    queue_class.approximate_number_of_messages_not_visible = property(not_visible_count)

    # Every receipt handle a message was given, to the message (weakly: a deleted message goes with its handles).
    handles: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
    mark_received = message_class.mark_received

    def mark_received_indexed(self: Any, visibility_timeout: int | None = None) -> None:
        mark_received(self, visibility_timeout)
        handles[self.receipt_handle] = self

    def had_receipt_handle(self: Any, receipt_handle: str) -> bool:
        return receipt_handle == self.receipt_handle or receipt_handle in self._old_receipt_handles

    def holding(queue: Any, receipt_handle: str) -> Any:
        """The queue's message that had this receipt handle, or None."""
        message = handles.get(receipt_handle)
        if message is None or not message.had_receipt_handle(receipt_handle):
            return None
        return message if any(candidate is message for candidate in queue._messages) else None

    def delete_message(self: Any, receipt_handle: str) -> None:
        if receipt_handle in self.deleted_messages:
            return  # already deleted: moto answers as for a first delete
        message = holding(self, receipt_handle)
        if message is None:
            raise models.ReceiptHandleIsInvalid()
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)
        # In place (a Message compares by identity): moto rebuilds the list, and a message another server thread
        # sent meanwhile was lost when the rebuilt list replaced the one it had been appended to.
        with contextlib.suppress(ValueError):
            self._messages.remove(message)

    def change_message_visibility(self: Any, queue_name: str, receipt_handle: str, visibility_timeout: int) -> None:
        queue = self.get_queue(queue_name)
        message = holding(queue, receipt_handle)
        if message is None:
            raise models.ReceiptHandleIsInvalid
        given = unix_time_millis() + int(visibility_timeout) * 1000
        if given - message.sent_timestamp > 43200 * 1000:
            raise models.InvalidParameterValue(
                f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
                "VisibilityTimeout for the message is beyond the limit [43200 seconds]"
            )
        message.change_visibility(visibility_timeout)
        if message.visible and message in queue.pending_messages:
            queue.pending_messages.remove(message)

    def pending_message_groups(queue: Any) -> set[str]:
        # a copy first: another request's receive may add to the set meanwhile (moto serves requests in threads)
        return {m.group_id for m in list(queue._pending_messages) if m.group_id is not None}

    queue_class.pending_message_groups = property(pending_message_groups)
    message_class.mark_received = mark_received_indexed
    message_class.had_receipt_handle = had_receipt_handle
    queue_class.delete_message = delete_message
    backend_class.change_message_visibility = change_message_visibility
