"""Plan assertions on the inventory module, through the root configuration.

GIVEN the inventory stack initialised in a throwaway data dir, with STS answered by a moto server
WHEN terraform plans it with chosen variables
THEN the planned resources carry the settings the design asks for.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from orchestrator.terraform import state_resources
from tests.conftest import REPO_ROOT
from tests.terraform.tf_helpers import Plan, Stack, TerraformFailed

M = "module.inventory"
FUNCTIONS = {
    "load_inventory": "app_inventory.load_inventory.handler",
    "load_inventory_range": "app_inventory.load_inventory_range.handler",
    "load_range_failed": "app_inventory.load_range_failed.handler",
    "notify_low_stock": "app_inventory.notify_low_stock.handler",
    "get_inventory_api": "app_inventory.get_inventory_api.handler",
}
LAB_ROLE = "arn:aws:iam::123456789012:role/LabRole"
OUTPUTS = {
    "website_url",
    "website_bucket_name",
    "api_endpoint",
    "upload_bucket_name",
    "upload_prefix",
    "reports_prefix",
    "table_name",
    "table_stream_arn",
    "topic_arn",
    "function_names",
    "log_group_names",
    "uses_lab_role",
}
TAGS = {"Suite": "terraform-plan"}


def created_roles_vars(package_vars: dict[str, Any], web_dir: Path) -> dict[str, Any]:
    return {
        "environment": "plantest",
        **package_vars,
        "website_source_dir": str(web_dir),
        "low_stock_threshold": 7,
        "alert_email": "ops@example.com",
        "log_retention_days": 30,
        "tags": TAGS,
    }


@pytest.fixture(scope="module")
def account_id(moto_endpoint: str) -> str:
    sts = boto3.client(
        "sts",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return str(sts.get_caller_identity()["Account"])


@pytest.fixture(scope="module")
def plan(inventory_stack: Stack, package_vars: dict[str, Any], web_dir: Path) -> Plan:
    """Created-roles mode, with an alert email, threshold 7 and 30 days of logs."""
    return inventory_stack.plan("created-roles", created_roles_vars(package_vars, web_dir))


@pytest.fixture(scope="module")
def lab_plan(inventory_stack: Stack, package_vars: dict[str, Any]) -> Plan:
    """LabRole mode, with the stack's default website directory and the defaults otherwise."""
    return inventory_stack.plan(
        "lab-role",
        {
            "environment": "labtest",
            **package_vars,
            "lab_role_arn": LAB_ROLE,
            "point_in_time_recovery": True,
        },
    )


def diagnostics_text(output: str) -> str:
    """Terraform's error text on one line, without the box drawing it may add."""
    return " ".join(output.replace("│", " ").replace("╷", " ").replace("╵", " ").split())


# ----------------------------------------------------------------------------- table
def test_table_is_on_demand_keyed_by_store_and_item_with_a_stream(plan: Plan) -> None:
    table = plan.one("aws_dynamodb_table", "this")

    assert table["name"] == "inventory-plantest-items"
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["hash_key"] == "store"
    assert table["range_key"] == "item"
    assert {(a["name"], a["type"]) for a in table["attribute"]} == {
        ("store", "S"),
        ("item", "S"),
        ("low_stock", "S"),
    }
    assert table["stream_enabled"] is True
    assert table["stream_view_type"] == "NEW_AND_OLD_IMAGES"
    assert table["server_side_encryption"][0]["enabled"] is True
    assert table["point_in_time_recovery"][0]["enabled"] is False


def test_low_stock_index_is_keyed_by_the_sparse_mark_and_the_store(plan: Plan) -> None:
    [index] = plan.one("aws_dynamodb_table", "this")["global_secondary_index"]

    assert (index["name"], index["hash_key"], index["range_key"]) == (
        "low-stock",
        "low_stock",
        "store",
    )
    assert index["projection_type"] == "ALL"


def test_loads_and_alerts_tables_expire_their_items(plan: Plan) -> None:
    for name, ttl_attribute in (("loads", "expires_at"), ("idempotency", "expiration")):
        table = plan.one("aws_dynamodb_table", name)
        assert table["billing_mode"] == "PAY_PER_REQUEST"
        assert table["ttl"] == [{"attribute_name": ttl_attribute, "enabled": True}]
        assert table["server_side_encryption"][0]["enabled"] is True
    assert plan.one("aws_dynamodb_table", "stores")["hash_key"] == "store"


