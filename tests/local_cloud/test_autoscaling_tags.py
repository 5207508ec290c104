"""application-autoscaling tag actions, which moto lacks, work on scalable targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local_cloud.conftest import unique


@pytest.fixture
def ecs_service(aws: Callable[[str], Any]) -> str:
    ecs = aws("ecs")
    cluster = unique("todo")
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family="todo",
        containerDefinitions=[{"name": "app", "image": "todo:latest", "memory": 512}],
    )
    ecs.create_service(cluster=cluster, serviceName="api", taskDefinition="todo", desiredCount=1)
    return f"service/{cluster}/api"


def test_tags_on_a_scalable_target_can_be_set_listed_and_removed(
    aws: Callable[[str], Any], ecs_service: str
) -> None:
    scaling = aws("application-autoscaling")
    arn = scaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=ecs_service,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=3,
        Tags={"env": "dev"},
    )["ScalableTargetARN"]

    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"env": "dev"}
    scaling.tag_resource(ResourceARN=arn, Tags={"team": "inventory", "env": "test"})
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {
        "env": "test",
        "team": "inventory",
    }
    scaling.untag_resource(ResourceARN=arn, TagKeys=["env"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"team": "inventory"}

    scaling.deregister_scalable_target(
        ServiceNamespace="ecs", ResourceId=ecs_service, ScalableDimension="ecs:service:DesiredCount"
    )
    with pytest.raises(ClientError) as gone:
        scaling.list_tags_for_resource(ResourceARN=arn)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
