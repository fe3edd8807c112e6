"""The local stack's moto server: a process of its own that stops with its parent, and moto's memoised hot spots."""

from __future__ import annotations

import signal
from typing import Any

import boto3

from infra.local import moto_speedups
from infra.local.moto_server import MotoProcess


def test_moto_runs_in_its_own_process_and_stops_when_asked() -> None:
    moto = MotoProcess("127.0.0.1", 0)
    try:
        assert moto.port > 0 and moto.child.process.poll() is None
        sqs = _client("sqs", moto.endpoint)
        url = sqs.create_queue(QueueName="child-check")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
        assert message["Body"] == "hello"
        moto.child.process.send_signal(signal.SIGINT)  # Ctrl-C reaches the process group: the parent decides
        assert sqs.get_queue_url(QueueName="child-check")["QueueUrl"] == url
    finally:
        moto.stop()
    assert moto.child.process.returncode is not None


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


_ITEM = {
    "pk": {"S": "HOOK#1"},
    "sk": {"S": "HOOK"},
    "n": {"N": "42"},
    "b": {"B": b"\x00\x01zlib"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"x", b"y"]},
    "m": {"M": {"inner": {"L": [{"S": "s"}, {"BOOL": True}, {"NULL": True}, {"M": {}}]}}},
    "l": {"L": []},
}


def _answers(endpoint: str) -> list[Any]:
    """The same calls on a fresh moto: DynamoDB items of every type, SQS attributes, EventBridge routing to SQS."""
    dynamodb, sqs, events = (_client(name, endpoint) for name in ("dynamodb", "sqs", "events"))
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    dynamodb.create_table(
        TableName="t",
        KeySchema=keys,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="t", Item=_ITEM)
    key = {"pk": _ITEM["pk"], "sk": _ITEM["sk"]}
    table = dynamodb.describe_table(TableName="t")["Table"]
    answers: list[Any] = [
        {name: table[name] for name in ("KeySchema", "AttributeDefinitions", "TableStatus", "ItemCount")},
        dynamodb.get_item(TableName="t", Key=key)["Item"],
        dynamodb.batch_get_item(RequestItems={"t": {"Keys": [key, {"pk": {"S": "none"}, "sk": {"S": "x"}}]}})["Responses"],
        dynamodb.query(
            TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": _ITEM["pk"]}
        )["Items"],
        dynamodb.update_item(
            TableName="t", Key=key, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )["Attributes"],
    ]  # fmt: skip
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "7"})["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    answers.append({name: attributes[name] for name in ("VisibilityTimeout", "DelaySeconds", "MaximumMessageSize")})
    arn = attributes["QueueArn"]
    events.put_rule(Name="r", EventPattern='{"source": ["p"]}')
    transformer = {"InputPathsMap": {"ref": "$.detail.payload.ref"}, "InputTemplate": '{"ref": "<ref>"}'}
    events.put_targets(Rule="r", Targets=[{"Id": "1", "Arn": arn, "InputTransformer": transformer}])
    for ref in ("main", "dev"):
        detail = f'{{"payload": {{"ref": "{ref}"}}}}'
        events.put_events(Entries=[{"Source": "p", "DetailType": "Push Hook", "Detail": detail}])
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    answers.append(sorted(message["Body"] for message in messages))
    answers.append(_receipt_handle_answers(sqs))
    return answers


def _receipt_handle_answers(sqs: Any) -> list[Any]:
    """Receives, visibility changes and deletes by receipt handle (old, current, unknown), with the queue's counts."""
    url = sqs.create_queue(QueueName="handles")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(5)])
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    counts = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    answers: list[Any] = []

    def state() -> None:
        answers.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=counts)["Attributes"])

    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=30)["Messages"]
    state()
    old = first[0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=old, VisibilityTimeout=0)  # back on the queue
    state()
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]
    answers.append(sorted(message["Body"] for message in again))
    handles = [first[1]["ReceiptHandle"], old, "unknown-handle"]
    answers.append(
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0} for i, h in enumerate(handles)],
        ).get("Failed", [])
    )
    for batch in ([old], handles):  # a message deleted by an old handle, then again; an unknown handle fails
        deleted = sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(batch)]
        )
        answers.append((sorted(item["Id"] for item in deleted.get("Successful", [])), deleted.get("Failed", [])))
    state()
    return answers


def test_moto_answers_the_same_with_and_without_the_speedups() -> None:
    answers = []
    for speedups in (False, True):
        moto = MotoProcess("127.0.0.1", 0, speedups=speedups)
        try:
            answers.append(_answers(moto.endpoint))
        finally:
            moto.stop()
    assert answers[0] == answers[1]
    assert answers[1][1] == _ITEM and answers[1][-2] == ['{"ref": "dev"}', '{"ref": "main"}']
    handles = answers[1][-1]  # a message made visible again is received again; an unknown handle fails its entry
    assert "m0" in handles[2] and handles[-2][1][0]["Code"] == "ReceiptHandleIsInvalid", handles


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
