"""An HTTP API's stored CORS configuration, applied the way API Gateway applies it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CorsPolicy:
    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None
    allow_credentials: bool

    @classmethod
    def from_config(cls, config: Any) -> CorsPolicy | None:
        """From moto's stored ``corsConfiguration`` (None when the API has none)."""
        if not isinstance(config, dict) or not config:
            return None

        def values(key: str) -> tuple[str, ...]:
            return tuple(str(v) for v in config.get(key) or [])

        max_age = config.get("maxAge")
        return cls(
            allow_origins=values("allowOrigins"),
            allow_methods=values("allowMethods"),
            allow_headers=values("allowHeaders"),
            expose_headers=values("exposeHeaders"),
            max_age=int(max_age) if max_age is not None else None,
            allow_credentials=bool(config.get("allowCredentials")),
        )

    def _origin_header(self, origin: str | None) -> dict[str, str]:
        if not origin:
            return {}
        if "*" in self.allow_origins and not self.allow_credentials:
            return {"Access-Control-Allow-Origin": "*"}
        if origin.lower() in (o.lower() for o in self.allow_origins) or "*" in self.allow_origins:
            # Echoing one origin makes the answer depend on it, hence Vary.
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {}

    def preflight_headers(
        self, origin: str | None, method: str, requested_headers: str | None
    ) -> dict[str, str]:
        """Headers of the gateway's own answer to a preflight (empty: not allowed)."""
        headers = self._origin_header(origin)
        if not headers or not self._method_allowed(method):
            return {}
        if not self._headers_allowed(requested_headers):
            return {}
        headers["Access-Control-Allow-Methods"] = ",".join(self.allow_methods)
        if self.allow_headers:
            headers["Access-Control-Allow-Headers"] = ",".join(self.allow_headers)
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age)
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    def response_headers(self, origin: str | None) -> dict[str, str]:
        """Headers added to an actual response for an allowed Origin."""
        headers = self._origin_header(origin)
        if not headers:
            return {}
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(self.expose_headers)
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    def _method_allowed(self, method: str) -> bool:
        allowed = {m.upper() for m in self.allow_methods}
        return "*" in allowed or method.upper() in allowed

    def _headers_allowed(self, requested: str | None) -> bool:
        names = [h.strip().lower() for h in (requested or "").split(",") if h.strip()]
        allowed = {h.lower() for h in self.allow_headers}
        return "*" in allowed or all(name in allowed for name in names)
