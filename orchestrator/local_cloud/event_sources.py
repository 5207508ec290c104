"""Event source mappings polled in the background, one thread per enabled mapping, as Lambda does.

moto invokes the mapped function inside the write (a DynamoDB put, an SQS send). Here the write
only stores the record or message; a poller per mapping (``dynamodb_streams``,
``sqs_event_sources``) reads it and invokes the function. Pollers start when the mapping is
created or enabled and stop when it is disabled or deleted, and when the server stops.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from orchestrator.local_cloud.lambda_runtime import LambdaRuntime
from orchestrator.local_cloud.monkeypatch import replace

log = logging.getLogger("local_cloud.event_sources")


class Poller:
    """The thread that feeds one mapping's function; subclasses implement ``run``."""

    def __init__(self, runtime: LambdaRuntime, mapping: Any) -> None:
        self.runtime = runtime
        self.mapping = mapping
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._main, name=f"esm-{mapping.uuid[:8]}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake()

    def wake(self) -> None:
        """Called when new records or messages may be there (subclasses wait on them)."""

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set() or self.runtime.closed

    def pause(self, seconds: float) -> bool:
        """Sleep unless stopped meanwhile; True when the poller should go on."""
        return not self._stop.wait(seconds) and not self.runtime.closed

    def function(self) -> Any | None:
        from moto.awslambda.utils import get_backend

        backend = get_backend(self.mapping.account_id, self.mapping.region)
        return backend.get_function_by_arn(self.mapping.function_arn)

    def run(self) -> None:
        raise NotImplementedError

    def _main(self) -> None:
        try:
            self.run()
        except Exception:  # a poller's bug must show in the log, not end silently
            log.exception("the poller of event source mapping %s stopped", self.mapping.uuid)


class Source(Protocol):
    """What one kind of event source (a DynamoDB stream, an SQS queue) adds to the mappings."""

    def created(self, mapping: Any) -> None: ...

    def poller(self, runtime: LambdaRuntime, mapping: Any) -> Poller: ...

    def deleted(self, mapping: Any) -> None: ...


def enabled(mapping: Any) -> bool:
    return str(mapping.enabled).lower() not in ("false", "0")


def service_of(event_source_arn: str) -> str:
    return event_source_arn.split(":")[2] if event_source_arn.count(":") >= 5 else ""


class EventSourcePollers:
    def __init__(self, runtime: LambdaRuntime) -> None:
        self._runtime = runtime
        self._lock = threading.Lock()
        self._pollers: dict[str, Poller] = {}
        self._sources: dict[str, Source] = {}

    def register(self, service: str, source: Source) -> None:
        self._sources[service] = source

    def ensure(self, mapping: Any) -> None:
        """Start the mapping's poller unless it runs already (or the mapping is disabled)."""
        source = self._sources.get(service_of(mapping.event_source_arn))
        if source is None or not enabled(mapping) or self._runtime.closed:
            return
        with self._lock:
            current = self._pollers.get(mapping.uuid)
            if current is not None and current.alive:
                return
            poller = source.poller(self._runtime, mapping)
            self._pollers[mapping.uuid] = poller
        poller.start()

    def wake(self, mappings: Callable[[], list[Any]]) -> None:
        """New data for these mappings: start their pollers if needed and wake them."""
        for mapping in mappings():
            self.ensure(mapping)
            with self._lock:
                poller = self._pollers.get(mapping.uuid)
            if poller is not None:
                poller.wake()

    def stop(self, uuid: str) -> None:
        with self._lock:
            poller = self._pollers.pop(uuid, None)
        if poller is not None:
            poller.stop()

    def running(self) -> list[Poller]:
        with self._lock:
            return [p for p in self._pollers.values() if p.alive]

    def shutdown(self) -> None:
        with self._lock:
            pollers = list(self._pollers.values())
            self._pollers.clear()
        for poller in pollers:
            poller.stop()

    def install(self) -> None:
        from moto.awslambda.models import LambdaBackend

        original_create = LambdaBackend.create_event_source_mapping
        original_update = LambdaBackend.update_event_source_mapping
        original_delete = LambdaBackend.delete_event_source_mapping

        def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
            mapping = original_create(self, spec)
            source = pollers._sources.get(service_of(mapping.event_source_arn))
            if source is not None:
                source.created(mapping)
            pollers.ensure(mapping)
            return mapping

        def update_event_source_mapping(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
            mapping = original_update(self, uuid, spec)
            if mapping is not None:
                if enabled(mapping):
                    pollers.ensure(mapping)
                else:
                    pollers.stop(uuid)
            return mapping

        def delete_event_source_mapping(self: Any, uuid: str) -> Any:
            mapping = original_delete(self, uuid)
            if mapping is not None:
                pollers.stop(uuid)
                source = pollers._sources.get(service_of(mapping.event_source_arn))
                if source is not None:
                    source.deleted(mapping)
            return mapping

        pollers = self
        replace(LambdaBackend, "create_event_source_mapping", create_event_source_mapping)
        replace(LambdaBackend, "update_event_source_mapping", update_event_source_mapping)
        replace(LambdaBackend, "delete_event_source_mapping", delete_event_source_mapping)


def install(runtime: LambdaRuntime) -> EventSourcePollers:
    pollers = EventSourcePollers(runtime)
    pollers.install()
    runtime.on_shutdown(pollers.shutdown)
    return pollers
