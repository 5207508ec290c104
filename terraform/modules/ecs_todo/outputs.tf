output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "api_base_url" {
  description = "Base URL of the TODO API: https:// with certificate_arn, else http://; on domain_name when set, else on the load balancer's DNS name."
  value       = local.api_url
}

output "docs_url" {
  description = "URL of the API's Swagger UI."
  value       = "${local.api_url}/docs"
}

output "ecr_repository_url" {
  description = "URL of the ECR repository to push the API image to (without a tag)."
  value       = aws_ecr_repository.this.repository_url
}

output "ecr_repository_name" {
  description = "Name of the ECR repository."
  value       = aws_ecr_repository.this.name
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "task_definition_arn" {
  description = "ARN (with revision) of the task definition the service runs."
  value       = aws_ecs_task_definition.this.arn
}

output "container_name" {
  description = "Name of the API container in the task (the load balancer's target)."
  value       = local.app_container_name
}

output "target_group_arn" {
  description = "ARN of the load balancer's target group (its target health tells when the API is up)."
  value       = aws_lb_target_group.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the API container."
  value       = aws_cloudwatch_log_group.app.name
}

output "db_log_group_name" {
  description = "CloudWatch log group of the MySQL container; null in managed mode."
  value       = one(aws_cloudwatch_log_group.db[*].name)
}

output "db_mode" {
  description = "Where the database runs: sidecar or managed."
  value       = var.db_mode
}

output "db_endpoint" {
  description = "Address and port of the RDS instance; null in sidecar mode (the database is 127.0.0.1:3306 inside the task)."
  value       = one(aws_db_instance.this[*].endpoint)
}

output "db_secret_arn" {
  description = "ARN of the Secrets Manager secret (JSON with username and password) the task reads the database password from: the RDS-managed secret in managed mode, the module's own in sidecar mode."
  value       = local.db_secret_arn
}

output "autoscaling_range" {
  description = "Task counts the service scales between ({ min, max }); null in sidecar mode."
  value       = local.managed ? { min = local.autoscaling.min, max = local.autoscaling.max } : null
}

output "uses_lab_role" {
  description = "Whether the tasks run with the given lab role instead of roles created by the module."
  value       = !local.create_roles
}

output "api_auth" {
  description = "How the API's /tasks routes are protected: none (open to anyone who reaches the load balancer) or token (a bearer token for writes, and for reads when api_auth_reads)."
  value       = var.api_auth
}

output "api_auth_reads" {
  description = "Whether reads need the token too (api_auth = token and api_auth_reads)."
  value       = local.token_auth && var.api_auth_reads
}

output "api_token_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the API's bearer token (a plain string; read it with secretsmanager get-secret-value); null when api_auth = none."
  value       = one(aws_secretsmanager_secret.api_token[*].arn)
}

output "https_enabled" {
  description = "Whether the load balancer serves HTTPS on 443 (with certificate_arn) and redirects HTTP to it."
  value       = local.https
}

output "alarms_topic_arn" {
  description = "ARN of the SNS topic the alarms publish to (subscribe to it, or set alarm_email)."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms, by what they watch (alb-5xx, target-5xx, unhealthy-tasks, cpu, memory; db-free-storage and db-connections in managed mode)."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_name }
}
