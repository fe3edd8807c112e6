"""SQS fair queues on moto: a standard queue hands out its messages fairly between message groups.

moto 5.2.5 takes ``MessageGroupId`` on a standard queue and keeps it, but hands messages out in arrival order, so a
group with a deep backlog delays every message behind it. SQS fair queues do not (SQS Developer Guide, "How Amazon SQS
fair queues work"):

1. a message's tenant is its MessageGroupId; each message without one is a tenant of its own;
2. a tenant with a disproportionate share of the messages in flight is a noisy neighbour: while a quiet tenant's
   message is available, consumers get that first;
3. noisy neighbours' messages are neither dropped nor throttled: when no quiet message waits, they are handed out;
4. among noisy tenants, the one with the fewest messages in flight goes first;
5. with no backlog (steady state) nothing changes: every message is handed out as it comes.

Here every ``ReceiveMessage`` of a standard queue whose visible messages carry groups hands them out in this order:
the tenant with the fewest messages in flight first (counting the ones this very call hands out), ties by arrival.
That is rules 1-5 with SQS's detection thresholds (over 10% of the messages in flight and at least 30 of its own) at
zero: the local stack has a few consumers of ten messages each, not Lambda's hundreds, and at SQS's thresholds it would
never call a tenant noisy. A queue none of whose messages has a group answers exactly as moto does.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def fair_order(visible: list[Any], in_flight: Counter[str]) -> list[Any]:
    """``visible`` (in arrival order) as a fair receive hands them out: a message's rank is its group's messages in
    flight plus the messages of its group before it; ties by arrival. A message without a group ranks 0 (a tenant of
    its own with nothing in flight)."""
    seen: Counter[str] = Counter()
    keyed = []
    for position, message in enumerate(visible):
        group = message.group_id
        if group is None:
            rank = 0
        else:
            rank = in_flight[group] + seen[group]
            seen[group] += 1
        keyed.append((rank, position, message))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [message for _, _, message in keyed]


def apply() -> None:
    """Make moto's standard queues hand out messages as fair queues do (idempotent)."""
    from moto.sqs.models import Queue

    if getattr(Queue, "_hookline_fair", False):
        return
    arrival_order = Queue.messages

    def messages(self: Any) -> list[Any]:
        visible: list[Any] = arrival_order.fget(self)  # type: ignore[attr-defined]
        if self.fifo_queue or not any(message.group_id is not None for message in visible):
            return visible
        in_flight = Counter(
            message.group_id
            for message in self._pending_messages.copy()  # one C call: other threads may change the set
            if message.group_id is not None and not message.visible
        )
        return fair_order(visible, in_flight)

    Queue.messages = property(messages)  # type: ignore[method-assign,assignment]
    Queue._hookline_fair = True  # type: ignore[attr-defined]
