"""The crossing rule and the alert's wording, without AWS."""

from __future__ import annotations

import pytest

from app_inventory import aws_clients
from app_inventory.stock_alerts import LowStockAlert, low_stock_alert
from app_inventory.stock_changes import EventName, StockChange


def change(event_name: EventName, old: int | None, new: int | None) -> StockChange:
    return StockChange(
        event_id="e1",
        sequence="1".zfill(40),
        event_name=event_name,
        store="Berlin",
        item="Milk",
        old_count=old,
        new_count=new,
    )


@pytest.mark.parametrize(
    ("event_name", "old", "new", "alerts"),
    [
        ("INSERT", None, 4, True),
        ("INSERT", None, 5, False),
        ("MODIFY", 5, 4, True),
        ("MODIFY", 100, 0, True),
        ("MODIFY", 4, 3, False),
        ("MODIFY", 4, 5, False),
        ("MODIFY", 6, 5, False),
        ("REMOVE", 1, None, False),
    ],
)
def test_alert_only_on_a_crossing_below(
    event_name: EventName, old: int | None, new: int | None, alerts: bool
) -> None:
    alert = low_stock_alert(change(event_name, old, new), threshold=5)
    assert (alert is not None) == alerts


def test_the_alert_names_store_item_count_and_threshold() -> None:
    alert = low_stock_alert(change("MODIFY", 12, 3), threshold=5)
    assert alert == LowStockAlert(store="Berlin", item="Milk", count=3, threshold=5)


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
