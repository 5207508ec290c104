"""Pass 1 of a load: read the whole object once, write nothing, and cut it into ranges.

The survey validates every row (the report's rejected rows with line numbers), finds the last
row of each (store, item) key (earlier rows of the same key are *superseded*: reported as
duplicates and never written, so no stream record, hence no false alert, comes from them), and
cuts the file into ranges of about ``rows_per_range`` records, each starting on a record
boundary (a byte offset and its line number). Workers then write the ranges in parallel, each
skipping the rejected rows and the superseded lines that fall in it.

A file that turns out to be unreadable (a bad byte on line 900,000, no header) loads nothing.
Memory grows with the number of distinct keys only (``LastOccurrenceTable``: a peak of about
60 MB per million keys, measured: 1.2 GB for 20 million) and with the file's lines (one bit each,
marking the superseded ones: 2.5 MB for 20 million lines); the report's lists are capped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from app_inventory.inventory_csv import (
    Columns,
    InvalidInventoryFile,
    RejectedRow,
    csv_reader,
    data_rows,
    read_header,
)
from app_inventory.last_occurrence import LastOccurrenceTable
from app_inventory.load_report import LoadReport
from app_inventory.tracked_lines import TrackedLines

if TYPE_CHECKING:
    from botocore.response import StreamingBody

DEFAULT_ROWS_PER_RANGE = 50_000
_CLOCK_EVERY_ROWS = 50_000


class LineBits:
    """A set of line numbers as one bit per line: small, and read back in order without a sort."""

    def __init__(self) -> None:
        self._bits = bytearray()

    def mark(self, line: int) -> None:
        index = line >> 3
        if index >= len(self._bits):
            self._bits.extend(bytes(max(index + 1 - len(self._bits), len(self._bits))))
        self._bits[index] |= 1 << (line & 7)

    def lines_between(self, first: int, last: int) -> list[int]:
        """The marked lines from ``first`` to ``last``, both included, in order."""
        found = []
        bits = self._bits
        for index in range(first >> 3, min(last >> 3, len(bits) - 1) + 1):
            byte = bits[index]
            if not byte:  # most bytes: no superseded line among these eight
                continue
            for bit in range(8):
                line = (index << 3) | bit
                if byte >> bit & 1 and first <= line <= last:
                    found.append(line)
        return found


class SurveyTooSlow(InvalidInventoryFile):
    """The survey could not finish within the planner's time (the file is too big for it)."""


@dataclass(frozen=True)
class ByteRange:
    index: int
    start: int  # byte offset of its first record
    end: int  # byte offset just past its last record
    first_line: int
    last_line: int


@dataclass
class FilePlan:
    columns: Columns
    ranges: list[ByteRange]
    superseded: LineBits  # lines of rows that a later row of the same key replaces
    rows_to_write: int

    def superseded_in(self, byte_range: ByteRange) -> list[int]:
        return self.superseded.lines_between(byte_range.first_line, byte_range.last_line)


def survey(
    body: IO[bytes] | StreamingBody,
    report: LoadReport,
    *,
    rows_per_range: int = DEFAULT_ROWS_PER_RANGE,
    seconds_left: Callable[[], float] | None = None,
) -> FilePlan:
    """Read ``body`` to the end; fill ``report``'s rejected rows and duplicates; plan ranges.

    Raises ``InvalidInventoryFile`` when the file cannot be loaded at all, and
    ``SurveyTooSlow`` when ``seconds_left()`` drops below a few seconds.
    """
    if rows_per_range < 1:
        raise ValueError("rows_per_range must be at least 1")
    lines = TrackedLines(body)
    reader = csv_reader(lines)
    columns = read_header(reader)
    last_rows = LastOccurrenceTable()
    superseded = LineBits()
    ranges: list[ByteRange] = []
    start, first_line, in_range, seen = lines.offset, lines.next_line, 0, 0
    for row in data_rows(reader, columns):
        seen += 1
        in_range += 1
        if isinstance(row, RejectedRow):
            report.add_rejected(row.line, row.reason)
        else:
            previous = last_rows.record(row.store, row.item, row.line)
            if previous is not None:
                report.add_duplicate(row.line, previous, row.store, row.item)
                superseded.mark(previous)
        if in_range >= rows_per_range:
            ranges.append(
                ByteRange(len(ranges), start, lines.offset, first_line, lines.next_line - 1)
            )
            start, first_line, in_range = lines.offset, lines.next_line, 0
        if seconds_left is not None and seen % _CLOCK_EVERY_ROWS == 0 and seconds_left() < 5:
            raise SurveyTooSlow(
                f"the file is too big to check within the loader's time: {seen:,} rows were "
                f"read (line {lines.next_line - 1:,}); raise the planner's timeout "
                "(planner_timeout) or split the file"
            )
    if in_range:
        ranges.append(ByteRange(len(ranges), start, lines.offset, first_line, lines.next_line - 1))
    return FilePlan(columns, ranges, superseded, len(last_rows))
