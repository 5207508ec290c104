"""Page size, prefix, low_stock and token parsing for the read API, without AWS."""

from __future__ import annotations

import base64
import json

import pytest

from app_inventory.items_pagination import (
    ALL_ITEMS,
    DEFAULT_LIMIT,
    LOW_STOCK,
    MAX_PREFIX_BYTES,
    MAX_TOKEN_LENGTH,
    STORES,
    InvalidParameter,
    Listing,
    decode_token,
    encode_token,
    parse_limit,
    parse_low_stock,
    parse_prefix,
    store_items,
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


def test_prefix_empty_means_none_and_is_bounded_in_bytes() -> None:
    assert parse_prefix(None) == parse_prefix("") == ""
    assert parse_prefix(" Ap") == " Ap"  # spaces are part of item names
    assert parse_prefix("é" * (MAX_PREFIX_BYTES // 2)) == "é" * 512
    with pytest.raises(InvalidParameter, match="prefix is longer than 1024 bytes"):
        parse_prefix("é" * (MAX_PREFIX_BYTES // 2) + "x")


@pytest.mark.parametrize(
    ("raw", "low"), [(None, False), ("", False), ("false", False), ("true", True)]
)
def test_low_stock_values(raw: str | None, low: bool) -> None:
    assert parse_low_stock(raw) is low


@pytest.mark.parametrize("raw", ["maybe", "TRUE", "1", "yes", "true,true"])
def test_other_low_stock_values_are_refused(raw: str) -> None:
    with pytest.raises(InvalidParameter, match="low_stock must be true or false"):
        parse_low_stock(raw)


URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    ("listing", "key"),
    [
        (ALL_ITEMS, {"store": "Málaga", "item": 'Tapas "mix" / 1+1'}),
        (STORES, {"store": "São Paulo"}),
        (LOW_STOCK, {"low_stock": "LOW", "store": "Köln", "item": "Brot"}),
        (store_items("Málaga"), {"store": "Málaga", "item": "Tapas"}),
        (store_items("Málaga", "Ta"), {"store": "Málaga", "item": "Tapas"}),
    ],
    ids=["items", "stores", "low-stock", "store", "store-prefix"],
)
def test_token_round_trips_the_key_of_its_listing(listing: Listing, key: dict[str, str]) -> None:
    # GIVEN a LastEvaluatedKey with non-ASCII, quotes and slashes
    # WHEN encoded and decoded for the same listing
    token = encode_token(key, listing)
    # THEN the token is URL-safe and gives the key back
    assert token is not None
    assert set(token) <= URL_SAFE
    assert decode_token(token, listing) == key


def test_the_low_stock_token_carries_the_index_and_the_table_keys() -> None:
    # The index's LastEvaluatedKey has low_stock and store (index) and item (table).
    key = {"low_stock": "LOW", "store": "Berlin", "item": "Milk"}
    token = encode_token(key, LOW_STOCK)
    assert token is not None
    raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert raw == {"l": "low-stock", "k": key}


def test_no_last_key_means_no_token() -> None:
    assert encode_token(None, ALL_ITEMS) is None
    assert encode_token({}, STORES) is None
    assert decode_token(None, ALL_ITEMS) is None
    assert decode_token("", LOW_STOCK) is None


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
        b64(b'{"store":"Berlin","item":"Milk"}'),
        b64(b'{"l":"items","k":{"store":"Berlin"}}'),
        b64(b'{"l":"items","k":{"store":"Berlin","item":"Milk","count":1}}'),
        b64(b'{"l":"items","k":{"store":"Berlin","item":5}}'),
        b64(b'{"l":"items","k":{"store":"","item":"Milk"}}'),
        b64(b'{"l":"items","k":["Berlin","Milk"]}'),
        b64(b'{"l":5,"k":{"store":"Berlin","item":"Milk"}}'),
        b64(b'{"l":"items","k":{"store":"Berlin","item":"Milk"},"x":1}'),
        "A" * (MAX_TOKEN_LENGTH + 1),
        "ünïcode",
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidParameter, match="next_token is not valid"):
        decode_token(token, ALL_ITEMS)


ITEM_KEY = {"store": "Berlin", "item": "Milk"}


@pytest.mark.parametrize(
    ("made_for", "key", "used_for"),
    [
        (ALL_ITEMS, ITEM_KEY, store_items("Berlin")),
        (store_items("Berlin"), ITEM_KEY, ALL_ITEMS),
        (store_items("Berlin"), ITEM_KEY, store_items("Madrid")),
        (store_items("Berlin"), ITEM_KEY, store_items("Berlin", "Mi")),
        (store_items("Berlin", "Mi"), ITEM_KEY, store_items("Berlin")),
        (store_items("Berlin", "Mi"), ITEM_KEY, store_items("Berlin", "M")),
        (ALL_ITEMS, ITEM_KEY, STORES),
        (STORES, {"store": "Berlin"}, ALL_ITEMS),
        (LOW_STOCK, {"low_stock": "LOW", "store": "Berlin", "item": "Milk"}, ALL_ITEMS),
        (ALL_ITEMS, ITEM_KEY, LOW_STOCK),
    ],
)
def test_a_token_from_another_listing_is_refused(
    made_for: Listing, key: dict[str, str], used_for: Listing
) -> None:
    token = encode_token(key, made_for)
    with pytest.raises(InvalidParameter, match="next_token belongs to another listing"):
        decode_token(token, used_for)


def test_a_low_stock_token_must_name_the_low_stock_value() -> None:
    token = b64(b'{"l":"low-stock","k":{"low_stock":"HIGH","store":"Berlin","item":"Milk"}}')
    with pytest.raises(InvalidParameter, match="another listing"):
        decode_token(token, LOW_STOCK)


def test_a_prefix_token_must_point_inside_the_prefix() -> None:
    token = b64(b'{"l":"store","k":{"store":"Berlin","item":"Zucchini"},"p":"Mi"}')
    with pytest.raises(InvalidParameter, match="next_token is not valid"):
        decode_token(token, store_items("Berlin", "Mi"))


def test_the_largest_keys_still_make_an_accepted_token() -> None:
    # GIVEN the largest store (2048 bytes), item and prefix (1024 bytes each), in 4-byte letters
    store, item = "𝄞" * 512, "𝄞" * 256
    listing = store_items(store, item)
    # WHEN encoded THEN the token fits under the length limit and decodes
    token = encode_token({"store": store, "item": item}, listing)
    assert token is not None and len(token) <= MAX_TOKEN_LENGTH
    assert decode_token(token, listing) == {"store": store, "item": item}
