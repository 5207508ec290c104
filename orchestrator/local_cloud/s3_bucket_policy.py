"""Bucket policy checks for object requests, with the conditions a TLS-only policy uses.

moto 5.2.5 evaluates only ``StringEquals`` conditions and treats any other condition as met;
and a statement whose condition fails counts as a denial whatever its effect. So the usual
"deny unless aws:SecureTransport" statement denies every object request, and a deployed
"TLS only" bucket cannot be used at all. Here requests to the local cloud count as made over
TLS (it stands for AWS's HTTPS endpoints), conditions are evaluated, and a statement whose
conditions cannot be evaluated is left out rather than guessed.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

from orchestrator.local_cloud.monkeypatch import replace

# What the local cloud knows about every request it receives.
REQUEST_CONTEXT = {"aws:securetransport": "true", "s3:tlsversion": "1.3"}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _matches_any(patterns: list[str], value: str, ignore_case: bool) -> bool:
    if ignore_case:
        return any(fnmatchcase(value.lower(), p.lower()) for p in patterns)
    return any(fnmatchcase(value, p) for p in patterns)


def _concerns(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "NotAction" in statement:
        if _matches_any(_as_list(statement["NotAction"]), action, ignore_case=True):
            return False
    elif not _matches_any(_as_list(statement.get("Action")), action, ignore_case=True):
        return False
    if "NotResource" in statement:
        return not _matches_any(_as_list(statement["NotResource"]), resource, ignore_case=False)
    return _matches_any(_as_list(statement.get("Resource", "*")), resource, ignore_case=False)


def _number(text: str) -> float:
    return float(text)


_OPERATORS = {
    "Bool": lambda actual, expected: actual.lower() == expected.lower(),
    "StringEquals": lambda actual, expected: actual == expected,
    "StringEqualsIgnoreCase": lambda actual, expected: actual.lower() == expected.lower(),
    "StringLike": fnmatchcase,
    "NumericEquals": lambda actual, expected: _number(actual) == _number(expected),
    "NumericLessThan": lambda actual, expected: _number(actual) < _number(expected),
    "NumericLessThanEquals": lambda actual, expected: _number(actual) <= _number(expected),
    "NumericGreaterThan": lambda actual, expected: _number(actual) > _number(expected),
    "NumericGreaterThanEquals": lambda actual, expected: _number(actual) >= _number(expected),
}
_NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike"}
_NEGATED["NumericNotEquals"] = "NumericEquals"


def _condition_holds(operator: str, key: str, expected: list[str]) -> bool | None:
    """True/False, or None when the local cloud cannot tell (unknown key or operator)."""
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    actual = REQUEST_CONTEXT.get(key.lower())
    if operator == "Null":
        return None if actual is None else any(e.lower() == "false" for e in expected)
    if actual is None:
        return True if if_exists else None
    negated = operator in _NEGATED
    compare = _OPERATORS.get(_NEGATED.get(operator, operator))
    if compare is None:
        return None
    try:
        matched = any(compare(actual, e) for e in expected)
    except ValueError:
        return None
    return not matched if negated else matched


def _conditions_hold(conditions: dict[str, Any] | None) -> bool | None:
    result: bool | None = True
    for operator, checks in (conditions or {}).items():
        for key, expected in (checks or {}).items():
            holds = _condition_holds(str(operator), str(key), _as_list(expected))
            if holds is False:
                return False
            if holds is None:
                result = None
    return result


def _applies_to_everyone(principal: Any) -> bool:
    if isinstance(principal, dict):
        return "*" in _as_list(principal.get("AWS"))
    return "*" in _as_list(principal)


def permission(policy_document: str, action: str, resource: str) -> str:
    """ "DENIED", "PERMITTED" or "NEUTRAL" for an anonymous-or-any caller, as moto expects."""
    statements = json.loads(policy_document).get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    permitted = False
    for statement in statements:
        if not _applies_to_everyone(statement.get("Principal")):
            continue  # the local cloud does not know who calls (all callers are "test")
        if not _concerns(statement, action, resource):
            continue
        if _conditions_hold(statement.get("Condition")) is not True:
            continue
        if statement.get("Effect") == "Deny":
            return "DENIED"
        permitted = True
    return "PERMITTED" if permitted else "NEUTRAL"


def install() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = self.policy.decode() if isinstance(self.policy, bytes) else self.policy
        return PermissionResult[permission(document, action, resource)]

    replace(FakeBucket, "get_permission", get_permission)
