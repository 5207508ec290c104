"""Parse and validate inventory CSV rows from a stream, one row at a time.

The format: a header naming the columns ``store``, ``item`` and ``count`` (any case, any order,
surrounding spaces ignored); further columns are allowed and ignored, so a spreadsheet export
with a "notes" column still loads. Every data row must have as many fields as the header.
Fields may be quoted (a quoted field may hold commas or line breaks) and are trimmed.
Blank rows are skipped: empty lines, lines of spaces, and the ``,,`` rows spreadsheets export
below the data. Line numbers are physical file lines; the header is line 1.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

    from botocore.response import StreamingBody

REQUIRED_COLUMNS = ("store", "item", "count")

# DynamoDB key attributes are bounded in bytes; a longer value would fail a whole batch write.
MAX_STORE_BYTES = 2048
MAX_ITEM_BYTES = 1024
# Counts are kept within what every consumer (JavaScript included) reads exactly.
MAX_COUNT = 2**31 - 1

_DIGITS = re.compile(r"[0-9]+")
_NEGATIVE_DIGITS = re.compile(r"-[0-9]+")


class InvalidInventoryFile(Exception):
    """The file as a whole cannot be read: not UTF-8, empty, or no valid header."""


@dataclass(frozen=True, slots=True)
class InventoryRow:
    line: int
    store: str
    item: str
    count: int


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    reason: str


def text_lines(binary: IO[bytes] | StreamingBody) -> io.TextIOWrapper:
    """Decode a byte stream lazily as UTF-8 (a leading BOM is dropped), keeping line endings.

    ``newline=""`` hands CRLF and quoted line breaks to the csv module untouched, as it requires.
    """
    # botocore's StreamingBody is an IOBase that TextIOWrapper reads; its stubs do not say so.
    buffer = cast(IO[bytes], binary)
    return io.TextIOWrapper(buffer, encoding="utf-8-sig", errors="strict", newline="")


def read_rows(lines: Iterable[str]) -> Iterator[InventoryRow | RejectedRow]:
    """Yield each data row as a valid ``InventoryRow`` or a ``RejectedRow`` with its reason.

    Raises ``InvalidInventoryFile`` for a file that cannot be read at all; when that happens
    after some rows were yielded (a bad byte deep in the file), callers must discard them.
    """
    reader = csv_reader(lines)
    try:
        columns = read_header(reader)
        yield from data_rows(reader, columns)
    except UnicodeDecodeError as error:
        line = _line_of_decode_error(reader.line_num, error)
        raise InvalidInventoryFile(
            f"the file is not valid UTF-8 (line {line}: {error.reason}); "
            "save it as UTF-8 and upload it again"
        ) from error


def csv_reader(lines: Iterable[str]) -> CsvReader:
    return csv.reader(lines, skipinitialspace=True, strict=False)


def data_rows(
    reader: CsvReader, columns: Columns, line_offset: int = 0
) -> Iterator[InventoryRow | RejectedRow]:
    """The data rows after the header (or from the start of a range: then ``line_offset`` is
    the number of file lines before the range, since ``reader.line_num`` counts from it)."""
    width = len(columns.names)
    last_line = line_offset + reader.line_num
    while True:
        first_line = last_line + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            last_line = line_offset + reader.line_num
            yield RejectedRow(first_line, f"malformed CSV: {error}")
            continue
        last_line = line_offset + reader.line_num
        if _is_blank(fields):
            continue
        if len(fields) != width:
            reason = f"expected {width} fields as in the header, found {len(fields)}"
            if last_line > first_line:
                reason += f" (the row runs on to line {last_line}: is a quote left open?)"
            yield RejectedRow(first_line, reason)
            continue
        yield _validate(
            first_line,
            fields[columns.store].strip(),
            fields[columns.item].strip(),
            fields[columns.count].strip(),
        )


def _is_blank(fields: list[str]) -> bool:
    return all(not field.strip() for field in fields)


def _line_of_decode_error(lines_read: int, error: UnicodeDecodeError) -> int:
    # The decoder fails on a whole chunk, before any of its lines reach the csv reader: the
    # bad byte is on the first line not yet read, plus the line breaks before it in the chunk.
    before = error.object[: error.start]
    return lines_read + 1 + bytes(before).count(b"\n")


@dataclass(frozen=True, slots=True)
class Columns:
    """Where the header put the required columns; workers of a big file get it from the plan."""

    names: tuple[str, ...]
    store: int
    item: int
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "store": self.store,
            "item": self.item,
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Columns:
        return cls(tuple(data["names"]), int(data["store"]), int(data["item"]), int(data["count"]))


def read_header(reader: Iterator[list[str]]) -> Columns:
    for fields in reader:
        if _is_blank(fields):
            continue
        names = tuple(field.strip().lower() for field in fields)
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if missing:
            raise InvalidInventoryFile(
                f"no valid header: the first line must name the columns store,item,count "
                f"(missing: {', '.join(missing)}; found: {','.join(names)[:200]})"
            )
        for name in REQUIRED_COLUMNS:
            if names.count(name) > 1:
                raise InvalidInventoryFile(f"no valid header: column {name!r} appears twice")
        return Columns(names, names.index("store"), names.index("item"), names.index("count"))
    raise InvalidInventoryFile("the file is empty: expected a header store,item,count")


def _validate(line: int, store: str, item: str, raw_count: str) -> InventoryRow | RejectedRow:
    if not store:
        return RejectedRow(line, "empty store")
    if not item:
        return RejectedRow(line, "empty item")
    if len(store.encode()) > MAX_STORE_BYTES:
        return RejectedRow(line, f"store is longer than {MAX_STORE_BYTES} bytes")
    if len(item.encode()) > MAX_ITEM_BYTES:
        return RejectedRow(line, f"item is longer than {MAX_ITEM_BYTES} bytes")
    if not raw_count:
        return RejectedRow(line, "empty count")
    if _NEGATIVE_DIGITS.fullmatch(raw_count):
        return RejectedRow(line, f"negative count {raw_count!r}")
    # fullmatch on ASCII digits: int() alone would also take "1_000", "+3" and Arabic digits.
    if not _DIGITS.fullmatch(raw_count):
        return RejectedRow(line, f"count is not a whole number: {raw_count[:50]!r}")
    # The length check first: int() refuses strings of more than 4300 digits.
    if len(raw_count.lstrip("0")) > len(str(MAX_COUNT)) or int(raw_count) > MAX_COUNT:
        return RejectedRow(line, f"count {raw_count[:50]} is larger than {MAX_COUNT}")
    return InventoryRow(line, store, item, int(raw_count))
