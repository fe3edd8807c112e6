"""The local stack's moto server: a process of its own that stops with its parent, and moto's memoised hot spots."""

from __future__ import annotations

import boto3

from infra.local import moto_speedups
from infra.local.moto_server import MotoProcess


def test_moto_runs_in_its_own_process_and_stops_when_asked() -> None:
    moto = MotoProcess("127.0.0.1", 0)
    try:
        assert moto.port > 0 and moto.child.process.poll() is None
        sqs = boto3.client(
            "sqs",
            endpoint_url=moto.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        url = sqs.create_queue(QueueName="child-check")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
        assert message["Body"] == "hello"
    finally:
        moto.stop()
    assert moto.child.process.returncode is not None


def test_memoised_functions_answer_as_before() -> None:
    import jsonpath_ng.ext
    from moto import backends
    from moto.core import utils

    names = ["ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "FifoQueue", "KmsMasterKeyId", "QueueArn"]
    before = [utils.camelcase_to_underscores(name) for name in names]
    modules = list(backends.list_of_moto_modules())
    found = [match.value for match in jsonpath_ng.ext.parse("$.detail.payload.ref").find(_DOC)]

    moto_speedups.apply()

    assert [utils.camelcase_to_underscores(name) for name in names] == before
    assert list(backends.list_of_moto_modules()) == modules and "sqs" in modules
    assert [match.value for match in jsonpath_ng.ext.parse("$.detail.payload.ref").find(_DOC)] == found == ["main"]
    assert jsonpath_ng.ext.parse("$.a") is jsonpath_ng.ext.parse("$.a")  # built once


_DOC = {"detail": {"payload": {"ref": "main"}}}
