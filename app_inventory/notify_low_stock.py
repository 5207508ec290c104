"""Lambda: publish one SNS alert per item whose count has just fallen below the threshold.

Handler: ``app_inventory.notify_low_stock.handler``; event source: the table's stream
(``NEW_AND_OLD_IMAGES``) with ``ReportBatchItemFailures``. Environment: ``TOPIC_ARN``,
``LOW_STOCK_THRESHOLD`` (default 5). A record that cannot be read is reported in
``batchItemFailures``; the others in the batch are still processed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from app_inventory import aws_clients
from app_inventory.stock_alerts import PoisonRecord, low_stock_alert

logger = Logger()
# A batch of one poison record is still answered with batchItemFailures rather than an
# exception: records often arrive one per invocation, and the answer stays the same shape.
processor = BatchProcessor(
    event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
)


def record_handler(record: DynamoDBRecord) -> None:
    stream_record = record.dynamodb
    if record.event_name is None or stream_record is None:
        raise PoisonRecord("not a DynamoDB stream record (no eventName or dynamodb)")
    alert = low_stock_alert(
        record.event_name.name,
        stream_record.old_image,
        stream_record.new_image,
        aws_clients.low_stock_threshold(),
    )
    if alert is None:
        return
    aws_clients.sns_client().publish(
        TopicArn=aws_clients.topic_arn(),
        Subject=alert.subject,
        Message=alert.message,
        MessageAttributes=alert.message_attributes,
    )
    logger.info(
        "low stock alert sent",
        extra={"store": alert.store, "item": alert.item, "count": alert.count},
    )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
