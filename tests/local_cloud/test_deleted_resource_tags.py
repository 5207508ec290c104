"""A resource deleted and re-created under the same name does not inherit the old one's tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local_cloud.conftest import ACCOUNT_ID, unique


def test_a_recreated_log_group_has_no_tags(aws: Callable[[str], Any]) -> None:
    logs = aws("logs")
    name = f"/test/{unique('tagged')}"
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:{name}"
    logs.create_log_group(logGroupName=name, tags={"env": "dev"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "dev"}
    logs.delete_log_group(logGroupName=name)

    logs.create_log_group(logGroupName=name)

    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {}


def _bucket_tags(s3: Any, bucket: str) -> list[dict[str, str]]:
    try:
        return list(s3.get_bucket_tagging(Bucket=bucket)["TagSet"])
    except ClientError as error:  # AWS answers NoSuchTagSet for a bucket without tags
        assert error.response["Error"]["Code"] == "NoSuchTagSet"
        return []


def test_a_recreated_bucket_has_no_tags(aws: Callable[[str], Any]) -> None:
    s3 = aws("s3")
    bucket = unique("tagged")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "env", "Value": "dev"}]})
    assert _bucket_tags(s3, bucket) == [{"Key": "env", "Value": "dev"}]
    s3.delete_bucket(Bucket=bucket)

    s3.create_bucket(Bucket=bucket)

    assert _bucket_tags(s3, bucket) == []


def test_a_bucket_that_is_not_empty_keeps_its_tags(aws: Callable[[str], Any]) -> None:
    s3 = aws("s3")
    bucket = unique("tagged")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "env", "Value": "dev"}]})
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"a")

    with pytest.raises(ClientError, match="BucketNotEmpty"):
        s3.delete_bucket(Bucket=bucket)

    assert _bucket_tags(s3, bucket) == [{"Key": "env", "Value": "dev"}]


def test_a_recreated_alarm_has_no_tags(aws: Callable[[str], Any]) -> None:
    cloudwatch = aws("cloudwatch")
    name = unique("tagged")
    arn = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT_ID}:alarm:{name}"
    alarm = {
        "AlarmName": name,
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/ECS",
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 70.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    cloudwatch.put_metric_alarm(**alarm, Tags=[{"Key": "env", "Value": "dev"}])
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "env", "Value": "dev"}
    ]
    cloudwatch.delete_alarms(AlarmNames=[name])

    cloudwatch.put_metric_alarm(**alarm)

    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