def test_point_in_time_recovery_follows_its_variable(lab_plan: Plan) -> None:
    table = lab_plan.one("aws_dynamodb_table", "this")

    assert table["point_in_time_recovery"][0]["enabled"] is True


# ------------------------------------------------------------------------- functions
def _zip_hash(path: str) -> str:
    return base64.b64encode(hashlib.sha256(Path(path).read_bytes()).digest()).decode()


def test_each_function_runs_its_own_zip_with_the_shared_layer_on_python_3_12(
    plan: Plan, package_vars: dict[str, Any]
) -> None:
    functions = {key: plan.one("aws_lambda_function", "this", key) for key in FUNCTIONS}
    layer = plan.one("aws_lambda_layer_version", "this")

    # The layer: the dependencies' zip, for the functions' runtime
    assert layer["layer_name"] == "inventory-plantest-dependencies"
    assert layer["filename"] == package_vars["lambda_layer_path"]
    assert layer["source_code_hash"] == _zip_hash(package_vars["lambda_layer_path"])
    assert layer["compatible_runtimes"] == ["python3.12"]
    # Each function: its own zip (so a change to one updates one), and the layer
    for key, function in functions.items():
        package = package_vars["lambda_packages"][key]
        assert function["function_name"] == f"inventory-plantest-{key.replace('_', '-')}"
        assert function["handler"] == FUNCTIONS[key]
        assert function["runtime"] == "python3.12"
        assert function["filename"] == package
        assert function["source_code_hash"] == _zip_hash(package)
    assert len({f["source_code_hash"] for f in functions.values()}) == len(FUNCTIONS)
    # The layer's ARN is known after apply: the configuration says where it comes from.
    resources = plan.data["configuration"]["root_module"]["module_calls"]["inventory"]["module"]
    [function_config] = [
        r for r in resources["resources"] if r["address"] == "aws_lambda_function.this"
    ]
    assert (
        "aws_lambda_layer_version.this.arn"
        in function_config["expressions"]["layers"]["references"]
    )


def test_a_function_without_a_zip_is_refused_with_its_name(
    inventory_stack: Stack, package_vars: dict[str, Any], web_dir: Path
) -> None:
    packages = dict(package_vars["lambda_packages"])
    del packages["notify_low_stock"]
    variables = created_roles_vars(package_vars, web_dir) | {"lambda_packages": packages}

    with pytest.raises(TerraformFailed) as failure:
        inventory_stack.plan("missing-zip", variables)

    assert "lambda_packages has no zip for the function notify_low_stock" in diagnostics_text(
        failure.value.output
    )


def test_planner_has_room_for_big_files_and_workers_a_short_timeout(plan: Plan) -> None:
    planner = plan.one("aws_lambda_function", "this", "load_inventory")
    worker = plan.one("aws_lambda_function", "this", "load_inventory_range")

    assert (planner["memory_size"], planner["timeout"]) == (2048, 900)
    assert (worker["memory_size"], worker["timeout"]) == (512, 120)


def test_ranges_queue_retries_three_times_then_records_the_failure(plan: Plan) -> None:
    ranges = plan.one("aws_sqs_queue", "load_ranges")
    mapping = plan.one("aws_lambda_event_source_mapping", "load_ranges")

    assert ranges["visibility_timeout_seconds"] == 6 * 120
    assert ranges["sqs_managed_sse_enabled"] is True
    assert mapping["batch_size"] == 1
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert mapping["scaling_config"] == [{"maximum_concurrency": 10}]


def test_dead_letter_queues_are_encrypted_and_keep_messages_14_days(plan: Plan) -> None:
    for name in ("load_failures", "load_dlq", "stream_dlq"):
        queue = plan.one("aws_sqs_queue", name)
        assert queue["sqs_managed_sse_enabled"] is True
        assert queue["message_retention_seconds"] == 14 * 24 * 3600


def test_failed_s3_events_and_stream_batches_have_an_on_failure_destination(plan: Plan) -> None:
    invoke_config = plan.one("aws_lambda_function_event_invoke_config", "load_inventory")
    stream = plan.one("aws_lambda_event_source_mapping", "notify_low_stock")

    assert invoke_config["maximum_retry_attempts"] == 2
    assert len(invoke_config["destination_config"][0]["on_failure"]) == 1
    assert len(stream["destination_config"][0]["on_failure"]) == 1
    assert stream["bisect_batch_on_function_error"] is True
    assert stream["function_response_types"] == ["ReportBatchItemFailures"]


