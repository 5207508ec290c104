"""Row parsing and validation, on byte streams as S3 hands them over."""

from __future__ import annotations

import io

import pytest

from app_inventory.inventory_csv import (
    InvalidInventoryFile,
    InventoryRow,
    RejectedRow,
    read_rows,
    text_lines,
)


def parse(data: bytes) -> list[InventoryRow | RejectedRow]:
    return list(read_rows(text_lines(io.BytesIO(data))))


def test_plain_rows_carry_their_file_line_numbers() -> None:
    # GIVEN a header and two rows
    data = b"store,item,count\nBerlin,Apples,42\nMadrid,Jamon,5\n"
    # WHEN parsed
    rows = parse(data)
    # THEN the header is line 1 and counts are ints
    assert rows == [InventoryRow(2, "Berlin", "Apples", 42), InventoryRow(3, "Madrid", "Jamon", 5)]


def test_bom_crlf_and_no_final_newline() -> None:
    # GIVEN a file saved by Excel: UTF-8 BOM, CRLF line ends, no newline at the end
    data = b"\xef\xbb\xbfstore,item,count\r\nBerlin,Apples,42\r\nBerlin,K\xc3\xa4se,3"
    # WHEN parsed
    rows = parse(data)
    # THEN the BOM does not spoil the first column name and no field keeps a '\r'
    assert rows == [InventoryRow(2, "Berlin", "Apples", 42), InventoryRow(3, "Berlin", "Käse", 3)]


def test_quoted_fields_with_commas_quotes_and_line_breaks() -> None:
    # GIVEN quoted fields: a comma, an escaped quote, and a line break inside a field
    data = (
        b'store,item,count\n"Berlin","Flour, rye",7\nBerlin,"12"" pizza",2\n'
        b'Madrid,"Olive\noil",9\nMadrid,Turron,x\n'
    )
    # WHEN parsed
    rows = parse(data)
    # THEN fields are unquoted, and a row after a two-line field has its physical line number
    assert rows == [
        InventoryRow(2, "Berlin", "Flour, rye", 7),
        InventoryRow(3, "Berlin", '12" pizza', 2),
        InventoryRow(4, "Madrid", "Olive\noil", 9),
        RejectedRow(6, "count is not a whole number: 'x'"),
    ]


def test_surrounding_spaces_are_trimmed_also_around_quotes() -> None:
    # GIVEN spaces around plain and quoted fields, and in the header
    data = b' Store , ITEM ,Count \n  Berlin ,  "Green tea" ,  4  \n'
    # WHEN parsed
    rows = parse(data)
    # THEN the header matches case-insensitively and the values are trimmed
    assert rows == [InventoryRow(2, "Berlin", "Green tea", 4)]


def test_column_order_may_vary_and_extra_columns_are_ignored() -> None:
    # GIVEN columns in another order plus a notes column
    data = b"count,notes,item,store\n3,reorder soon,Milk,Berlin\n"
    # WHEN parsed
    rows = parse(data)
    # THEN each value is read from its named column
    assert rows == [InventoryRow(2, "Berlin", "Milk", 3)]


def test_an_open_quote_swallowing_later_lines_is_pointed_out() -> None:
    # GIVEN a quote left open on line 2: lines 2-4 become one field
    data = b'store,item,count\nBerlin,"Milk,3\nBerlin,Eggs,4\nBerlin,Tea,5\n'
    # WHEN parsed
    rows = parse(data)
    # THEN the row is rejected with a hint, naming the lines it spans
    assert rows == [
        RejectedRow(
            2,
            "expected 3 fields as in the header, found 2 "
            "(the row runs on to line 4: is a quote left open?)",
        )
    ]


