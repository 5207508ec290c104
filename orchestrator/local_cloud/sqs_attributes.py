"""SQS queue attributes as AWS writes them: a redrive policy is compact JSON.

moto answers ``{"deadLetterTargetArn": "...", "maxReceiveCount": 3}`` with spaces; AWS answers
without, and the Terraform provider compares the text, so every plan after an apply showed the
queues with a redrive policy as changed.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.local_cloud.monkeypatch import replace


def install() -> None:
    from moto.sqs.models import Queue

    original: Any = Queue.attributes  # a property

    def attributes(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = original.fget(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    compact: Any = property(attributes)
    replace(Queue, "attributes", compact)
