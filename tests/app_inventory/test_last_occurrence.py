"""The compact duplicate-key table the loader uses instead of a set of tuples."""

from __future__ import annotations

import pytest

from app_inventory.last_occurrence import LastOccurrenceTable


def test_record_returns_the_line_a_key_was_last_seen_on() -> None:
    # GIVEN an empty table
    table = LastOccurrenceTable()
    # WHEN a key is recorded three times, another once
    first = table.record("Berlin", "Milk", 2)
    other = table.record("Berlin", "Eggs", 3)
    second = table.record("Berlin", "Milk", 7)
    third = table.record("Berlin", "Milk", 9)
    # THEN each repeat names the line it replaces, and the last line wins
    assert (first, other, second, third) == (None, None, 2, 7)
    assert table.last_line("Berlin", "Milk") == 9
    assert table.last_line("Berlin", "Eggs") == 3
    assert table.last_line("Madrid", "Milk") is None
    assert len(table) == 2


def test_store_and_item_are_not_confused_across_the_separator() -> None:
    table = LastOccurrenceTable()
    table.record("ab", "c", 2)
    assert table.record("a", "bc", 3) is None


def test_growth_keeps_every_key_and_stays_compact() -> None:
    # GIVEN a small table
    table = LastOccurrenceTable(capacity=2)
    # WHEN 200,000 keys are recorded (it grows many times)
    for line in range(200_000):
        table.record("Berlin", f"item-{line}", line + 2)
    # THEN all are found with their lines, and storage is 12 bytes a slot, at most half full
    assert len(table) == 200_000
    assert all(table.last_line("Berlin", f"item-{n}") == n + 2 for n in range(0, 200_000, 997))
    slots = len(table._digests)
    assert 200_000 * 2 <= slots < 200_000 * 4
    assert table._digests.itemsize + table._lines.itemsize == 12


def test_capacity_must_be_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        LastOccurrenceTable(capacity=1000)
