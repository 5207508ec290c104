resource "aws_sns_topic" "this" {
  #checkov:skip=CKV_AWS_26:alerts carry a store, an item and a count, no secrets; under SSE each publish also needs KMS to allow the publisher, which the local cloud (no KMS model) cannot check
  name = "${local.prefix}-NoStock"

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alert_email == null ? 0 : 1

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

################################################################################
# Alarms: a failing or throttled function, a dead letter, a stream falling behind
################################################################################

resource "aws_sns_topic" "alarms" {
  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic under the AWS-managed aws/sns key, and a customer key costs $1/month; alarm texts hold no secrets
  name = "${local.prefix}-alarms"

  tags = var.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  function_alarms = merge([
    for key, function in local.functions : {
      "${key}-errors" = {
        description = "${function.name} failed at least once in 5 minutes."
        name        = "Errors"
        function    = function.name
      }
      "${key}-throttles" = {
        description = "${function.name} was throttled at least once in 5 minutes."
        name        = "Throttles"
        function    = function.name
      }
    }
  ]...)

  dead_letter_queues = {
    load   = aws_sqs_queue.load_dlq.name
    stream = aws_sqs_queue.stream_dlq.name
  }
}

resource "aws_cloudwatch_metric_alarm" "function" {
  for_each = local.function_alarms

  alarm_name          = "${local.prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.name
  dimensions          = { FunctionName = each.value.function }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  for_each = local.dead_letter_queues

  alarm_name          = "${local.prefix}-${each.key}-dead-letters"
  alarm_description   = "Messages wait in ${each.value}: list them with 'orchestrate.py dlq list inventory'."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "stream_iterator_age" {
  alarm_name          = "${local.prefix}-stream-iterator-age"
  alarm_description   = "notify_low_stock is more than ${var.iterator_age_alarm_seconds} s behind the table's stream."
  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = local.functions.notify_low_stock.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.iterator_age_alarm_seconds * 1000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]

  tags = var.tags
}
