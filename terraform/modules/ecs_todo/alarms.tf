################################################################################
# Alarms: 5xx answers, unhealthy tasks, CPU and memory, and the managed database
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
  thresholds = var.alarm_thresholds

  load_balancer_dimension = { LoadBalancer = aws_lb.this.arn_suffix }
  service_dimensions      = { ClusterName = aws_ecs_cluster.this.name, ServiceName = aws_ecs_service.this.name }

  # Every alarm: a metric, its dimensions and statistic, and when it fires.
  service_alarms = {
    "alb-5xx" = {
      description = "The load balancer answered 5xx more than ${local.thresholds.http_5xx_count} times in 5 minutes (no healthy task, or tasks not answering)."
      namespace   = "AWS/ApplicationELB"
      metric      = "HTTPCode_ELB_5XX_Count"
      dimensions  = local.load_balancer_dimension
      statistic   = "Sum"
      period      = 300
      periods     = 1
      threshold   = local.thresholds.http_5xx_count
      comparison  = "GreaterThanThreshold"
    }
    "target-5xx" = {
      description = "The API answered 5xx more than ${local.thresholds.http_5xx_count} times in 5 minutes (errors or an unavailable database): see the log group ${aws_cloudwatch_log_group.app.name}."
      namespace   = "AWS/ApplicationELB"
      metric      = "HTTPCode_Target_5XX_Count"
      dimensions  = local.load_balancer_dimension
      statistic   = "Sum"
      period      = 300
      periods     = 1
      threshold   = local.thresholds.http_5xx_count
      comparison  = "GreaterThanThreshold"
    }
    "unhealthy-tasks" = {
      description = "At least one task failed the load balancer's health checks for 3 minutes."
      namespace   = "AWS/ApplicationELB"
      metric      = "UnHealthyHostCount"
      dimensions  = { LoadBalancer = aws_lb.this.arn_suffix, TargetGroup = aws_lb_target_group.this.arn_suffix }
      statistic   = "Maximum"
      period      = 60
      periods     = 3
      threshold   = 0
      comparison  = "GreaterThanThreshold"
    }
    "cpu" = {
      description = "The service's average CPU stayed above ${local.thresholds.cpu_percent} % for 10 minutes${local.managed ? " (autoscaling is at its maximum, or cannot keep up)" : ""}."
      namespace   = "AWS/ECS"
      metric      = "CPUUtilization"
      dimensions  = local.service_dimensions
      statistic   = "Average"
      period      = 300
      periods     = 2
      threshold   = local.thresholds.cpu_percent
      comparison  = "GreaterThanThreshold"
    }
    "memory" = {
      description = "The service's average memory stayed above ${local.thresholds.memory_percent} % for 10 minutes (a task that reaches 100 % is stopped)."
      namespace   = "AWS/ECS"
      metric      = "MemoryUtilization"
      dimensions  = local.service_dimensions
      statistic   = "Average"
      period      = 300
      periods     = 2
      threshold   = local.thresholds.memory_percent
      comparison  = "GreaterThanThreshold"
    }
  }

  database_alarms = {
    "db-free-storage" = {
      description = "The database has less than ${local.thresholds.db_free_storage_gib} GiB of free storage (raise db_allocated_storage)."
      namespace   = "AWS/RDS"
      metric      = "FreeStorageSpace"
      dimensions  = { DBInstanceIdentifier = one(aws_db_instance.this[*].identifier) }
      statistic   = "Minimum"
      period      = 300
      periods     = 1
      threshold   = local.thresholds.db_free_storage_gib * 1024 * 1024 * 1024
      comparison  = "LessThanThreshold"
    }
    "db-connections" = {
      description = "The database held more than ${local.thresholds.db_connections} connections for 10 minutes (each task pools its own)."
      namespace   = "AWS/RDS"
      metric      = "DatabaseConnections"
      dimensions  = { DBInstanceIdentifier = one(aws_db_instance.this[*].identifier) }
      statistic   = "Maximum"
      period      = 300
      periods     = 2
      threshold   = local.thresholds.db_connections
      comparison  = "GreaterThanThreshold"
    }
  }

  # The database's alarms only in managed mode (the sidecar's database has no metrics).
  alarms = merge(local.service_alarms, { for key, alarm in local.database_alarms : key => alarm if local.managed })
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${local.prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  # No requests, no tasks or a stopped database send no data points: that is not an alarm.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]

  tags = var.tags
}
