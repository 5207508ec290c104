################################################################################
# Load fan-out: the planner queues ranges; workers write them; failures are recorded
################################################################################

locals {
  # Lambda's advice for a queue a function consumes: six times the function's timeout.
  ranges_visibility_seconds   = max(30, 6 * var.load_worker_timeout)
  failures_visibility_seconds = 6 * local.functions.load_range_failed.timeout
  dead_letter_retention       = 1209600 # 14 days, SQS's maximum
}

resource "aws_sqs_queue" "load_ranges" {
  name                       = "${local.prefix}-load-ranges"
  visibility_timeout_seconds = local.ranges_visibility_seconds
  message_retention_seconds  = 345600 # 4 days
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.load_failures.arn
    maxReceiveCount     = var.load_range_attempts
  })

  tags = var.tags
}

# Ranges that failed every attempt, and the planner's failed S3 events: recorded in their
# load's report by load_range_failed, then parked in the load dead-letter queue.
resource "aws_sqs_queue" "load_failures" {
  name                       = "${local.prefix}-load-failures"
  visibility_timeout_seconds = local.failures_visibility_seconds
  message_retention_seconds  = local.dead_letter_retention
  sqs_managed_sse_enabled    = true

  # A message keeps its receive count when it moves here, so allow more than the ranges queue.
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.load_dlq.arn
    maxReceiveCount     = var.load_range_attempts + 5
  })

  tags = var.tags
}

resource "aws_sqs_queue" "load_dlq" {
  name                      = "${local.prefix}-load-dlq"
  message_retention_seconds = local.dead_letter_retention
  sqs_managed_sse_enabled   = true

  tags = var.tags
}

resource "aws_sqs_queue" "stream_dlq" {
  name                      = "${local.prefix}-stream-dlq"
  message_retention_seconds = local.dead_letter_retention
  sqs_managed_sse_enabled   = true

  tags = var.tags
}

resource "aws_lambda_event_source_mapping" "load_ranges" {
  event_source_arn        = aws_sqs_queue.load_ranges.arn
  function_name           = aws_lambda_function.this["load_inventory_range"].arn
  batch_size              = 1
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.load_worker_concurrency
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.this]
}

resource "aws_lambda_event_source_mapping" "load_failures" {
  event_source_arn        = aws_sqs_queue.load_failures.arn
  function_name           = aws_lambda_function.this["load_range_failed"].arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]

  tags = var.tags

  depends_on = [aws_iam_role_policy.this]
}

# S3 invokes the planner asynchronously: two retries, then the failure goes to be recorded.
resource "aws_lambda_function_event_invoke_config" "load_inventory" {
  function_name                = aws_lambda_function.this["load_inventory"].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.load_failures.arn
    }
  }

  depends_on = [aws_iam_role_policy.this]
}