def test_alarms_watch_every_function_both_dead_letter_queues_and_the_stream(plan: Plan) -> None:
    alarms = plan.of_type("aws_cloudwatch_metric_alarm")
    metrics = {(a["namespace"], a["metric_name"]) for a in alarms.values()}

    for key in FUNCTIONS:
        assert f'{M}.aws_cloudwatch_metric_alarm.function["{key}-errors"]' in alarms
        assert f'{M}.aws_cloudwatch_metric_alarm.function["{key}-throttles"]' in alarms
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in metrics
    assert ("AWS/Lambda", "IteratorAge") in metrics
    assert len(plan.of_type("aws_sns_topic_subscription")) == 1  # alerts only: no alarm_email


def test_other_functions_are_smaller_and_quicker(plan: Plan) -> None:
    for key in ("notify_low_stock", "get_inventory_api"):
        function = plan.one("aws_lambda_function", "this", key)
        assert function["memory_size"] == 256
        assert 10 <= function["timeout"] <= 30


def test_functions_get_table_threshold_and_powertools_settings(plan: Plan) -> None:
    for key in ("get_inventory_api",):
        variables = plan.one("aws_lambda_function", "this", key)["environment"][0]["variables"]
        assert variables["TABLE_NAME"] == "inventory-plantest-items"
        assert variables["LOW_STOCK_THRESHOLD"] == "7"
        assert variables["POWERTOOLS_SERVICE_NAME"] == "inventory"
        assert variables["POWERTOOLS_LOG_LEVEL"] == "INFO"
        assert "TOPIC_ARN" not in variables


def test_notifier_environment_waits_for_the_topic(plan: Plan) -> None:
    """The provider marks a map with any value unknown until apply (the topic ARN) as unknown."""
    [change] = [
        rc["change"]
        for rc in plan.changes
        if rc["address"] == f'{M}.aws_lambda_function.this["notify_low_stock"]'
    ]

    assert change["after_unknown"]["environment"][0]["variables"] is True


def test_each_function_logs_to_its_own_group_with_retention(plan: Plan) -> None:
    groups = plan.of_type("aws_cloudwatch_log_group")

    for key in FUNCTIONS:
        group = groups[f'{M}.aws_cloudwatch_log_group.this["{key}"]']
        assert group["name"] == f"/aws/lambda/inventory-plantest-{key.replace('_', '-')}"
        assert group["retention_in_days"] == 30
    assert groups[f"{M}.aws_cloudwatch_log_group.api"]["retention_in_days"] == 30


def test_log_retention_defaults_to_14_days(lab_plan: Plan) -> None:
    groups = lab_plan.of_type("aws_cloudwatch_log_group")

    assert {group["retention_in_days"] for group in groups.values()} == {14}


def test_stream_mapping_reports_partial_failures_with_bounded_retries(plan: Plan) -> None:
    mapping = plan.one("aws_lambda_event_source_mapping", "notify_low_stock")

    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert mapping["bisect_batch_on_function_error"] is True
    assert 0 < mapping["maximum_retry_attempts"] <= 10
    assert 0 < mapping["maximum_record_age_in_seconds"] <= 86400
    assert mapping["starting_position"] == "LATEST"
    assert mapping["batch_size"] == 100


# ---------------------------------------------------------------------------- uploads
def test_buckets_are_named_from_environment_and_account(plan: Plan, account_id: str) -> None:
    buckets = plan.of_type("aws_s3_bucket")

    assert buckets[f"{M}.aws_s3_bucket.uploads"]["bucket"] == (
        f"inventory-plantest-uploads-{account_id}"
    )
    assert buckets[f"{M}.aws_s3_bucket.website"]["bucket"] == (
        f"inventory-plantest-website-{account_id}"
    )
    assert all(bucket["force_destroy"] is True for bucket in buckets.values())


