"""The recursion guard's shell, for the events of a batch that join a chain: one read of their chains, GitLab's rule
decided per chain by :func:`hookline.domain.recursion.admit_chain`, one conditional write per chain (a concurrent
writer makes it read and decide again). An event that starts a chain records it with its payload (fan-out's write)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from hookline.adapters.delivery_store import DeliveryStore
from hookline.domain.recursion import Admission, Chain, ChainEvent, ChainKey, admit_chain

#: Conditional writes of one chain per batch before the batch fails (and comes back whole: at-least-once).
WRITE_ATTEMPTS = 8


class ChainContended(RuntimeError):
    """A chain kept changing under this batch; the batch is retried."""


@dataclass
class RecursionGuard:
    store: DeliveryStore

    def admit(self, events: list[ChainEvent], now: datetime) -> list[Admission]:
        """Each event's admission, in the order given (no AWS call when no event joins a chain)."""
        by_chain: dict[ChainKey, list[int]] = defaultdict(list)
        for index, event in enumerate(events):
            by_chain[event.key].append(index)
        chains = self.store.get_chains(by_chain, now) if by_chain else {}
        admissions: dict[int, Admission] = {}
        for key, indexes in by_chain.items():
            decided = self._decide(key, [events[i] for i in indexes], chains[key], now)
            admissions.update(zip(indexes, decided, strict=True))
        return [admissions[index] for index in range(len(events))]

    def _decide(self, key: ChainKey, members: list[ChainEvent], chain: Chain, now: datetime) -> list[Admission]:
        """Decide and store, again from the stored chain whenever another batch changed it in between."""
        for _ in range(WRITE_ATTEMPTS):
            decided, calls = admit_chain(chain, members)
            if calls == dict(chain.calls) or self.store.put_chain(key, calls, chain.version, now):
                return decided
            chain = self.store.get_chains([key], now)[key]
        raise ChainContended(f"the recursion chain {key.uuid} kept changing")
