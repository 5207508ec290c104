################################################################################
# Least-privilege roles, one per function; none when a lab role is given
################################################################################

locals {
  # Policies are built with jsonencode rather than aws_iam_policy_document data sources: a data
  # source that reads a resource's ARN is deferred to apply whenever that resource has any change
  # pending, which made unrelated plans show every policy as "known after apply".
  uploads_arn  = aws_s3_bucket.uploads.arn
  loads_prefix = "loads/"

  consume_queue_actions = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
  ]
  load_state_actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]

  function_policy_statements = {
    load_inventory = [
      {
        Sid      = "ReadUploads"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.uploads_arn}/${local.upload_prefix}*"]
      },
      {
        Sid    = "WriteReportsAndPlans"
        Effect = "Allow"
        Action = ["s3:PutObject"]
        Resource = [
          "${local.uploads_arn}/${local.reports_prefix}*",
          "${local.uploads_arn}/${local.loads_prefix}*",
        ]
      },
      {
        Sid      = "TrackLoads"
        Effect   = "Allow"
        Action   = local.load_state_actions
        Resource = [aws_dynamodb_table.loads.arn]
      },
      {
        Sid      = "QueueRanges"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [aws_sqs_queue.load_ranges.arn, aws_sqs_queue.load_failures.arn]
      },
    ]
    load_inventory_range = [
      {
        Sid    = "ReadUploadsAndPlans"
        Effect = "Allow"
        Action = ["s3:GetObject"]
        Resource = [
          "${local.uploads_arn}/${local.upload_prefix}*",
          "${local.uploads_arn}/${local.loads_prefix}*",
        ]
      },
      {
        Sid      = "WriteReports"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = ["${local.uploads_arn}/${local.reports_prefix}*"]
      },
      {
        Sid      = "WriteInventory"
        Effect   = "Allow"
        Action   = ["dynamodb:BatchWriteItem", "dynamodb:PutItem"]
        Resource = [aws_dynamodb_table.this.arn]
      },
      {
        Sid      = "TrackLoads"
        Effect   = "Allow"
        Action   = local.load_state_actions
        Resource = [aws_dynamodb_table.loads.arn]
      },
      {
        Sid      = "ConsumeAndContinueRanges"
        Effect   = "Allow"
        Action   = concat(local.consume_queue_actions, ["sqs:SendMessage"])
        Resource = [aws_sqs_queue.load_ranges.arn]
      },
    ]
    load_range_failed = [
      {
        Sid      = "ReadPlans"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.uploads_arn}/${local.loads_prefix}*"]
      },
      {
        Sid      = "WriteReports"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = ["${local.uploads_arn}/${local.reports_prefix}*"]
      },
      {
        Sid      = "TrackLoads"
        Effect   = "Allow"
        Action   = local.load_state_actions
        Resource = [aws_dynamodb_table.loads.arn]
      },
      {
        Sid      = "ConsumeFailures"
        Effect   = "Allow"
        Action   = local.consume_queue_actions
        Resource = [aws_sqs_queue.load_failures.arn]
      },
      {
        Sid      = "ParkFailures"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [aws_sqs_queue.load_dlq.arn]
      },
    ]
    notify_low_stock = [
      {
        Sid    = "ReadStream"
        Effect = "Allow"
        Action = [
          "dynamodb:DescribeStream",
          "dynamodb:GetRecords",
          "dynamodb:GetShardIterator",
          "dynamodb:ListStreams",
        ]
        Resource = ["${aws_dynamodb_table.this.arn}/stream/*"]
      },
      {
        Sid      = "PublishAlerts"
        Effect   = "Allow"
        Action   = ["sns:Publish"]
        Resource = [aws_sns_topic.this.arn]
      },
      {
        Sid      = "CountStores"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
        Resource = [aws_dynamodb_table.stores.arn]
      },
      {
        Sid      = "RememberAlerts"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        Resource = [aws_dynamodb_table.idempotency.arn]
      },
      {
        Sid      = "DeadLetters"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [aws_sqs_queue.stream_dlq.arn]
      },
    ]
    get_inventory_api = [
      {
        Sid    = "ReadInventory"
        Effect = "Allow"
        Action = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]
        Resource = [
          aws_dynamodb_table.this.arn,
          "${aws_dynamodb_table.this.arn}/index/${local.low_stock_index}",
          aws_dynamodb_table.stores.arn,
        ]
      },
    ]
  }
}

resource "aws_iam_role" "this" {
  for_each = local.create_roles ? local.functions : {}

  name        = "${each.value.name}-role"
  description = "Execution role of ${each.value.name}."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  for_each = local.create_roles ? local.functions : {}

  name = "${each.value.name}-policy"
  role = aws_iam_role.this[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(local.function_policy_statements[each.key], [{
      Sid      = "WriteLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${aws_cloudwatch_log_group.this[each.key].arn}:*"]
    }])
  })
}
