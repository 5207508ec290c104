output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.todo.alb_dns_name
}

output "api_base_url" {
  description = "Base URL of the TODO API: https:// with certificate_arn, else http://; on domain_name when set, else on the load balancer's DNS name."
  value       = module.todo.api_base_url
}

output "docs_url" {
  description = "URL of the API's Swagger UI."
  value       = module.todo.docs_url
}

output "ecr_repository_url" {
  description = "URL of the ECR repository to push the API image to (without a tag)."
  value       = module.todo.ecr_repository_url
}

output "ecr_repository_name" {
  description = "Name of the ECR repository."
  value       = module.todo.ecr_repository_name
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = module.todo.cluster_name
}

output "service_name" {
  description = "Name of the ECS service."
  value       = module.todo.service_name
}

output "task_definition_arn" {
  description = "ARN (with revision) of the task definition the service runs."
  value       = module.todo.task_definition_arn
}

output "container_name" {
  description = "Name of the API container in the task (the load balancer's target)."
  value       = module.todo.container_name
}

output "target_group_arn" {
  description = "ARN of the load balancer's target group (its target health tells when the API is up)."
  value       = module.todo.target_group_arn
}

output "log_group_name" {
  description = "CloudWatch log group of the API container."
  value       = module.todo.log_group_name
}

output "db_log_group_name" {
  description = "CloudWatch log group of the MySQL container; null in managed mode."
  value       = module.todo.db_log_group_name
}

output "db_mode" {
  description = "Where the database runs: sidecar or managed."
  value       = module.todo.db_mode
}

output "db_endpoint" {
  description = "Address and port of the RDS instance; null in sidecar mode (the database is 127.0.0.1:3306 inside the task)."
  value       = module.todo.db_endpoint
}

output "db_secret_arn" {
  description = "ARN of the Secrets Manager secret (JSON with username and password) the task reads the database password from: the RDS-managed secret in managed mode, the module's own in sidecar mode."
  value       = module.todo.db_secret_arn
}

output "autoscaling_range" {
  description = "Task counts the service scales between ({ min, max }); null in sidecar mode."
  value       = module.todo.autoscaling_range
}

output "uses_lab_role" {
  description = "Whether the tasks run with the given lab role instead of roles created by the module."
  value       = module.todo.uses_lab_role
}

output "api_auth" {
  description = "How the API's /tasks routes are protected: none (open to anyone who reaches the load balancer) or token (a bearer token for writes, and for reads when api_auth_reads)."
  value       = module.todo.api_auth
}

output "api_auth_reads" {
  description = "Whether reads need the token too (api_auth = token and api_auth_reads)."
  value       = module.todo.api_auth_reads
}

output "api_token_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the API's bearer token (a plain string; read it with secretsmanager get-secret-value); null when api_auth = none."
  value       = module.todo.api_token_secret_arn
}

output "https_enabled" {
  description = "Whether the load balancer serves HTTPS on 443 (with certificate_arn) and redirects HTTP to it."
  value       = module.todo.https_enabled
}

output "alarms_topic_arn" {
  description = "ARN of the SNS topic the alarms publish to (subscribe to it, or set alarm_email)."
  value       = module.todo.alarms_topic_arn
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms, by what they watch (alb-5xx, target-5xx, unhealthy-tasks, cpu, memory; db-free-storage and db-connections in managed mode)."
  value       = module.todo.alarm_names
}
