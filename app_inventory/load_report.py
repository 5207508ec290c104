"""The load report: what a CSV upload did to the table, as the JSON others read.

Schema (``to_dict``)::

    {"source": "s3://bucket/key",
     "status": "running" | "loaded" | "partial" | "failed",
     "rows_loaded": int,        # items written so far: valid rows, each key once (its last row)
     "rows_rejected": int,      # invalid rows, all of them (the list below may be capped)
     "rows_duplicate": int,     # valid rows superseded by a later row with the same key
     "rejected": [{"line": int, "reason": str}],
     "duplicates": [{"line": int, "replaces_line": int, "store": str, "item": str}],
     "error": str | null,       # why the file as a whole failed
     "load_id": str | null,
     "ranges": {"total": int, "done": int,
                "failed": [{"range": int, "lines": [first, last], "rows_written": int,
                            "error": str}]},
     "started_at": str | null, "finished_at": str | null}   # ISO 8601, UTC

``running``: workers are still writing; ``rows_loaded`` grows as ranges finish.
``loaded``: every data row was valid and written. ``partial``: some rows loaded, and some were
rejected or some ranges failed (listed, and redrivable). ``failed``: nothing was loaded
(unreadable file, no header, every row rejected, or every range failed).
The lists keep the first ``MAX_LISTED`` entries so that a garbage file cannot make a huge
report; the counts are always complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

UPLOADS_PREFIX = "uploads/"
REPORTS_PREFIX = "reports/"
REPORT_SUFFIX = ".report.json"
MAX_LISTED = 1000

Status = Literal["running", "loaded", "partial", "failed"]


def report_key(upload_key: str) -> str:
    """``uploads/a/b.csv`` -> ``reports/a/b.csv.report.json``."""
    name = upload_key.removeprefix(UPLOADS_PREFIX)
    return f"{REPORTS_PREFIX}{name}{REPORT_SUFFIX}"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class LoadReport:
    bucket: str
    key: str
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    load_id: str | None = None
    ranges_total: int = 0
    ranges_done: int = 0
    failed_ranges: list[dict[str, Any]] = field(default_factory=list)
    running: bool = False
    started_at: str | None = None
    finished_at: str | None = None

    @property
    def source(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def status(self) -> Status:
        if self.running and self.error is None:
            return "running"
        nothing_loaded = self.rows_loaded == 0
        if self.error is not None or (
            nothing_loaded and (self.rows_rejected > 0 or self.failed_ranges)
        ):
            return "failed"
        return "partial" if self.rows_rejected or self.failed_ranges else "loaded"

    def add_rejected(self, line: int, reason: str) -> None:
        self.rows_rejected += 1
        if len(self.rejected) < MAX_LISTED:
            self.rejected.append({"line": line, "reason": reason})

    def add_duplicate(self, line: int, replaces_line: int, store: str, item: str) -> None:
        self.rows_duplicate += 1
        if len(self.duplicates) < MAX_LISTED:
            self.duplicates.append(
                {"line": line, "replaces_line": replaces_line, "store": store, "item": item}
            )

    def fail(self, error: str) -> None:
        """The file as a whole cannot be loaded; nothing was written."""
        self.error = error
        self.rows_loaded = 0
        self.running = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "rows_duplicate": self.rows_duplicate,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "error": self.error,
            "load_id": self.load_id,
            "ranges": {
                "total": self.ranges_total,
                "done": self.ranges_done,
                "failed": self.failed_ranges,
            },
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any], bucket: str, key: str) -> LoadReport:
        """The report a planner saved (the survey's findings), to be completed by workers."""
        ranges = data.get("ranges") or {}
        return cls(
            bucket=bucket,
            key=key,
            rows_loaded=int(data.get("rows_loaded", 0)),
            rows_rejected=int(data.get("rows_rejected", 0)),
            rows_duplicate=int(data.get("rows_duplicate", 0)),
            rejected=list(data.get("rejected", [])),
            duplicates=list(data.get("duplicates", [])),
            error=data.get("error"),
            load_id=data.get("load_id"),
            ranges_total=int(ranges.get("total", 0)),
            ranges_done=int(ranges.get("done", 0)),
            failed_ranges=list(ranges.get("failed", [])),
            running=data.get("status") == "running",
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
        )
