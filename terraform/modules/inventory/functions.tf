locals {
  # The Python the functions run and the layer's wheels are built for (orchestrator/packaging.py).
  lambda_runtime = "python3.12"
}

################################################################################
# Log groups: created before the functions so retention applies from the first line
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log groups at rest already; a customer KMS key costs $1/month and needs a key policy for logs
  #checkov:skip=CKV_AWS_338:retention is var.log_retention_days (14 days by default): a year of logs is paid storage the stacks do not need
  for_each = local.functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

################################################################################
# Layer: the third-party packages every function shares
################################################################################

resource "aws_lambda_layer_version" "this" {
  layer_name               = "${local.prefix}-dependencies"
  description              = "Third-party packages of the inventory functions (Powertools for AWS Lambda)."
  filename                 = var.lambda_layer_path
  source_code_hash         = filebase64sha256(var.lambda_layer_path)
  compatible_runtimes      = [local.lambda_runtime]
  compatible_architectures = ["x86_64"]

  # The functions move to the new version before the old one goes.
  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Functions: a zip each, so a change to one handler updates one function
################################################################################

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:failures go to on-failure destinations (load_inventory's invoke config, the stream and SQS mappings); the API function is called synchronously
  #checkov:skip=CKV_AWS_117:the functions call only AWS APIs; in a VPC they would need a NAT gateway or endpoints, both billed by the hour
  #checkov:skip=CKV_AWS_115:reserved concurrency comes out of the account's pool, of which AWS keeps 10 unreserved (Learner Lab accounts have few); the ranges queue's maximum_concurrency bounds the workers
  #checkov:skip=CKV_AWS_272:code signing needs an AWS Signer profile and signed zips; the orchestrator packages the code from this repository
  #checkov:skip=CKV_AWS_173:the environment holds resource names only, no secrets, and Lambda encrypts it at rest with its AWS-managed key
  #checkov:skip=CKV_AWS_50:X-Ray is billed per trace and needs xray permissions on every role; the functions log each load's id and counts
  for_each = local.functions

  function_name    = each.value.name
  description      = each.value.description
  role             = local.create_roles ? aws_iam_role.this[each.key].arn : var.lab_role_arn
  handler          = each.value.handler
  runtime          = local.lambda_runtime
  memory_size      = each.value.memory_size
  timeout          = each.value.timeout
  filename         = var.lambda_packages[each.key]
  source_code_hash = filebase64sha256(var.lambda_packages[each.key])
  layers           = [aws_lambda_layer_version.this.arn]

  environment {
    variables = local.function_environment[each.key]
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = contains(keys(var.lambda_packages), each.key)
      error_message = "lambda_packages has no zip for the function ${each.key}: give one for each of ${join(", ", keys(local.functions))}."
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]
}

resource "aws_lambda_event_source_mapping" "notify_low_stock" {
  event_source_arn  = aws_dynamodb_table.this.stream_arn
  function_name     = aws_lambda_function.this["notify_low_stock"].arn
  starting_position = "LATEST"
  batch_size        = var.stream_batch_size

  maximum_batching_window_in_seconds = var.stream_batching_window_seconds
  function_response_types            = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = 3
  maximum_record_age_in_seconds      = 3600

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.stream_dlq.arn
    }
  }

  tags = var.tags

  # Lambda checks at creation that the role may read the stream.
  depends_on = [aws_iam_role_policy.this]
}
