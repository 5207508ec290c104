"""Route selection for HTTP APIs, as API Gateway does it: most specific route first."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

DEFAULT_ROUTE = "$default"
_VARIABLE = re.compile(r"^\{(?P<name>[A-Za-z0-9_.-]+)(?P<greedy>\+?)\}$")


@dataclass(frozen=True)
class RouteMatch:
    route: Any  # moto's apigatewayv2 Route
    route_key: str
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class _Pattern:
    route: Any
    method: str
    regex: re.Pattern[str]
    names: tuple[str, ...]
    specificity: tuple[int, int, int, int]


def _compile(route: Any) -> _Pattern | None:
    method, _, template = str(route.route_key).partition(" ")
    if not template.startswith("/"):
        return None
    parts = []
    names: list[str] = []
    literals = 0
    greedy = 0
    segments = template.strip("/").split("/") if template != "/" else []
    for segment in segments:
        variable = _VARIABLE.match(segment)
        if variable is None:
            parts.append(re.escape(segment))
            literals += 1
        else:
            names.append(variable["name"])
            parts.append("(.+)" if variable["greedy"] else "([^/]+)")
            greedy = max(greedy, int(bool(variable["greedy"])))
    regex = re.compile("^/" + "/".join(parts) + "/?$")
    # Sorted ascending: no greedy variable, more literal segments, more segments, exact method.
    specificity = (greedy, -literals, -len(segments), int(method.upper() == "ANY"))
    return _Pattern(route, method.upper(), regex, tuple(names), specificity)


def match_route(routes: Iterable[Any], method: str, raw_path: str) -> RouteMatch | None:
    """The route a request reaches, or None (API Gateway then answers 404).

    Matching runs on the raw (still percent-encoded) path, so an encoded "/" stays inside
    its segment; parameter values are then decoded.
    """
    patterns = []
    default = None
    for route in routes:
        if route.route_key == DEFAULT_ROUTE:
            default = route
            continue
        pattern = _compile(route)
        if pattern is not None:
            patterns.append(pattern)
    patterns.sort(key=lambda p: p.specificity)
    for pattern in patterns:
        if pattern.method not in (method.upper(), "ANY"):
            continue
        found = pattern.regex.match(raw_path)
        if found:
            parameters = {
                name: unquote(value)
                for name, value in zip(pattern.names, found.groups(), strict=True)
            }
            return RouteMatch(pattern.route, pattern.route.route_key, parameters)
    if default is not None:
        return RouteMatch(default, DEFAULT_ROUTE, {})
    return None
