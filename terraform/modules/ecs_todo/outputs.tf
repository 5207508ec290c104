output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "api_base_url" {
  description = "Base URL of the TODO API (HTTP on the load balancer)."
  value       = "http://${aws_lb.this.dns_name}"
}

output "docs_url" {
  description = "URL of the API's Swagger UI."
  value       = "http://${aws_lb.this.dns_name}/docs"
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
