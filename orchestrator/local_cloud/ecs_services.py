"""ECS services keep ``availabilityZoneRebalancing``, which moto 5.2.5 drops on create.

Without it, every ``terraform plan`` of a stack with an ``aws_ecs_service`` shows a change.
(Updates already keep it: moto's UpdateService copies every parameter onto the service.)
"""

from __future__ import annotations

from typing import Any

from orchestrator.local_cloud.monkeypatch import replace


def install() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    original_create = EC2ContainerServiceResponse.create_service

    def create_service(self: Any) -> Any:
        result: Any = original_create(self)
        rebalancing = self._get_param("availabilityZoneRebalancing")
        if rebalancing is not None:
            result.result["service"].availability_zone_rebalancing = rebalancing
        return result

    replace(EC2ContainerServiceResponse, "create_service", create_service)
