"""Tags on application-autoscaling scalable targets, which moto 5.2.5 does not implement.

Without these three actions moto answers 500 and Terraform's ``aws_appautoscaling_target``
retries forever. Tags live in memory per target ARN, like the rest of moto's state.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from moto.core.exceptions import JsonRESTError

from orchestrator.local_cloud.monkeypatch import add, replace


class ResourceNotFound(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"No scalable target found for {arn}")


class TagStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tags: dict[str, dict[str, str]] = {}

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        with self._lock:
            self._tags.setdefault(arn, {}).update({str(k): str(v) for k, v in tags.items()})

    def untag(self, arn: str, keys: list[str]) -> None:
        with self._lock:
            current = self._tags.get(arn, {})
            for key in keys:
                current.pop(key, None)

    def tags(self, arn: str) -> dict[str, str]:
        with self._lock:
            return dict(self._tags.get(arn, {}))

    def forget(self, arn: str) -> None:
        with self._lock:
            self._tags.pop(arn, None)


def install(store: TagStore) -> None:
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    original_register = ApplicationAutoScalingResponse.register_scalable_target
    original_deregister = ApplicationAutoscalingBackend.deregister_scalable_target

    def register_scalable_target(self: Any) -> str:
        body: str = original_register(self)
        tags = self._get_param("Tags")
        if tags:
            store.tag(json.loads(body)["ScalableTargetARN"], tags)
        return body

    def deregister_scalable_target(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        target = self.targets.get(dimension, {}).get(r_id)
        original_deregister(self, namespace, r_id, dimension)
        if target is not None:
            store.forget(target.arn)

    def tag_resource(self: Any) -> str:
        arn = _existing_target_arn(self)
        store.tag(arn, self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> str:
        arn = _existing_target_arn(self)
        store.untag(arn, self._get_param("TagKeys") or [])
        return "{}"

    def list_tags_for_resource(self: Any) -> str:
        return json.dumps({"Tags": store.tags(_existing_target_arn(self))})

    replace(ApplicationAutoScalingResponse, "register_scalable_target", register_scalable_target)
    add(ApplicationAutoScalingResponse, "tag_resource", tag_resource)
    add(ApplicationAutoScalingResponse, "untag_resource", untag_resource)
    add(ApplicationAutoScalingResponse, "list_tags_for_resource", list_tags_for_resource)
    replace(ApplicationAutoscalingBackend, "deregister_scalable_target", deregister_scalable_target)


def _existing_target_arn(response: Any) -> str:
    arn = str(response._get_param("ResourceARN") or "")
    backend = response.applicationautoscaling_backend
    for targets in backend.targets.values():
        if any(target.arn == arn for target in targets.values()):
            return arn
    raise ResourceNotFound(arn)
