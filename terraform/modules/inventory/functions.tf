################################################################################
# Log groups: created before the functions so retention applies from the first line
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

################################################################################
# Functions: one package, five handlers
################################################################################

resource "aws_lambda_function" "this" {
  for_each = local.functions

  function_name    = each.value.name
  description      = each.value.description
  role             = local.create_roles ? aws_iam_role.this[each.key].arn : var.lab_role_arn
  handler          = each.value.handler
  runtime          = "python3.12"
  memory_size      = each.value.memory_size
  timeout          = each.value.timeout
  filename         = var.lambda_package_path
  source_code_hash = filebase64sha256(var.lambda_package_path)

  environment {
    variables = local.function_environment[each.key]
  }

  tags = var.tags

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
