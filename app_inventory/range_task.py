"""One range of a big CSV, as the message a worker receives (and sends on when time runs out)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from app_inventory.inventory_csv import Columns

if TYPE_CHECKING:
    from app_inventory.load_plan import ByteRange


@dataclass(frozen=True)
class RangeTask:
    load_id: str
    bucket: str
    key: str
    version_id: str | None
    etag: str
    index: int
    start: int  # byte offset of the first record still to write
    end: int  # byte offset just past the range
    first_line: int  # file line of the record at ``start``
    range_first_line: int  # where the range began and ends, for reports
    range_last_line: int
    columns: Columns
    rows_before: int = 0  # rows of this range written by earlier invocations
    superseded: tuple[int, ...] = ()  # lines in the range that a later row replaces
    superseded_key: str | None = None  # or an S3 key holding them, when there are many
    continuation: int = 0

    @classmethod
    def of_range(
        cls,
        byte_range: ByteRange,
        *,
        load_id: str,
        bucket: str,
        key: str,
        version_id: str | None,
        etag: str,
        columns: Columns,
        superseded: tuple[int, ...] = (),
        superseded_key: str | None = None,
    ) -> RangeTask:
        """The task that writes the whole of one range the survey cut."""
        return cls(
            load_id=load_id,
            bucket=bucket,
            key=key,
            version_id=version_id,
            etag=etag,
            index=byte_range.index,
            start=byte_range.start,
            end=byte_range.end,
            first_line=byte_range.first_line,
            range_first_line=byte_range.first_line,
            range_last_line=byte_range.last_line,
            columns=columns,
            superseded=superseded,
            superseded_key=superseded_key,
        )

    @property
    def lines(self) -> list[int]:
        return [self.range_first_line, self.range_last_line]

    def continued(self, start: int, first_line: int, rows_written: int) -> RangeTask:
        """What is left of this range, after ``rows_written`` rows in all."""
        return replace(
            self,
            start=start,
            first_line=first_line,
            rows_before=rows_written,
            continuation=self.continuation + 1,
        )

    def to_json(self) -> str:
        data: dict[str, Any] = asdict(self)
        data["columns"] = self.columns.to_dict()
        data["superseded"] = list(self.superseded)
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> RangeTask:
        data = json.loads(text)
        data["columns"] = Columns.from_dict(data["columns"])
        data["superseded"] = tuple(int(line) for line in data.get("superseded") or ())
        return cls(**data)
