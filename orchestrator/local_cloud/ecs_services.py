"""ECS services keep the parameters that moto 5.2.5 drops on create.

``availabilityZoneRebalancing`` and ``healthCheckGracePeriodSeconds`` are accepted by moto's
CreateService but not stored, so every ``terraform plan`` of a stack with an
``aws_ecs_service`` would show a change. (Updates already keep them: moto's UpdateService copies
every parameter onto the service.)
"""

from __future__ import annotations

from typing import Any

from orchestrator.local_cloud.monkeypatch import replace

# CreateService parameter -> the service attribute moto serialises it from.
KEPT_PARAMETERS = {
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
}


def install() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    original_create = EC2ContainerServiceResponse.create_service

    def create_service(self: Any) -> Any:
        result: Any = original_create(self)
        service = result.result["service"]
        for parameter, attribute in KEPT_PARAMETERS.items():
            value = self._get_param(parameter)
            if value is not None:
                setattr(service, attribute, value)
        return result

    replace(EC2ContainerServiceResponse, "create_service", create_service)
