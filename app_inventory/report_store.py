"""Where a load's reports live: the user's report, and the survey the workers complete it from.

The planner saves the survey's findings (rejected rows, duplicates, ranges) once, privately, at
``loads/<load_id>.json``; every worker that finishes a range rebuilds the user's report at
``reports/<name>.report.json`` from it and the loads table. A worker writes the report *before*
it settles its range, and only the worker that settles the last range writes the final one, so
a late "running" report can never overwrite the final report.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from app_inventory.load_report import LoadReport, report_key, utc_now
from app_inventory.load_state import LoadState

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LOADS_PREFIX = "loads/"


def survey_key(load_id: str) -> str:
    return f"{LOADS_PREFIX}{load_id}.json"


def superseded_key(load_id: str, index: int) -> str:
    return f"{LOADS_PREFIX}{load_id}/superseded-{index}.json"


class ReportStore:
    def __init__(self, s3: S3Client) -> None:
        self._s3 = s3
        self._survey = lru_cache(maxsize=8)(self._read_survey)

    def put_report(self, report: LoadReport) -> None:
        self._put(report.bucket, report_key(report.key), report.to_json())

    def put_survey(self, report: LoadReport) -> None:
        assert report.load_id is not None
        self._put(report.bucket, survey_key(report.load_id), report.to_json())

    def put_json(self, bucket: str, key: str, value: Any) -> None:
        self._put(bucket, key, json.dumps(value, separators=(",", ":")))

    def get_json(self, bucket: str, key: str) -> Any:
        return json.loads(self._s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    def report_from(self, bucket: str, key: str, state: LoadState) -> LoadReport:
        """The user's report for the load's current state."""
        report = LoadReport.from_dict(self._survey(bucket, key, state.load_id), bucket, key)
        report.rows_loaded = state.rows_loaded
        report.ranges_done = len(state.done)
        report.failed_ranges = state.failed_ranges
        report.running = not state.settled
        if state.settled:
            report.finished_at = utc_now()
        return report

    def _read_survey(self, bucket: str, key: str, load_id: str) -> dict[str, Any]:
        survey: dict[str, Any] = self.get_json(bucket, survey_key(load_id))
        return survey

    def _put(self, bucket: str, key: str, body: str) -> None:
        self._s3.put_object(
            Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/json"
        )
