"""Whether a function's resource policy lets a service invoke it (as AWS checks before invoking).

Locally this catches a missing ``aws_lambda_permission`` that would break the real deployment.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

_INVOKE_ACTIONS = {"lambda:invokefunction", "lambda:*", "*"}
_SOURCE_KEYS = {"aws:sourcearn": "source_arn", "aws:sourceaccount": "source_account"}


def service_may_invoke(function: Any, service: str, source_arn: str, source_account: str) -> bool:
    statements = getattr(getattr(function, "policy", None), "statements", []) or []
    facts = {"source_arn": source_arn, "source_account": source_account}
    return any(_allows(statement, service, facts) for statement in statements)


def _allows(statement: dict[str, Any], service: str, facts: dict[str, str]) -> bool:
    if statement.get("Effect", "Allow") != "Allow":
        return False
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    if not any(str(a).lower() in _INVOKE_ACTIONS for a in actions):
        return False
    if not _principal_matches(statement.get("Principal"), service):
        return False
    for operator, conditions in (statement.get("Condition") or {}).items():
        for key, expected in (conditions or {}).items():
            fact = facts.get(_SOURCE_KEYS.get(str(key).lower(), ""))
            if fact is None:
                continue  # a condition we do not model does not deny
            patterns = expected if isinstance(expected, list) else [expected]
            if not any(_condition_holds(str(operator), fact, str(p)) for p in patterns):
                return False
    return True


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        services = principal.get("Service", [])
        services = [services] if isinstance(services, str) else services
        return service in services or "*" in services
    return False


def _condition_holds(operator: str, fact: str, pattern: str) -> bool:
    if operator.lower().endswith("like"):
        return fnmatchcase(fact, pattern)
    return fact == pattern
