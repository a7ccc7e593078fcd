#!/usr/bin/env python3
"""Quick check that the local test servers do what the Rust tests rely on.

Run with the venv's python (it has boto3, installed with moto) after
`eval "$(infra/scripts/test-servers.sh start)"`, or let test-all.sh run it.
Uses only the AWS_* variables that test-servers.sh exports.

- DynamoDB Local: CreateTable, PutItem, GetItem, DeleteTable.
- moto SQS over the JSON protocol (what aws-sdk-sqs speaks): CreateQueue with a
  RedrivePolicy to a DLQ, SendMessage, ReceiveMessage, and a message received
  more than maxReceiveCount times lands in the DLQ.
"""

import os
import sys
import uuid

import boto3


def check_dynamodb() -> None:
    ddb = boto3.client("dynamodb")  # endpoint from AWS_ENDPOINT_URL_DYNAMODB
    table = f"smoke-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    ddb.put_item(TableName=table, Item={"pk": {"S": "r1"}, "n": {"N": "42"}})
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "r1"}}, ConsistentRead=True)
    assert got["Item"] == {"pk": {"S": "r1"}, "n": {"N": "42"}}, got
    assert table in ddb.list_tables()["TableNames"]
    ddb.delete_table(TableName=table)


def check_sqs() -> None:
    sqs = boto3.client("sqs")  # endpoint from AWS_ENDPOINT_URL_SQS
    seen_protocols = set()

    def record(request, **_):
        seen_protocols.add(request.headers.get("Content-Type", b""))

    sqs.meta.events.register("before-send.sqs.*", record)
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"2"}}',
        },
    )["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    for attempt in (1, 2):
        msgs = sqs.receive_message(QueueUrl=url, AttributeNames=["All"]).get("Messages", [])
        assert len(msgs) == 1 and msgs[0]["Body"] == "hello", (attempt, msgs)
        assert msgs[0]["Attributes"]["ApproximateReceiveCount"] == str(attempt), msgs
    # The third receive exceeds maxReceiveCount: the message moves to the DLQ.
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    dead = sqs.receive_message(QueueUrl=dlq_url).get("Messages", [])
    assert [m["Body"] for m in dead] == ["hello"], dead
    sqs.delete_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=dlq_url)
    protocols = {p.decode() if isinstance(p, bytes) else p for p in seen_protocols}
    assert protocols == {"application/x-amz-json-1.0"}, f"SQS was not spoken over JSON: {protocols}"


def main() -> int:
    for var in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS"):
        if not os.environ.get(var, "").startswith("http://127.0.0.1:"):
            print(f"smoke: {var} is not set to a local server", file=sys.stderr)
            return 2
    check_dynamodb()
    print(f"smoke: DynamoDB Local ok ({os.environ['AWS_ENDPOINT_URL_DYNAMODB']})")
    check_sqs()
    print(f"smoke: moto SQS (JSON protocol, redrive to DLQ) ok ({os.environ['AWS_ENDPOINT_URL_SQS']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
