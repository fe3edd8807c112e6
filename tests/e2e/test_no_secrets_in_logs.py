"""No secret value in the handlers' logs (the Lambda logs) of a run that creates, sends, fails, tests and resends."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import gitlab
import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from hookline import settings
from hookline.domain.signing import generate_signing_token
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack


@pytest.fixture
def lambda_logs() -> Iterator[io.StringIO]:
    """Everything the handlers log through Powertools, formatted as Lambda would write it, at DEBUG."""
    logger = logging.getLogger(settings.SERVICE_NAME)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LambdaPowertoolsFormatter())
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_the_lambda_logs_hold_no_secret(
    running: LocalStack, gl: gitlab.Gitlab, receiver: Receiver, lambda_logs: io.StringIO
) -> None:
    signing = generate_signing_token()
    secrets = ["TOKEN-never-logged", signing, "VARIABLE-never-logged", "HEADER-never-logged"]
    project = gl.projects.get("quiet/svc", lazy=True)
    hook = project.hooks.create(
        {
            "url": receiver.url("/{slot}"),
            "token": secrets[0],
            "signing_token": signing,
            "url_variables": [{"key": "slot", "value": secrets[2]}],
            "custom_headers": [{"key": "X-Api-Key", "value": secrets[3]}],
        }
    )
    receiver.statuses[f"/{secrets[2]}"] = 500  # a failure, so warnings and retries are logged too
    detail = {"scope": {"project": {"path": "quiet/svc"}}, "payload": {"ref": "refs/heads/main"}}
    running.client("events").put_events(
        Entries=[
            {
                "Source": "gitlab.test",
                "DetailType": "Push Hook",
                "Detail": json.dumps(detail),
                "EventBusName": settings.bus_name(),
            }
        ]
    )
    receiver.wait_for(lambda requests: len(requests) >= 1)
    receiver.statuses[f"/{secrets[2]}"] = 200
    hook.test("push_events")
    (event,) = [
        e for e in gl.http_get(f"/projects/quiet%2Fsvc/hooks/{hook.id}/events") if e["response_status"] == "200"
    ][:1]
    gl.http_post(f"/projects/quiet%2Fsvc/hooks/{hook.id}/events/{event['id']}/resend")
    hook.delete()

    logged = lambda_logs.getvalue()
    assert "Fan-out done" in logged  # the capture works
    for secret in secrets:
        assert secret not in logged
