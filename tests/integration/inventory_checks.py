"""Reads of a deployed inventory stack on the local cloud: table, alerts, reports, the stream.

Alerts come from the table's stream, which the local cloud (like AWS) delivers asynchronously
in batches: ``stream_barrier`` writes a marker item that alerts and waits for its alert, so
every write before it has been through ``notify_low_stock`` when it returns (then it removes the
marker and waits until the marker's store counts no item).
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

from tests.integration.local_stack import DeployedStack, Row
from tests.local_cloud.conftest import wait_for

BARRIER_STORE = "~barrier"


def scan_table(stack: DeployedStack) -> list[Row]:
    dynamodb = stack.target.client("dynamodb")
    rows: list[Row] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=stack.outputs["table_name"]):
        for item in page["Items"]:
            if item["store"]["S"] == BARRIER_STORE:
                continue
            rows.append((item["store"]["S"], item["item"]["S"], int(item["count"]["N"])))
    return sorted(rows)


def count_items(stack: DeployedStack) -> int:
    dynamodb = stack.target.client("dynamodb")
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=stack.outputs["table_name"], Select="COUNT"
    )
    return sum(int(page["Count"]) for page in pages)


def alerts(stack: DeployedStack) -> list[tuple[str, str]]:
    """(store, item) of every alert published to the stack's topic, in order."""
    url = f"{stack.target.endpoint_url}/_local/sns/messages"
    with urllib.request.urlopen(url, timeout=30) as response:
        messages: list[dict[str, Any]] = json.loads(response.read())
    found = []
    for message in messages:
        if message.get("topic_arn") != stack.outputs["topic_arn"]:
            continue
        attributes = message.get("message_attributes") or {}
        store = _attribute(attributes, "store")
        item = _attribute(attributes, "item")
        assert store and item and store in message["message"] and item in message["message"]
        if store != BARRIER_STORE:
            found.append((store, item))
    return found


def _attribute(attributes: dict[str, Any], name: str) -> str | None:
    value = attributes.get(name, {})
    found = value.get("Value") or value.get("StringValue")
    return str(found) if found else None


def stream_barrier(stack: DeployedStack, timeout: float = 300) -> None:
    """Return once every write made before this call has been through the stream handler."""
    table = stack.target.client("dynamodb")
    marker = uuid.uuid4().hex
    table.put_item(
        TableName=stack.outputs["table_name"],
        Item={"store": {"S": BARRIER_STORE}, "item": {"S": marker}, "count": {"N": "0"}},
    )
    url = f"{stack.target.endpoint_url}/_local/sns/messages"

    def arrived() -> bool:
        with urllib.request.urlopen(url, timeout=30) as response:
            return marker in response.read().decode()

    wait_for(arrived, timeout=timeout, interval=0.5)
    table.delete_item(
        TableName=stack.outputs["table_name"],
        Key={"store": {"S": BARRIER_STORE}, "item": {"S": marker}},
    )

    def counted_out() -> bool:
        # The marker's removal has been through the stream too: its store counts no item (a
        # store with no items is not listed by GET /stores).
        summary = table.get_item(
            TableName=stack.outputs["stores_table_name"],
            Key={"store": {"S": BARRIER_STORE}},
            ConsistentRead=True,
        ).get("Item", {})
        return summary.get("items", {}).get("N") == "0"

    wait_for(counted_out, timeout=timeout, interval=0.5)


def report(stack: DeployedStack, name: str) -> dict[str, Any]:
    s3 = stack.target.client("s3")
    key = f"{stack.outputs['reports_prefix']}{name}.report.json"
    body = s3.get_object(Bucket=stack.outputs["upload_bucket_name"], Key=key)["Body"].read()
    loaded: dict[str, Any] = json.loads(body)
    return loaded
