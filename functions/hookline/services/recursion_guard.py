"""The recursion guard's shell: one read of the chains a batch's events join, GitLab's rule decided per chain by
:func:`hookline.domain.recursion.admit_chain`, one conditional write per chain (a concurrent writer makes it read
and decide again). Chains that events start are written with the batch's payloads (they are new: nothing to read).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hookline.adapters.delivery_store import DeliveryStore
from hookline.domain.recursion import Admission, Chain, ChainEvent, ChainKey, admit_chain

#: Conditional writes of one chain per batch before the batch fails (and comes back whole: at-least-once).
WRITE_ATTEMPTS = 8


class ChainContended(RuntimeError):
    """A chain kept changing under this batch; the batch is retried."""


@dataclass
class GuardOutcome:
    admissions: list[Admission]  # in the order of the events given
    new_chain_items: list[dict[str, Any]] = field(default_factory=list)  # to write with the batch's payloads


@dataclass
class RecursionGuard:
    store: DeliveryStore

    def admit(self, events: list[ChainEvent], now: datetime) -> GuardOutcome:
        by_chain: dict[ChainKey, list[int]] = defaultdict(list)
        for index, event in enumerate(events):
            by_chain[event.key].append(index)
        joined = [key for key, indexes in by_chain.items() if any(events[i].chained for i in indexes)]
        stored = self.store.get_chains(joined, now) if joined else {}
        admissions: list[Admission | None] = [None] * len(events)
        outcome = GuardOutcome([])
        for key, indexes in by_chain.items():
            members = [events[i] for i in indexes]
            if key in joined:
                decided = self._joined(key, members, stored.get(key, Chain({})), now)
            else:  # chains started by this batch's events: new, written with the payloads
                decided, calls = admit_chain(Chain({}), members)
                if calls:
                    outcome.new_chain_items.append(self.store.chain_item(key, calls, 1, now))
            for index, admission in zip(indexes, decided, strict=True):
                admissions[index] = admission
        outcome.admissions = [admission for admission in admissions if admission is not None]
        return outcome

    def _joined(self, key: ChainKey, members: list[ChainEvent], chain: Chain, now: datetime) -> list[Admission]:
        """Decide and store, again from the stored chain whenever another batch changed it in between."""
        for _ in range(WRITE_ATTEMPTS):
            decided, calls = admit_chain(chain, members)
            if calls == dict(chain.calls) or self.store.put_chain(key, calls, chain.version, now):
                return decided
            chain = self.store.get_chains([key], now).get(key, Chain({}))
        raise ChainContended(f"the recursion chain {key.uuid} kept changing")
