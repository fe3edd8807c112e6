import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hookline.domain.signing import InvalidSigningToken, generate_signing_token, signature_header, signing_key

BODY = b'{"object_kind":"push"}'


def test_signatures_verify_with_the_standard_webhooks_library() -> None:
    token = generate_signing_token()
    now = int(time.time())  # the verifier checks the timestamp against its own clock
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now)}
    headers["webhook-signature"] = signature_header([token], "msg_1", now, BODY)
    assert Webhook(token).verify(BODY, headers) == {"object_kind": "push"}


def test_during_a_rotation_both_tokens_verify() -> None:
    old, new = generate_signing_token(), generate_signing_token()
    now = int(time.time())
    header = signature_header([new, old], "msg_2", now, BODY)
    headers = {"webhook-id": "msg_2", "webhook-timestamp": str(now), "webhook-signature": header}
    assert len(header.split(" ")) == 2
    for token in (old, new):
        Webhook(token).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_signing_token()).verify(BODY, headers)


@pytest.mark.parametrize("token", ["secret", "whsec_not-base64!", "whsec_" + "QUJD", ""])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidSigningToken):
        signing_key(token)
