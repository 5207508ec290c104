"""The crossing rule and the alert's wording, without AWS."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app_inventory import aws_clients
from app_inventory.stock_alerts import LowStockAlert, PoisonRecord, low_stock_alert


def image(count: object) -> dict[str, object]:
    return {"store": "Berlin", "item": "Milk", "count": count}


@pytest.mark.parametrize(
    ("event_name", "old", "new", "alerts"),
    [
        ("INSERT", None, Decimal(4), True),
        ("INSERT", None, Decimal(5), False),
        ("MODIFY", Decimal(5), Decimal(4), True),
        ("MODIFY", Decimal(100), Decimal(0), True),
        ("MODIFY", Decimal(4), Decimal(3), False),
        ("MODIFY", Decimal(4), Decimal(5), False),
        ("MODIFY", Decimal(6), Decimal(5), False),
        ("REMOVE", Decimal(1), None, False),
    ],
)
def test_alert_only_on_a_crossing_below(
    event_name: str, old: Decimal | None, new: Decimal | None, alerts: bool
) -> None:
    old_image = image(old) if old is not None else {}
    new_image = image(new) if new is not None else {}
    alert = low_stock_alert(event_name, old_image, new_image, threshold=5)
    assert (alert is not None) == alerts


@pytest.mark.parametrize(
    ("event_name", "old_image", "new_image", "reason"),
    [
        ("INSERT", {}, {"store": "Berlin", "item": "Milk"}, "count is missing"),
        ("INSERT", {}, image("3"), "not a number"),
        ("INSERT", {}, image(True), "not a number"),
        ("INSERT", {}, image(Decimal("2.5")), "not a whole number"),
        ("INSERT", {}, {"item": "Milk", "count": Decimal(1)}, "lacks a store and item"),
        ("MODIFY", {}, image(Decimal(1)), "without OldImage"),
        ("MODIFY", {"store": "Berlin", "item": "Milk"}, image(Decimal(1)), "OldImage count"),
        ("UPSERT", {}, image(Decimal(1)), "unexpected event name"),
    ],
)
def test_unreadable_records_are_poison(
    event_name: str, old_image: dict[str, object], new_image: dict[str, object], reason: str
) -> None:
    with pytest.raises(PoisonRecord, match=reason):
        low_stock_alert(event_name, old_image, new_image, threshold=5)


def test_subject_is_ascii_single_line_and_short_as_sns_requires() -> None:
    # GIVEN a store and item with accents, a line break and great length
    alert = LowStockAlert(store="Köln", item="Crème brûlée\n" + "x" * 200, count=1, threshold=5)
    # THEN the subject keeps the letters without accents and fits SNS's rules
    assert alert.subject.startswith("Low stock: Creme brulee x")
    assert alert.subject.isascii() and "\n" not in alert.subject
    assert len(alert.subject) < 100
    # AND the message and attributes keep the real names
    assert "Köln" in alert.message
    assert alert.message_attributes["store"] == {"DataType": "String", "StringValue": "Köln"}


@pytest.mark.parametrize(("raw", "expected"), [(None, 5), ("", 5), ("0", 0), (" 12 ", 12)])
def test_threshold_setting(monkeypatch: pytest.MonkeyPatch, raw: str | None, expected: int) -> None:
    if raw is None:
        monkeypatch.delenv("LOW_STOCK_THRESHOLD", raising=False)
    else:
        monkeypatch.setenv("LOW_STOCK_THRESHOLD", raw)
    assert aws_clients.low_stock_threshold() == expected


@pytest.mark.parametrize("raw", ["five", "-1", "2.5"])
def test_bad_threshold_setting_is_named(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("LOW_STOCK_THRESHOLD", raw)
    with pytest.raises(ValueError, match="LOW_STOCK_THRESHOLD"):
        aws_clients.low_stock_threshold()
