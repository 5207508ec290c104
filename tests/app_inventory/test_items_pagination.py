"""Page size and token parsing for the items API, without AWS."""

from __future__ import annotations

import base64

import pytest

from app_inventory.items_pagination import (
    DEFAULT_LIMIT,
    InvalidParameter,
    decode_token,
    encode_token,
    parse_limit,
)


@pytest.mark.parametrize(
    ("raw", "limit"), [(None, DEFAULT_LIMIT), ("", 50), ("1", 1), ("100", 100)]
)
def test_valid_limits(raw: str | None, limit: int) -> None:
    assert parse_limit(raw) == limit


@pytest.mark.parametrize("raw", ["0", "101", "-1", "1.5", "ten", "5,6", "٣", "9" * 5000])
def test_invalid_limits_say_the_range(raw: str) -> None:
    with pytest.raises(InvalidParameter, match="limit must be"):
        parse_limit(raw)


def test_token_round_trips_a_key_with_any_characters() -> None:
    # GIVEN a LastEvaluatedKey with non-ASCII, quotes and slashes
    key = {"store": "Málaga", "item": 'Tapas "mix" / 1+1'}
    # WHEN encoded and decoded
    token = encode_token(key)
    # THEN the token is URL-safe and gives the key back
    assert token is not None
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_token(token) == key
    assert decode_token(token, store="Málaga") == key


def test_no_last_key_means_no_token() -> None:
    assert encode_token(None) is None
    assert encode_token({}) is None
    assert decode_token(None) is None
    assert decode_token("") is None


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        "a",
        b64(b"\xff\xfe"),
        b64(b"not json"),
        b64(b'["Berlin","Milk"]'),
        b64(b'{"store":"Berlin"}'),
        b64(b'{"store":"Berlin","item":"Milk","count":1}'),
        b64(b'{"store":"Berlin","item":5}'),
        b64(b'{"store":"","item":"Milk"}'),
        "A" * 10_000,
        "ünïcode",
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidParameter, match="next_token is not valid"):
        decode_token(token)


def test_a_token_from_another_store_is_refused() -> None:
    token = encode_token({"store": "Berlin", "item": "Milk"})
    with pytest.raises(InvalidParameter, match="another listing"):
        decode_token(token, store="Madrid")
