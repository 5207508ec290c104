"""The image keeps what the Secrets Manager client needs after botocore's models were pruned.

The Dockerfile deletes every service model but Secrets Manager's (about 27 MB). A client that
lacked a file it loads would fail with DataNotFoundError or UnknownServiceError only on AWS,
after a rotation: here the app's own password source runs inside the image, with no network,
and must get as far as the connection (EndpointConnectionError), on AWS's endpoint and on one
given by AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import json

import pytest

from orchestrator.stacks.todo.images import ImageRef, docker_client

PROBE = """
import json, logging, os, botocore
from app.core.db_password import PasswordSource
reasons = []
class Keep(logging.Handler):
    def emit(self, record):
        reasons.append(getattr(record, "reason", record.getMessage()))
logging.getLogger("app.core.db_password").addHandler(Keep())
source = PasswordSource("arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-x-AbCdEf")
fresh = source.refresh(None)
data = sorted(os.listdir(os.path.join(os.path.dirname(botocore.__file__), "data")))
print(json.dumps({"fresh": fresh, "reasons": reasons, "data": data}))
"""


@pytest.mark.parametrize("endpoint", [None, "http://127.0.0.1:9"])
def test_the_pruned_botocore_reaches_the_secrets_manager_call(
    todo_image: ImageRef, endpoint: str | None
) -> None:
    environment = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if endpoint is not None:
        environment["AWS_ENDPOINT_URL"] = endpoint
    client = docker_client()
    try:
        output = client.containers.run(
            str(todo_image),
            command=["python", "-c", PROBE],
            environment=environment,
            network_mode="none",
            remove=True,
        )
    finally:
        client.close()
    result = json.loads(output.decode().strip().splitlines()[-1])

    assert result["fresh"] is None
    assert len(result["reasons"]) == 1
    assert result["reasons"][0].startswith("EndpointConnectionError"), result["reasons"]
    assert "secretsmanager" in result["data"] and "ec2" not in result["data"]
    assert {"endpoints.json", "partitions.json", "sdk-default-configuration.json"} <= set(
        result["data"]
    )
