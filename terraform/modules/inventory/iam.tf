################################################################################
# Least-privilege roles, one per function; none when a lab role is given
################################################################################

locals {
  # Policies are built with jsonencode rather than aws_iam_policy_document data sources: a data
  # source that reads a resource's ARN is deferred to apply whenever that resource has any change
  # pending, which made unrelated plans show every policy as "known after apply".
  function_policy_statements = {
    load_inventory = [
      {
        Sid      = "ReadUploads"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${aws_s3_bucket.uploads.arn}/${local.upload_prefix}*"]
      },
      {
        Sid      = "WriteReports"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = ["${aws_s3_bucket.uploads.arn}/${local.reports_prefix}*"]
      },
      {
        Sid      = "WriteInventory"
        Effect   = "Allow"
        Action   = ["dynamodb:BatchWriteItem", "dynamodb:PutItem"]
        Resource = [aws_dynamodb_table.this.arn]
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
    ]
    get_inventory_api = [
      {
        Sid      = "ReadInventory"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]
        Resource = [aws_dynamodb_table.this.arn]
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
