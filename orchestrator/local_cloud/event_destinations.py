"""Where failed (or successful) events go: the SQS queue, SNS topic or function named by an ARN.

Used by asynchronous invocations (the function's event invoke config) and by stream event source
mappings (their ``DestinationConfig.OnFailure``), as Lambda does with the same ARNs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("local_cloud.destinations")

# (function, event JSON, trigger): queues an asynchronous invocation of a destination function.
InvokeAsync = Callable[[Any, str, str], None]


def timestamp(moment: datetime | None = None) -> str:
    """AWS's timestamp in destination records: 2019-11-14T18:16:05.568Z."""
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def send(destination_arn: str, record: dict[str, Any], invoke_async: InvokeAsync) -> bool:
    """Deliver ``record`` as JSON to ``destination_arn``; False (and logged) when it cannot."""
    parts = destination_arn.split(":")
    if len(parts) < 6:
        log.error("destination %r is not an ARN; record dropped: %s", destination_arn, record)
        return False
    service, region, account_id, resource = parts[2], parts[3], parts[4], ":".join(parts[5:])
    body = json.dumps(record, default=str)
    try:
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            sqs_backends[account_id][region].send_message(resource, body)
        elif service == "sns":
            from moto.sns.models import sns_backends

            sns_backends[account_id][region].publish(body, arn=destination_arn)
        elif service == "lambda":
            from moto.awslambda.utils import get_backend

            function = get_backend(account_id, region).get_function(destination_arn)
            invoke_async(function, body, "destination")
        else:
            log.error("destination service %r is not supported locally", service)
            return False
    except Exception:  # a missing destination is the user's problem: say so, keep polling
        log.exception("could not deliver a record to %s: %s", destination_arn, body[:2000])
        return False
    return True
