"""The load report: what a CSV upload did to the table, as the JSON others read.

Schema (``to_dict``)::

    {"source": "s3://bucket/key",
     "status": "loaded" | "partial" | "failed",
     "rows_loaded": int,        # items written: valid rows, each key once (its last row)
     "rows_rejected": int,      # invalid rows, all of them (the list below may be capped)
     "rows_duplicate": int,     # valid rows superseded by a later row with the same key
     "rejected": [{"line": int, "reason": str}],
     "duplicates": [{"line": int, "replaces_line": int, "store": str, "item": str}],
     "error": str | null}       # why the file as a whole failed

``loaded``: every data row was valid. ``partial``: some rows loaded, some rejected.
``failed``: nothing was loaded (unreadable file, no header, or every row rejected).
The lists keep the first ``MAX_LISTED`` entries so that a garbage file cannot make a huge
report; the counts are always complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

UPLOADS_PREFIX = "uploads/"
REPORTS_PREFIX = "reports/"
REPORT_SUFFIX = ".report.json"
MAX_LISTED = 1000

Status = Literal["loaded", "partial", "failed"]


def report_key(upload_key: str) -> str:
    """``uploads/a/b.csv`` -> ``reports/a/b.csv.report.json``."""
    name = upload_key.removeprefix(UPLOADS_PREFIX)
    return f"{REPORTS_PREFIX}{name}{REPORT_SUFFIX}"


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

    @property
    def source(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def status(self) -> Status:
        if self.error is not None or (self.rows_loaded == 0 and self.rows_rejected > 0):
            return "failed"
        return "partial" if self.rows_rejected else "loaded"

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
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)
