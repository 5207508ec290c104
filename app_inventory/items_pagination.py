"""Query parameters of the read API: the page size, the item-name prefix and ``next_token``.

A token is the DynamoDB ``LastEvaluatedKey`` of one listing, as compact JSON
``{"l": listing, "k": key}`` (plus ``"p": prefix`` for a prefix search), URL-safe base64
without padding. The listing travels in the token so that a token is refused (400) by any other
listing: another store, another prefix, the low-stock index, the stores summary. Everything
about a parameter that DynamoDB would refuse is checked here first, so bad input is a 400 with
a reason and never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# The largest sort key DynamoDB stores; a longer prefix can match nothing.
MAX_PREFIX_BYTES = 1024
# Comfortably above the largest key of any listing plus its prefix, encoded; anything longer
# is not one of ours.
MAX_TOKEN_LENGTH = 16384
# The value of ``low_stock`` on the items the sparse index holds (the loader writes it).
LOW_STOCK_VALUE = "LOW"

PageKey = dict[str, str]


class InvalidParameter(ValueError):
    """A query parameter the API refuses; the message is shown to the caller."""


@dataclass(frozen=True)
class Listing:
    """What a token may continue: a kind of listing, the attributes of its start key, the key
    values it is bound to (a store's listing: that store) and its item-name prefix."""

    kind: str
    key_attributes: tuple[str, ...]
    bound: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    prefix: str = ""


ALL_ITEMS = Listing("items", ("store", "item"))
STORES = Listing("stores", ("store",))
LOW_STOCK = Listing(
    "low-stock",
    ("low_stock", "store", "item"),
    bound=MappingProxyType({"low_stock": LOW_STOCK_VALUE}),
)


def store_items(store: str, prefix: str = "") -> Listing:
    """One store's items, all of them or those whose name starts with ``prefix``."""
    return Listing("store", ("store", "item"), MappingProxyType({"store": store}), prefix)


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


def parse_prefix(raw: str | None) -> str:
    """The item-name prefix; empty or absent means no prefix."""
    if raw is None or raw == "":
        return ""
    if len(raw.encode()) > MAX_PREFIX_BYTES:
        raise InvalidParameter(f"prefix is longer than {MAX_PREFIX_BYTES} bytes")
    return raw


def parse_low_stock(raw: str | None) -> bool:
    """``low_stock=true`` asks for the low-stock index; ``false`` or absent for everything."""
    if raw is None or raw == "":
        return False
    if raw not in ("true", "false"):
        raise InvalidParameter(f"low_stock must be true or false, got {raw[:20]!r}")
    return raw == "true"


def encode_token(last_evaluated_key: Mapping[str, object] | None, listing: Listing) -> str | None:
    if not last_evaluated_key:
        return None
    token: dict[str, object] = {
        "l": listing.kind,
        "k": {name: last_evaluated_key[name] for name in listing.key_attributes},
    }
    if listing.prefix:
        token["p"] = listing.prefix
    raw = json.dumps(token, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None, listing: Listing) -> PageKey | None:
    """The ``ExclusiveStartKey`` a token stands for, if it belongs to ``listing``."""
    if token is None or token == "":
        return None
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise InvalidParameter("next_token is not valid")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = json.loads(raw.decode())
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidParameter("next_token is not valid") from None
    if not isinstance(decoded, dict) or set(decoded) - {"l", "k", "p"}:
        raise InvalidParameter("next_token is not valid")
    key = decoded.get("k")
    if (
        not isinstance(decoded.get("l"), str)
        or not isinstance(decoded.get("p", ""), str)
        or not isinstance(key, dict)
    ):
        raise InvalidParameter("next_token is not valid")
    if decoded["l"] != listing.kind or decoded.get("p", "") != listing.prefix:
        raise InvalidParameter("next_token belongs to another listing")
    if sorted(key) != sorted(listing.key_attributes) or not all(
        isinstance(key[name], str) and key[name] for name in listing.key_attributes
    ):
        raise InvalidParameter("next_token is not valid")
    if any(key[name] != value for name, value in listing.bound.items()):
        raise InvalidParameter("next_token belongs to another listing")
    if listing.prefix and not key["item"].startswith(listing.prefix):
        raise InvalidParameter("next_token is not valid")
    return {name: key[name] for name in listing.key_attributes}
