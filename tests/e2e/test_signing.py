"""Signing tokens on the local stack: deliveries carry webhook-signature, verified by the standardwebhooks library,
with both signatures during a rotation."""

from __future__ import annotations

import json

import gitlab
import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hookline import settings
from hookline.domain.signing import generate_signing_token
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack


def _push(stack: LocalStack, n: int) -> None:
    detail = {"scope": {"project": {"path": "signed/svc"}}, "payload": {"ref": "refs/heads/main", "n": n}}
    answer = stack.client("events").put_events(
        Entries=[
            {
                "Source": "gitlab.test",
                "DetailType": "Push Hook",
                "Detail": json.dumps(detail),
                "EventBusName": settings.bus_name(),
            }
        ]
    )
    assert answer["FailedEntryCount"] == 0


def test_signed_deliveries_verify_and_rotation_signs_with_both(
    running: LocalStack, gl: gitlab.Gitlab, receiver: Receiver
) -> None:
    first_token = generate_signing_token()
    project = gl.projects.get("signed/svc", lazy=True)
    hook = project.hooks.create({"url": receiver.url("/signed"), "signing_token": first_token})
    assert hook.signing_token_present is True and not hasattr(hook, "signing_token")

    _push(running, 1)
    (first,) = receiver.wait_for(lambda requests: len(requests) >= 1)
    assert len(first.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(first_token).verify(first.body, dict(first.headers)) == {"ref": "refs/heads/main", "n": 1}

    rotated = gl.http_post(f"/projects/signed%2Fsvc/hooks/{hook.id}/signing_token")
    second_token = rotated["signing_token"]
    assert second_token.startswith("whsec_") and second_token != first_token
    _push(running, 2)
    second = receiver.wait_for(lambda requests: len(requests) >= 2)[1]
    assert len(second.headers["webhook-signature"].split(" ")) == 2
    for token in (first_token, second_token):
        assert Webhook(token).verify(second.body, dict(second.headers))["n"] == 2
    try:
        Webhook(generate_signing_token()).verify(second.body, dict(second.headers))
    except WebhookVerificationError:
        pass
    else:
        raise AssertionError("a stranger's key verified the signature")
    hook.delete()


def test_a_malformed_signing_token_is_refused(running: LocalStack) -> None:
    response = httpx.post(
        f"{running.api_url}/api/v4/projects/signed%2Fbad/hooks",
        json={"url": "https://example.invalid/h", "signing_token": "not-a-whsec-token"},
        headers={"PRIVATE-TOKEN": running.admin_token},
    )
    assert response.status_code == 422
    assert set(response.json()["message"]) == {"signing_token"}