def test_an_oversized_field_is_rejected_and_reading_goes_on() -> None:
    data = b'store,item,count\nBerlin,"' + b"x" * 200_000 + b'",3\nBerlin,Eggs,4\n'
    rows = parse(data)
    assert isinstance(rows[0], RejectedRow) and rows[0].line == 2
    assert rows[0].reason.startswith("malformed CSV: field larger than field limit")
    assert rows[1] == InventoryRow(3, "Berlin", "Eggs", 4)


def test_blank_rows_are_skipped_but_still_counted() -> None:
    # GIVEN blank lines, a line of spaces and a spreadsheet's empty ",," rows around the data
    data = b"\nstore,item,count\n\nBerlin,Milk,3\r\n   \r\nBerlin,Eggs,x\n,,\n , ,\n"
    # WHEN parsed
    rows = parse(data)
    # THEN they yield nothing and line numbers stay physical
    assert rows == [
        InventoryRow(4, "Berlin", "Milk", 3),
        RejectedRow(6, "count is not a whole number: 'x'"),
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (b"Berlin,Milk", "expected 3 fields as in the header, found 2"),
        (b"Berlin,Milk,3,extra", "expected 3 fields as in the header, found 4"),
        (b"Berlin,Milk,three", "count is not a whole number: 'three'"),
        (b"Berlin,Milk,3.5", "count is not a whole number: '3.5'"),
        (b"Berlin,Milk,1_000", "count is not a whole number: '1_000'"),
        (b"Berlin,Milk,+3", "count is not a whole number: '+3'"),
        (b"Berlin,Milk,-2", "negative count '-2'"),
        (b"Berlin,Milk,", "empty count"),
        (b",Milk,3", "empty store"),
        (b"  ,Milk,3", "empty store"),
        (b'Berlin,"",3', "empty item"),
        (b"Berlin,Milk,99999999999999999999", "count 99999999999999999999 is larger than"),
        (b"Berlin," + b"x" * 1025 + b",3", "item is longer than 1024 bytes"),
    ],
)
def test_invalid_rows_are_rejected_with_line_and_reason(row: bytes, reason: str) -> None:
    # GIVEN one bad row between two good ones
    data = b"store,item,count\nBerlin,Bread,1\n" + row + b"\nMadrid,Jamon,5\n"
    # WHEN parsed
    rows = parse(data)
    # THEN the bad row is rejected at line 3 and the good rows around it still come through
    assert rows[0] == InventoryRow(2, "Berlin", "Bread", 1)
    assert isinstance(rows[1], RejectedRow)
    assert rows[1].line == 3
    assert rows[1].reason.startswith(reason)
    assert rows[2] == InventoryRow(4, "Madrid", "Jamon", 5)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\r\n", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (b"Berlin,Apples,42\n", "no valid header"),
        (b"store,item\nBerlin,Apples\n", "no valid header"),
        (b"store,item,count,Count\nBerlin,Apples,1,2\n", "column 'count' appears twice"),
    ],
)
def test_a_file_without_a_valid_header_is_refused(data: bytes, message: str) -> None:
    # GIVEN a file with no usable header
    # WHEN parsed
    # THEN the whole file is refused with a reason
    with pytest.raises(InvalidInventoryFile, match=message):
        parse(data)


def test_missing_column_is_named() -> None:
    with pytest.raises(InvalidInventoryFile, match=r"missing: count"):
        parse(b"store,item,qty\nBerlin,Apples,42\n")


def test_non_utf8_bytes_deep_in_the_file_refuse_the_file() -> None:
    # GIVEN a Latin-1 file: valid ASCII for many lines, then 'ä' as byte 0xE4
    data = b"store,item,count\n" + b"Berlin,Bread,1\n" * 5000 + b"Berlin,K\xe4se,3\n"
    rows = read_rows(text_lines(io.BytesIO(data)))
    # WHEN read to the end
    # THEN it fails as a file, naming UTF-8 and the line (1 header + 5000 rows + 1)
    with pytest.raises(InvalidInventoryFile, match=r"not valid UTF-8 \(line 5002: "):
        for _ in rows:
            pass
