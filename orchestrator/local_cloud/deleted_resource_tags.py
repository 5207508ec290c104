"""Tags die with their resource, as on AWS.

moto 5.2.5 keeps some tags in a per-backend ``TaggingService`` keyed by ARN and does not clear
them when the resource is deleted; a resource re-created under the same name (hence the same
ARN) then inherits them, and a deploy, destroy and redeploy with other tags in one emulator
session shows a spurious diff. This happens for CloudWatch Logs log groups, S3 buckets and
CloudWatch alarms; the other services the stacks use keep tags on the resource itself, or
already clear them (checked: SNS, DynamoDB, Lambda, IAM, ECR, ECS, ELBv2, Secrets Manager,
API Gateway v2, RDS, SQS, SSM, EventBridge).
"""

from __future__ import annotations

from typing import Any

from orchestrator.local_cloud.monkeypatch import replace


def install() -> None:
    _clear_log_group_tags()
    _clear_bucket_tags()
    _clear_alarm_tags()


def _clear_log_group_tags() -> None:
    from moto.logs.models import LogsBackend

    original_delete = LogsBackend.delete_log_group

    def delete_log_group(self: Any, log_group_name: str) -> None:
        group = self.groups.get(log_group_name)
        original_delete(self, log_group_name)
        if group is not None:
            self.tagger.delete_all_tags_for_resource(group.arn)

    replace(LogsBackend, "delete_log_group", delete_log_group)


def _clear_bucket_tags() -> None:
    from moto.s3.models import S3Backend

    original_delete = S3Backend.delete_bucket

    def delete_bucket(self: Any, bucket_name: str) -> Any:
        bucket = original_delete(self, bucket_name)
        if bucket is not None:  # None: not empty, so not deleted
            self.tagger.delete_all_tags_for_resource(bucket.arn)
        return bucket

    replace(S3Backend, "delete_bucket", delete_bucket)


def _clear_alarm_tags() -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    original_delete = CloudWatchBackend.delete_alarms

    def delete_alarms(self: Any, alarm_names: list[str]) -> None:
        alarms = [self.alarms[name] for name in alarm_names if name in self.alarms]
        original_delete(self, alarm_names)
        for alarm in alarms:
            self.tagger.delete_all_tags_for_resource(alarm.alarm_arn)

    replace(CloudWatchBackend, "delete_alarms", delete_alarms)
