"""A record of every message published to an SNS topic, readable at /_local/sns/messages."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime
from typing import Any

from orchestrator.local_cloud.monkeypatch import replace

_MAX_MESSAGES = 10_000


class SnsRecord:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []

    def add(
        self,
        topic_arn: str,
        message_id: str,
        message: str,
        subject: str | None,
        message_attributes: dict[str, Any] | None,
    ) -> None:
        entry = {
            "topic_arn": topic_arn,
            "subject": subject,
            "message": message,
            "message_attributes": _jsonable(message_attributes or {}),
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "message_id": message_id,
        }
        with self._lock:
            self._messages.append(entry)
            del self._messages[:-_MAX_MESSAGES]

    def messages(self, topic_arn: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self._messages if topic_arn in (None, m["topic_arn"])]

    def clear(self) -> int:
        with self._lock:
            count = len(self._messages)
            self._messages.clear()
            return count


def install(record: SnsRecord) -> None:
    from moto.sns.models import Topic

    original_publish = Topic.publish

    def publish(self: Any, message: str, subject: str | None = None, **kwargs: Any) -> str:
        message_id: str = original_publish(self, message, subject=subject, **kwargs)
        record.add(self.arn, message_id, message, subject, kwargs.get("message_attributes"))
        return message_id

    replace(Topic, "publish", publish)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