def test_upload_bucket_is_private_encrypted_and_tls_only(plan: Plan) -> None:
    block = plan.one("aws_s3_bucket_public_access_block", "uploads")
    encryption = plan.one("aws_s3_bucket_server_side_encryption_configuration", "this", "uploads")

    assert all(
        block[flag] is True
        for flag in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    default = encryption["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default["sse_algorithm"] == "AES256"
    assert f"{M}.aws_s3_bucket_policy.uploads" in plan.addresses


def test_only_uploads_under_the_prefix_trigger_the_loader(plan: Plan) -> None:
    notification = plan.one("aws_s3_bucket_notification", "uploads")
    permission = plan.one("aws_lambda_permission", "s3")

    [target] = notification["lambda_function"]
    assert target["events"] == ["s3:ObjectCreated:*"]
    assert target["filter_prefix"] == "uploads/"
    assert permission["principal"] == "s3.amazonaws.com"
    assert permission["function_name"] == "inventory-plantest-load-inventory"
    assert permission["action"] == "lambda:InvokeFunction"


# -------------------------------------------------------------------------------- API
def test_http_api_routes_both_reads_to_the_api_function(plan: Plan) -> None:
    api = plan.one("aws_apigatewayv2_api", "this")
    integration = plan.one("aws_apigatewayv2_integration", "this")
    routes = plan.of_type("aws_apigatewayv2_route")
    stage = plan.one("aws_apigatewayv2_stage", "this")
    permission = plan.one("aws_lambda_permission", "api")

    assert api["protocol_type"] == "HTTP"
    assert integration["integration_type"] == "AWS_PROXY"
    assert integration["payload_format_version"] == "2.0"
    assert {route["route_key"] for route in routes.values()} == {
        "GET /stores",
        "GET /items",
        "GET /items/{store}",
    }
    assert stage["name"] == "$default"
    assert stage["auto_deploy"] is True
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["function_name"] == "inventory-plantest-get-inventory-api"


def test_http_api_answers_browsers_with_cors(plan: Plan) -> None:
    [cors] = plan.one("aws_apigatewayv2_api", "this")["cors_configuration"]

    assert cors["allow_origins"] == ["*"]
    assert set(cors["allow_methods"]) == {"GET", "OPTIONS"}
    assert [header.lower() for header in cors["allow_headers"]] == ["content-type"]
    assert cors["max_age"] == 300


# ---------------------------------------------------------------------------- website
def test_website_bucket_serves_index_html_publicly(plan: Plan) -> None:
    website = plan.one("aws_s3_bucket_website_configuration", "website")
    block = plan.one("aws_s3_bucket_public_access_block", "website")

    assert website["index_document"] == [{"suffix": "index.html"}]
    assert block["block_public_policy"] is False
    assert block["restrict_public_buckets"] is False
    assert f"{M}.aws_s3_bucket_policy.website" in plan.addresses


def test_every_source_file_is_uploaded_with_its_content_type(plan: Plan, web_dir: Path) -> None:
    objects = plan.of_type("aws_s3_object")
    files = {after["key"]: after for address, after in objects.items() if ".website[" in address}

    assert set(files) == {"index.html", "app.js", "style.css"}
    assert files["index.html"]["content_type"].startswith("text/html")
    assert files["app.js"]["content_type"] == "application/javascript"
    assert files["style.css"]["content_type"] == "text/css"
    for key, after in files.items():
        assert after["etag"] == hashlib.md5((web_dir / key).read_bytes()).hexdigest()


def test_config_js_is_generated_not_copied(plan: Plan) -> None:
    """A stale config.js in the source directory must not fight the generated one."""
    config = plan.one("aws_s3_object", "config")

    assert config["key"] == "config.js"
    assert config["content_type"] == "application/javascript"
    assert f'{M}.aws_s3_object.website["config.js"]' not in plan.addresses


def test_stack_defaults_to_the_repository_web_directory(lab_plan: Plan) -> None:
    keys = {after["key"] for after in lab_plan.of_type("aws_s3_object").values()}
    web_files = {
        path.name for path in (REPO_ROOT / "app_inventory" / "web").iterdir() if path.is_file()
    }

    assert "index.html" in keys
    assert web_files - {"config.js"} <= keys


# ------------------------------------------------------------------------------ alerts
def test_no_stock_topic_with_an_email_subscription(plan: Plan) -> None:
    topic = plan.one("aws_sns_topic", "this")
    subscription = plan.one("aws_sns_topic_subscription", "email", 0)

    assert "NoStock" in topic["name"]
    assert subscription["protocol"] == "email"
    assert subscription["endpoint"] == "ops@example.com"


def test_no_subscription_without_an_email(lab_plan: Plan) -> None:
    assert not lab_plan.of_type("aws_sns_topic_subscription")


# --------------------------------------------------------------------------------- IAM
def test_created_roles_mode_makes_one_role_and_policy_per_function(plan: Plan) -> None:
    roles = plan.of_type("aws_iam_role")
    policies = plan.of_type("aws_iam_role_policy")

    assert set(roles) == {f'{M}.aws_iam_role.this["{key}"]' for key in FUNCTIONS}
    assert set(policies) == {f'{M}.aws_iam_role_policy.this["{key}"]' for key in FUNCTIONS}
    for role in roles.values():
        trust = json.loads(role["assume_role_policy"])
        [statement] = trust["Statement"]
        assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
        assert statement["Action"] == "sts:AssumeRole"


def test_lab_role_mode_creates_no_iam_and_uses_the_lab_role(lab_plan: Plan) -> None:
    iam_types = {rc["type"] for rc in lab_plan.changes if rc["type"].startswith("aws_iam_")}

    assert iam_types == set()
    for key in FUNCTIONS:
        assert lab_plan.one("aws_lambda_function", "this", key)["role"] == LAB_ROLE
    assert lab_plan.data["output_changes"]["uses_lab_role"]["after"] is True


def test_created_roles_mode_reports_it(plan: Plan) -> None:
    assert plan.data["output_changes"]["uses_lab_role"]["after"] is False


# ----------------------------------------------------------------------- tags, outputs
def test_the_tags_map_reaches_every_taggable_resource(plan: Plan) -> None:
    """S3 objects are left out on purpose: S3 allows only 10 tags an object."""
    untagged = [
        rc["address"]
        for rc in plan.changes
        if rc["type"] != "aws_s3_object"
        and "tags" in rc["change"]["after"]
        and (rc["change"]["after"]["tags"] or {}).get("Suite") != TAGS["Suite"]
    ]

    assert untagged == []


def test_stack_exposes_the_outputs_others_rely_on(plan: Plan, lab_plan: Plan) -> None:
    assert OUTPUTS <= plan.output_names
    assert plan.data["output_changes"]["upload_prefix"]["after"] == "uploads/"
    assert plan.data["output_changes"]["reports_prefix"]["after"] == "reports/"
    assert plan.data["output_changes"]["table_name"]["after"] == "inventory-plantest-items"


# -------------------------------------------------------------------------- validation
INVALID_INPUTS = {
    "low_stock_threshold": (-1, "low_stock_threshold must be a whole number greater than or equal"),
    "environment": ("Dev_1", "environment must be 1 to 12 lowercase letters"),
    "log_retention_days": (10, "log_retention_days must be one of CloudWatch's values"),
    "lab_role_arn": ("LabRole", "lab_role_arn must be an IAM role ARN"),
    "alert_email": ("not-an-address", "alert_email must be an email address or null"),
}


@pytest.fixture(scope="module")
def refused_output(inventory_stack: Stack, package_vars: dict[str, Any], web_dir: Path) -> str:
    """One plan with every invalid input: terraform reports each failed validation."""
    variables = created_roles_vars(package_vars, web_dir) | {
        name: value for name, (value, _) in INVALID_INPUTS.items()
    }
    with pytest.raises(TerraformFailed) as failure:
        inventory_stack.plan("invalid", variables)
    return diagnostics_text(failure.value.output)


@pytest.mark.parametrize("variable", sorted(INVALID_INPUTS))
def test_invalid_inputs_are_refused_with_a_clear_message(
    refused_output: str, variable: str
) -> None:
    _, message = INVALID_INPUTS[variable]

    assert message in refused_output


def test_a_fractional_threshold_is_refused(
    inventory_stack: Stack, package_vars: dict[str, Any], web_dir: Path
) -> None:
    variables = created_roles_vars(package_vars, web_dir) | {"low_stock_threshold": 2.5}

    with pytest.raises(TerraformFailed) as failure:
        inventory_stack.plan("fractional-threshold", variables)

    assert "low_stock_threshold must be a whole number" in diagnostics_text(failure.value.output)


# ------------------------------------------------- config.js (needs the API's endpoint)
def test_config_js_carries_the_api_endpoint_and_threshold(
    inventory_stack: Stack, package_vars: dict[str, Any], web_dir: Path
) -> None:
    """The endpoint exists only after apply: apply just config.js and what it needs, on moto."""
    variables = created_roles_vars(package_vars, web_dir)
    try:
        inventory_stack.apply("config-js", variables, f"{M}.aws_s3_object.config")
        resources = {r["address"]: r["values"] for r in state_resources(inventory_stack.state())}
    finally:
        inventory_stack.destroy("config-js", variables)

    content = resources[f"{M}.aws_s3_object.config"]["content"]
    endpoint = resources[f"{M}.aws_apigatewayv2_api.this"]["api_endpoint"]
    match = re.fullmatch(r"window\.INVENTORY_CONFIG = (\{.*\});\n", content)
    assert match, content
    assert json.loads(match.group(1)) == {"apiUrl": endpoint, "lowStockThreshold": 7}
