################################################################################
# Least-privilege roles, one per function; none when a lab role is given
################################################################################

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "load_inventory" {
  statement {
    sid       = "ReadUploads"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/${local.upload_prefix}*"]
  }

  statement {
    sid       = "WriteReports"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/${local.reports_prefix}*"]
  }

  statement {
    sid       = "WriteInventory"
    actions   = ["dynamodb:BatchWriteItem", "dynamodb:PutItem"]
    resources = [aws_dynamodb_table.this.arn]
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this["load_inventory"].arn}:*"]
  }
}

data "aws_iam_policy_document" "notify_low_stock" {
  statement {
    sid = "ReadStream"
    actions = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
      "dynamodb:ListStreams",
    ]
    resources = [aws_dynamodb_table.this.stream_arn]
  }

  statement {
    sid       = "PublishAlerts"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this["notify_low_stock"].arn}:*"]
  }
}

data "aws_iam_policy_document" "get_inventory_api" {
  statement {
    sid       = "ReadInventory"
    actions   = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]
    resources = [aws_dynamodb_table.this.arn]
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this["get_inventory_api"].arn}:*"]
  }
}

locals {
  function_policies = {
    load_inventory    = data.aws_iam_policy_document.load_inventory.json
    notify_low_stock  = data.aws_iam_policy_document.notify_low_stock.json
    get_inventory_api = data.aws_iam_policy_document.get_inventory_api.json
  }
}

resource "aws_iam_role" "this" {
  for_each = local.create_roles ? local.functions : {}

  name               = "${each.value.name}-role"
  description        = "Execution role of ${each.value.name}."
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  for_each = local.create_roles ? local.functions : {}

  name   = "${each.value.name}-policy"
  role   = aws_iam_role.this[each.key].id
  policy = local.function_policies[each.key]
}
