"""GitLab's recursion guard (``Gitlab::WebHooks::RecursionDetection``), decided per event at fan-out.

A chain is the events that webhooks trigger one after another: an event whose producer passes the
``X-Gitlab-Event-UUID`` of the request that caused it (``detail.gitlab_event_uuid``) joins that request's chain, and
its deliveries carry that UUID; any other event starts a chain of its own, under its own id, and is never blocked. A
chain remembers the hooks it called: an event that joins it does not call a hook it called already, nor any hook once
it called ``CHAIN_LIMIT``; a blocked delivery is not sent, not logged and not counted.

Hookline keeps a chain per tenant (the event's top-level namespace): a producer that passes another tenant's UUID
starts a chain of its own under that UUID, so it can neither block that tenant's hooks nor fill its chain. A chain
holds at most ``CHAIN_LIMIT`` hook ids and is forgotten ``CHAIN_TTL`` after its last call (GitLab's 30 minutes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

#: GitLab's ``COUNT_LIMIT`` and ``TOUCH_CACHE_TTL``.
CHAIN_LIMIT = 100
CHAIN_TTL = timedelta(minutes=30)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_uuid(value: object) -> bool:
    """A UUID in its 36-character form, any case."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


@dataclass(frozen=True)
class ChainKey:
    tenant: str  # the top-level namespace path (or the namespace's key when only its id is known)
    uuid: str


@dataclass(frozen=True)
class Chain:
    """The hooks a chain called, each with the event that called it; ``version`` 0: not stored yet."""

    calls: Mapping[int, str]
    version: int = 0


@dataclass(frozen=True)
class ChainRoot:
    """What an event that starts a chain records with its payload: its tenant and (at most ``CHAIN_LIMIT`` of) the
    hooks it calls. No item of its own: the chain item is written by the first event that joins the chain."""

    tenant: str
    hook_ids: tuple[int, ...]

    @classmethod
    def of(cls, tenant: str, hook_ids: Iterable[int]) -> ChainRoot:
        return cls(tenant, tuple(dict.fromkeys(hook_ids))[:CHAIN_LIMIT])


def joined_chain(stored: Chain | None, root: ChainRoot | None, key: ChainKey, root_fresh: bool) -> Chain:
    """The chain an event joins: as stored once an event joined it, else as the event that started it recorded it
    (the same tenant's, within ``CHAIN_TTL``), else empty."""
    if stored is not None and stored.version != 0:
        return stored
    if root is not None and root.tenant == key.tenant and root_fresh:
        return Chain(dict.fromkeys(root.hook_ids, key.uuid), stored.version if stored else 0)
    return stored or Chain({})


@dataclass(frozen=True)
class Admission:
    """One event's matched hooks, split into those it may call and those the guard blocks."""

    allowed: tuple[int, ...]
    blocked: tuple[int, ...]


def chain_tenant(namespace_key: str, paths: Iterable[str | None]) -> str:
    """The tenant a chain belongs to: the top-level group of the first path known, else the namespace's key."""
    for path in paths:
        if path:
            return path.strip("/").split("/", 1)[0].lower()
    return namespace_key


def admit(calls: dict[int, str], event_uuid: str, hook_ids: Sequence[int], limit: int = CHAIN_LIMIT) -> Admission:
    """GitLab's rule for one event that joins a chain, recording the calls it makes in ``calls`` (changed in place).

    A hook this very event called before (its batch is being processed again) is allowed again."""
    allowed: list[int] = []
    blocked: list[int] = []
    for hook_id in hook_ids:
        caller = calls.get(hook_id)
        if caller == event_uuid:
            allowed.append(hook_id)
        elif caller is not None or len(calls) >= limit:
            blocked.append(hook_id)
        else:
            calls[hook_id] = event_uuid
            allowed.append(hook_id)
    return Admission(tuple(allowed), tuple(blocked))


@dataclass(frozen=True)
class ChainEvent:
    """An event that joins a chain, as the guard sees it: the chain, its id, its matched hooks."""

    key: ChainKey
    event_uuid: str
    hook_ids: tuple[int, ...]


def admit_chain(
    chain: Chain, events: Sequence[ChainEvent], limit: int = CHAIN_LIMIT
) -> tuple[list[Admission], dict[int, str]]:
    """The events of one chain, in batch order, against the chain as it stands: their admissions and the new calls."""
    calls = dict(chain.calls)
    return [admit(calls, event.event_uuid, event.hook_ids, limit) for event in events], calls
