################################################################################
# Managed mode: tasks scale on average CPU (sidecar mode runs exactly one task)
################################################################################

resource "aws_appautoscaling_target" "this" {
  count = local.managed ? 1 : 0

  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = local.autoscaling.min
  max_capacity       = local.autoscaling.max

  tags = var.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  count = local.managed ? 1 : 0

  name               = "${local.prefix}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = local.autoscaling.cpu_target
    scale_out_cooldown = 60
    scale_in_cooldown  = 180

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
