"""The survey's ranges: cut on record boundaries, together they read exactly like the whole file."""

from __future__ import annotations

import io
import random

import pytest

from app_inventory.inventory_csv import InvalidInventoryFile, csv_reader, data_rows, read_rows
from app_inventory.load_plan import LineBits, SurveyTooSlow, survey
from app_inventory.load_report import LoadReport
from app_inventory.tracked_lines import TrackedLines

FIELDS = ["Berlin", "Madrid", '"Flour, rye"', '"two\nlines"', "  Milk ", "", "x", "7", "-1", "ü"]


def random_file(rng: random.Random, rows: int) -> bytes:
    lines = ["\ufeffstore,item,count\r\n" if rng.random() < 0.5 else "store,item,count\n"]
    for _ in range(rows):
        shape = rng.random()
        if shape < 0.05:
            lines.append("\n")  # blank
        elif shape < 0.1:
            lines.append(",,\n")  # spreadsheet blank
        elif shape < 0.15:
            lines.append('Berlin,"open quote,3\n')  # runs on
        else:
            fields = [rng.choice(FIELDS), rng.choice(FIELDS), str(rng.randint(-2, 12))]
            lines.append(",".join(fields) + rng.choice(["\n", "\r\n"]))
    return "".join(lines).encode()


def rows_by_ranges(body: bytes, rows_per_range: int) -> tuple[list[object], LoadReport, int]:
    report = LoadReport("b", "k")
    plan = survey(io.BytesIO(body), report, rows_per_range=rows_per_range)
    rows: list[object] = []
    previous_end = None
    for byte_range in plan.ranges:
        assert previous_end is None or byte_range.start == previous_end
        previous_end = byte_range.end
        lines = TrackedLines(
            io.BytesIO(body[byte_range.start : byte_range.end]),
            offset=byte_range.start,
            first_line=byte_range.first_line,
        )
        reader = csv_reader(lines)
        part = list(data_rows(reader, plan.columns, line_offset=byte_range.first_line - 1))
        assert all(byte_range.first_line <= r.line <= byte_range.last_line for r in part)
        rows.extend(part)
    # After the last range only blank rows may remain (they are skipped anyway).
    tail = body[previous_end or len(body) :]
    assert not tail.replace(b",", b"").strip(), tail
    return rows, report, len(plan.ranges)


@pytest.mark.parametrize("seed", range(30))
def test_ranges_read_together_exactly_like_the_whole_file(seed: int) -> None:
    # GIVEN a random messy file (BOM, CRLF, quotes, line breaks in fields, blank and bad rows)
    rng = random.Random(seed)
    body = random_file(rng, rng.randint(0, 60))
    whole = list(read_rows(io.TextIOWrapper(io.BytesIO(body), "utf-8-sig", newline="")))
    # WHEN the survey cuts it into ranges of any size and each range is read on its own
    for rows_per_range in (1, 2, 3, 7, 1000):
        rows, report, ranges = rows_by_ranges(body, rows_per_range)
        # THEN the rows, with their line numbers and reasons, are those of the whole file
        assert rows == whole
        assert report.rows_rejected == sum(1 for r in whole if not hasattr(r, "store"))
        assert ranges == -(-len(whole) // rows_per_range) or (ranges and len(whole) == 0)


def test_superseded_lines_fall_in_the_ranges_that_hold_them() -> None:
    body = b"store,item,count\nA,x,1\nA,y,2\nA,x,3\nA,y,4\nA,x,5\n"
    report = LoadReport("b", "k")
    plan = survey(io.BytesIO(body), report, rows_per_range=2)
    assert [plan.superseded_in(r) for r in plan.ranges] == [[2, 3], [4], []]
    assert plan.rows_to_write == 2
    assert report.rows_duplicate == 3


def test_a_bad_byte_is_reported_on_its_own_line() -> None:
    body = b"store,item,count\n" + b"A,b,1\n" * 5000 + b"A,K\xe4se,3\n"
    with pytest.raises(InvalidInventoryFile, match="line 5002"):
        survey(io.BytesIO(body), LoadReport("b", "k"))


def test_a_survey_that_runs_out_of_time_says_how_far_it_got() -> None:
    body = b"store,item,count\n" + b"A,b,1\n" * 120_000
    with pytest.raises(SurveyTooSlow, match="100,000 rows were read"):
        survey(io.BytesIO(body), LoadReport("b", "k"), seconds_left=iter([60.0, 1.0]).__next__)


def test_line_bits_give_back_exactly_the_marked_lines_of_any_span() -> None:
    rng = random.Random(7)
    marked = sorted({rng.randrange(2, 5000) for _ in range(700)})
    bits = LineBits()
    for line in reversed(marked):  # marked in any order, as duplicates are found
        bits.mark(line)
    for _ in range(200):
        first = rng.randrange(1, 5200)
        last = first + rng.randrange(0, 400)
        assert bits.lines_between(first, last) == [m for m in marked if first <= m <= last]
