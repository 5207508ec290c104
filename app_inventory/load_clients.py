"""Clients and settings of the three loader functions, created once per Lambda container."""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

import boto3

from app_inventory import aws_clients
from app_inventory.bulk_load import LoadServices
from app_inventory.load_plan import DEFAULT_ROWS_PER_RANGE
from app_inventory.load_state import Loads
from app_inventory.report_store import ReportStore

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@cache
def sqs_client() -> SQSClient:
    return boto3.client("sqs")


@cache
def services() -> LoadServices:
    """What a loader function works with; ``RANGES_QUEUE_URL`` may be absent (failure fn)."""
    loads_table = boto3.resource("dynamodb").Table(os.environ["LOADS_TABLE_NAME"])
    return LoadServices(
        s3=aws_clients.s3_client(),
        sqs=sqs_client(),
        table=aws_clients.inventory_table(),
        loads=Loads(loads_table),
        reports=ReportStore(aws_clients.s3_client()),
        ranges_queue_url=os.environ.get("RANGES_QUEUE_URL", ""),
    )


def rows_per_range() -> int:
    raw = os.environ.get("LOAD_RANGE_ROWS", "").strip()
    return int(raw) if raw else DEFAULT_ROWS_PER_RANGE


def reset() -> None:
    for factory in (sqs_client, services):
        factory.cache_clear()
