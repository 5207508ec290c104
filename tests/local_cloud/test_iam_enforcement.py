"""IAM on the local cloud, as on AWS: keys, least-privilege statements on resource ARNs, each
function and task with its own role's credentials."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from orchestrator.local_cloud import control
from orchestrator.stacks.todo.local_task_common import (
    TaskRoles,
    resolve_secrets,
    task_role_environment,
)
from orchestrator.stacks.todo.local_tasks import LocalTaskError, run_local_task
from tests.local_cloud.conftest import ACCOUNT_ID, free_port, unique
from tests.local_cloud.functions import handlers_zip

REGION = "us-east-1"
WRITE_HANDLER = '''

def batch_write(event, context):
    """Writes two rows with BatchWriteItem, as the inventory loader does."""
    table = boto3.resource("dynamodb").Table(event["table"])
    with table.batch_writer() as batch:
        for item in ("apples", "pears"):
            batch.put_item(Item={"k": item})
    return {"written": 2, "caller": boto3.client("sts").get_caller_identity()["Arn"]}
'''


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: str | list[str], resource: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


@pytest.fixture
def make_role(aws: Callable[[str], Any]) -> Iterator[Callable[..., str]]:
    """Create a role trusting a service, with an inline policy of the given statements."""
    iam = aws("iam")
    made: list[str] = []

    def create(*statements: dict[str, Any], service: str = "lambda.amazonaws.com") -> str:
        name = unique("iam-test-role")
        arn = str(
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(service))["Role"]["Arn"]
        )
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=_policy(*statements))
        made.append(name)
        return arn

    yield create
    for name in made:
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        iam.delete_role(RoleName=name)


def _service_credentials(
    cloud: control.LocalCloud, role_arn: str, service: str = "lambda.amazonaws.com"
) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{cloud.endpoint_url}/_local/sts/service-credentials",
        data=json.dumps({"RoleArn": role_arn, "Service": service}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def _as_role(cloud: control.LocalCloud, role_arn: str) -> Callable[[str], Any]:
    keys = _service_credentials(cloud, role_arn)

    def client(service: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=cloud.endpoint_url,
            region_name=REGION,
            aws_access_key_id=keys["AccessKeyId"],
            aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys["Token"],
        )

    return client


def _table(aws: Callable[[str], Any]) -> tuple[str, str]:
    name = unique("iam-table")
    described = aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name, str(described["TableDescription"]["TableArn"])


def _error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def _put(client: Callable[[str], Any], table: str) -> Any:
    return client("dynamodb").put_item(TableName=table, Item={"k": {"S": "x"}})


def test_the_default_keys_are_an_administrator(aws: Callable[[str], Any]) -> None:
    # GIVEN the keys every local client uses (test/test)
    # WHEN they look up whose they are and do what only an administrator may
    keys = aws("iam").list_access_keys(UserName="local-cloud-admin")["AccessKeyMetadata"]
    policy = aws("iam").get_user_policy(
        UserName="local-cloud-admin", PolicyName="AdministratorAccess"
    )["PolicyDocument"]
    identity = aws("sts").get_caller_identity()
    table, _ = _table(aws)
    aws("dynamodb").delete_table(TableName=table)

    # THEN they are the access key of the local cloud's administrator user
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/local-cloud-admin"
    assert [key["AccessKeyId"] for key in keys] == ["test"]
    assert policy["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]


def test_unknown_keys_and_wrong_secrets_are_refused(cloud: control.LocalCloud) -> None:
    def client(service: str, key: str, secret: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=cloud.endpoint_url,
            region_name=REGION,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
        )

    unknown = "AKIAUNKNOWNUNKNOWN00"
    assert _error_code(client("sts", unknown, "x").get_caller_identity) == "InvalidClientTokenId"
    assert _error_code(client("sns", unknown, "x").list_topics) == "InvalidClientTokenId"
    # JSON services name it as AWS does
    assert _error_code(client("dynamodb", unknown, "x").list_tables) == (
        "UnrecognizedClientException"
    )
    assert _error_code(client("sts", "test", "not-test").get_caller_identity) == (
        "SignatureDoesNotMatch"
    )


def test_a_statement_on_the_table_arn_allows_that_table_only(
    aws: Callable[[str], Any], cloud: control.LocalCloud, make_role: Callable[..., str]
) -> None:
    # GIVEN two tables, and roles allowed PutItem on the first's ARN, on "*", or not at all
    table, table_arn = _table(aws)
    other, _ = _table(aws)
    scoped = _as_role(cloud, make_role(_allow("dynamodb:PutItem", table_arn)))
    everywhere = _as_role(cloud, make_role(_allow("dynamodb:PutItem", "*")))
    other_action = _as_role(cloud, make_role(_allow("dynamodb:GetItem", table_arn)))

    # WHEN they write; THEN only what a statement allows goes through
    _put(scoped, table)
    denied = pytest.raises(ClientError, _put, scoped, other)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"dynamodb:PutItem on resource: arn:aws:dynamodb:{REGION}:" in str(denied.value)
    assert _error_code(lambda: _put(other_action, table)) == "AccessDeniedException"
    _put(everywhere, table)
    _put(everywhere, other)
    # a batch is checked on every table it writes to
    batch = {name: [{"PutRequest": {"Item": {"k": {"S": "y"}}}}] for name in (table, other)}
    batch_role = _as_role(cloud, make_role(_allow("dynamodb:BatchWriteItem", table_arn)))
    assert (
        _error_code(lambda: batch_role("dynamodb").batch_write_item(RequestItems=batch))
        == "AccessDeniedException"
    )
    batch_role("dynamodb").batch_write_item(RequestItems={table: batch[table]})


def test_index_topic_queue_and_secret_arns_are_matched(
    aws: Callable[[str], Any], cloud: control.LocalCloud, make_role: Callable[..., str]
) -> None:
    # GIVEN a topic, a queue and a secret each, and a role allowed on the first of each only
    sns, sqs, secrets = aws("sns"), aws("sqs"), aws("secretsmanager")
    topics = [sns.create_topic(Name=unique("iam-topic"))["TopicArn"] for _ in range(2)]
    queues = [sqs.create_queue(QueueName=unique("iam-queue"))["QueueUrl"] for _ in range(2)]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queues[0], AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    names = [unique("iam-secret") for _ in range(2)]
    secret_arn = secrets.create_secret(Name=names[0], SecretString="s3cret")["ARN"]
    secrets.create_secret(Name=names[1], SecretString="other")
    role = _as_role(
        cloud,
        make_role(
            _allow("sns:Publish", topics[0]),
            _allow("sqs:SendMessage", queue_arn),
            _allow("secretsmanager:GetSecretValue", secret_arn),
        ),
    )

    # WHEN it publishes, sends (one by one and in a batch, which needs sqs:SendMessage) and reads
    role("sns").publish(TopicArn=topics[0], Message="hi")
    role("sqs").send_message(QueueUrl=queues[0], MessageBody="hi")
    role("sqs").send_message_batch(QueueUrl=queues[0], Entries=[{"Id": "1", "MessageBody": "a"}])
    # (by name: the statement names the full ARN, with its random suffix)
    assert role("secretsmanager").get_secret_value(SecretId=names[0])["SecretString"] == "s3cret"

    # THEN the other resource of each service is denied, as AWS names it
    assert _error_code(lambda: role("sns").publish(TopicArn=topics[1], Message="x")) == (
        "AuthorizationError"
    )
    assert _error_code(lambda: role("sqs").send_message(QueueUrl=queues[1], MessageBody="x")) in (
        "AccessDenied",
        "AccessDeniedException",
    )
    assert _error_code(lambda: role("secretsmanager").get_secret_value(SecretId=names[1])) == (
        "AccessDeniedException"
    )


def test_a_function_runs_with_its_execution_role(
    aws: Callable[[str], Any], make_role: Callable[..., str]
) -> None:
    # GIVEN a table and two functions writing to it with BatchWriteItem: one whose role lacks
    # the permission, one whose role has it on the table's ARN
    table, table_arn = _table(aws)
    lacking = make_role(_allow("dynamodb:PutItem", table_arn))
    allowed = make_role(_allow("dynamodb:BatchWriteItem", table_arn))
    functions = {}
    for label, role in (("lacking", lacking), ("allowed", allowed)):
        name = f"batch-write-{label}-{uuid.uuid4().hex[:8]}"
        aws("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handlers.batch_write",
            Code={"ZipFile": handlers_zip(WRITE_HANDLER)},
            Timeout=20,
        )
        functions[label] = name

    # WHEN each is invoked
    def invoke(name: str) -> tuple[str | None, dict[str, Any]]:
        answer = aws("lambda").invoke(FunctionName=name, Payload=json.dumps({"table": table}))
        return answer.get("FunctionError"), json.loads(answer["Payload"].read())

    error, denied = invoke(functions["lacking"])
    ok_error, written = invoke(functions["allowed"])

    # THEN the one without the permission fails with AccessDenied, naming its role; the other
    # writes, as its role's session
    assert error == "Unhandled"
    assert "AccessDeniedException" in denied["errorMessage"]
    assert "dynamodb:BatchWriteItem" in denied["errorMessage"]
    assert lacking.rsplit("/", 1)[-1] in denied["errorMessage"]
    assert ok_error is None and written["written"] == 2
    assert f":assumed-role/{allowed.rsplit('/', 1)[-1]}/" in written["caller"]
    assert aws("dynamodb").scan(TableName=table)["Count"] == 2


def test_a_service_gets_only_roles_that_trust_it(
    cloud: control.LocalCloud, make_role: Callable[..., str]
) -> None:
    # GIVEN a role only Lambda may assume
    role = make_role()

    # WHEN ECS asks for its credentials; THEN it is refused with the reason
    with pytest.raises(urllib.error.HTTPError) as refused:
        _service_credentials(cloud, role, service="ecs-tasks.amazonaws.com")
    assert refused.value.code == 403
    assert "trust policy" in json.loads(refused.value.read())["message"]


def test_lab_role_may_use_the_stacks_services(
    aws: Callable[[str], Any], cloud: control.LocalCloud
) -> None:
    # GIVEN the local LabRole (Learner Lab's broad policy), as Lambda assumes it
    lab = _as_role(cloud, f"arn:aws:iam::{ACCOUNT_ID}:role/LabRole")
    table, _ = _table(aws)

    # WHEN it writes to a table and lists topics; THEN it may
    _put(lab, table)
    lab("sns").list_topics()


def test_a_task_whose_execution_role_cannot_read_its_secret_does_not_start(
    aws: Callable[[str], Any],
    cloud: control.LocalCloud,
    make_role: Callable[..., str],
    tmp_path: Path,
) -> None:
    # GIVEN a task whose secret its execution role may not read, and a task role
    secret_arn = aws("secretsmanager").create_secret(
        Name=unique("iam-api-token"), SecretString="t0ken"
    )["ARN"]
    ecs = "ecs-tasks.amazonaws.com"
    lacking = make_role(_allow("secretsmanager:GetSecretValue", f"{secret_arn}-other"), service=ecs)
    allowed = make_role(_allow("secretsmanager:GetSecretValue", secret_arn), service=ecs)
    task_role = make_role(service=ecs)

    # WHEN it is started locally (the uvicorn runner; it fails before starting anything)
    with pytest.raises(LocalTaskError) as failed:
        run_local_task(
            None,
            port=free_port(),
            name=unique("iam-task"),
            work_dir=tmp_path,
            use_docker=False,
            roles=TaskRoles(cloud.endpoint_url, execution_role_arn=lacking),
            secrets={"API_TOKEN": secret_arn},
        )

    # THEN it says what ECS says, naming the role and the secret
    message = str(failed.value)
    assert message.startswith("ResourceInitializationError")
    assert secret_arn in message and lacking in message
    assert "secretsmanager:GetSecretValue" in message
    # and with the permission the secret is read; the app gets the task role's session
    roles = TaskRoles(cloud.endpoint_url, execution_role_arn=allowed, task_role_arn=task_role)
    assert resolve_secrets(roles, {"API_TOKEN": secret_arn}) == {"API_TOKEN": "t0ken"}
    app_keys = task_role_environment(roles)
    caller = boto3.client(
        "sts",
        endpoint_url=cloud.endpoint_url,
        region_name=REGION,
        aws_access_key_id=app_keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=app_keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=app_keys["AWS_SESSION_TOKEN"],
    ).get_caller_identity()
    assert f":assumed-role/{task_role.rsplit('/', 1)[-1]}/" in caller["Arn"]


def test_enforcement_can_be_turned_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cloud: control.LocalCloud
) -> None:
    # GIVEN a local cloud started with LOCAL_CLOUD_IAM=off
    monkeypatch.setenv("LOCAL_CLOUD_IAM", "off")
    work_dir = tmp_path / "open-cloud"
    port = free_port({cloud.port})
    started = control.up(work_dir, port=port)
    try:
        # WHEN a key nobody made lists tables; THEN it may
        client = boto3.client(
            "dynamodb",
            endpoint_url=started.endpoint_url,
            region_name=REGION,
            aws_access_key_id="anything",
            aws_secret_access_key="anything",
        )
        assert client.list_tables()["TableNames"] == []
    finally:
        control.down(work_dir)
