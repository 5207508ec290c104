"""The demo lists the alerts its own upload caused: read from the local cloud's SNS record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from orchestrator.local_cloud.control import LocalCloud
from orchestrator.stacks.inventory.ops import alerts_since
from tests.local_cloud.conftest import unique


def test_only_the_alerts_published_since_the_upload_are_listed(
    aws: Callable[[str], Any], cloud: LocalCloud
) -> None:
    # GIVEN a topic that carried an alert of an earlier demo, and another topic
    sns = aws("sns")
    topic = sns.create_topic(Name=unique("alerts"))["TopicArn"]
    other = sns.create_topic(Name=unique("other"))["TopicArn"]
    sns.publish(TopicArn=topic, Message="an earlier demo's alert", Subject="old")

    # WHEN this demo uploads, and its load publishes to both topics
    uploaded_at = datetime.now(UTC)
    sns.publish(TopicArn=topic, Message="this load's alert", Subject="new")
    sns.publish(TopicArn=other, Message="not an alert", Subject="other")

    # THEN only this load's alert on the alerts topic is listed
    found = alerts_since(cloud.sns_messages(), topic, uploaded_at)
    assert [(m["subject"], m["message"]) for m in found] == [("new", "this load's alert")]
