"""Text lines of a byte stream that know where they are in the file (byte offset, line number).

The csv module reads one physical line at a time from the iterator it is given, and only as
many as the current record needs, so after each record ``offset`` is the byte offset just past
it: that is where a big file is cut into ranges that start on a record boundary, and where a
worker that runs out of time hands the rest of its range on.

Lines are decoded one by one as strict UTF-8 (a multi-byte character never holds a ``\\n``
byte, so splitting on it first is safe), so a bad byte is reported on its exact line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from app_inventory.inventory_csv import InvalidInventoryFile

if TYPE_CHECKING:
    from botocore.response import StreamingBody

CHUNK_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"


class TrackedLines(Iterator[str]):
    """Iterate ``body`` as text lines (line ends kept, as ``csv`` wants with ``newline=""``)."""

    def __init__(
        self, body: IO[bytes] | StreamingBody, *, offset: int = 0, first_line: int = 1
    ) -> None:
        self._body = body
        self._chunks = self._read_chunks()
        self._buffer = b""
        self._pos = 0
        self._eof = False
        self.offset = offset  # byte offset in the file just past the last line handed out
        self.next_line = first_line  # file line number of the next line to hand out
        self._at_file_start = offset == 0

    def __iter__(self) -> TrackedLines:
        return self

    def __next__(self) -> str:
        raw = self._next_raw_line()
        line_number = self.next_line
        self.offset += len(raw)
        self.next_line += 1
        if self._at_file_start:
            self._at_file_start = False
            raw = raw.removeprefix(_BOM)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInventoryFile(
                f"the file is not valid UTF-8 (line {line_number}: {error.reason}); "
                "save it as UTF-8 and upload it again"
            ) from None

    def _next_raw_line(self) -> bytes:
        # An index into the buffer, not slicing it: slicing would copy the rest of a 1 MB
        # chunk for every 30-byte line.
        while True:
            end = self._buffer.find(b"\n", self._pos)
            if end >= 0:
                raw = self._buffer[self._pos : end + 1]
                self._pos = end + 1
                return raw
            rest = self._buffer[self._pos :]
            if self._eof:
                if not rest:
                    raise StopIteration
                self._buffer, self._pos = b"", 0
                return rest
            chunk = next(self._chunks, b"")
            if chunk:
                self._buffer, self._pos = rest + chunk, 0
            else:
                self._buffer, self._pos = rest, 0
                self._eof = True

    def _read_chunks(self) -> Iterator[bytes]:
        while True:
            chunk = self._body.read(CHUNK_BYTES)
            if not chunk:
                return
            yield chunk
