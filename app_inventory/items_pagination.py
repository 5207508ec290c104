"""Query parameters of the items API: the page size and the opaque ``next_token``.

A token is the DynamoDB ``LastEvaluatedKey`` (``{"store": ..., "item": ...}``) as compact JSON,
URL-safe base64 without padding. Everything about a parameter that DynamoDB would refuse is
checked here first, so bad input is a 400 with a reason and never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# Twice the largest possible key, encoded; anything longer is not one of ours.
MAX_TOKEN_LENGTH = 8192
KEY_ATTRIBUTES = ("store", "item")

PageKey = dict[str, str]


class InvalidParameter(ValueError):
    """A query parameter the API refuses; the message is shown to the caller."""


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise InvalidParameter(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    # int() refuses very long digit strings; anything over ten digits is out of range anyway.
    limit = int(text) if len(text) <= 10 else MAX_LIMIT + 1
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter(f"limit must be from 1 to {MAX_LIMIT}, got {text[:20]}")
    return limit


def encode_token(last_evaluated_key: PageKey | None) -> str | None:
    if not last_evaluated_key:
        return None
    key = {name: last_evaluated_key[name] for name in KEY_ATTRIBUTES}
    raw = json.dumps(key, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None, store: str | None = None) -> PageKey | None:
    """The ``ExclusiveStartKey`` a token stands for (for one store's listing: that store's)."""
    if token is None or token == "":
        return None
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise InvalidParameter("next_token is not valid")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        key = json.loads(raw.decode())
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidParameter("next_token is not valid") from None
    if (
        not isinstance(key, dict)
        or sorted(key) != sorted(KEY_ATTRIBUTES)
        or not all(isinstance(key[name], str) and key[name] for name in KEY_ATTRIBUTES)
    ):
        raise InvalidParameter("next_token is not valid")
    if store is not None and key["store"] != store:
        raise InvalidParameter("next_token belongs to another listing")
    return {name: key[name] for name in KEY_ATTRIBUTES}
