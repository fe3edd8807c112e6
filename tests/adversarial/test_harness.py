"""The harness itself: with an honest hostile hook, the invariant holds and the hostile hook is delivered too."""

from __future__ import annotations

from tests.adversarial.neighbours import Bulkhead


def test_an_honest_hook_leaves_its_neighbours_one_delivery_each(bulkhead: Bulkhead) -> None:
    hook = bulkhead.hostile_hook(token="an-honest-secret")
    assert hook.status_code == 201
    bulkhead.run()
    bulkhead.assert_invariant()
    assert len(bulkhead.receiver.to(bulkhead.hostile_path)) == 1
    assert len(bulkhead.hostile_logs(hook.json()["id"])) == 1
