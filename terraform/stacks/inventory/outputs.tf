output "website_url" {
  description = "URL of the inventory website."
  value       = module.inventory.website_url
}

output "website_bucket_name" {
  description = "Name of the website bucket."
  value       = module.inventory.website_bucket_name
}

output "api_endpoint" {
  description = "Base URL of the HTTP API."
  value       = module.inventory.api_endpoint
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = module.inventory.api_id
}

output "upload_bucket_name" {
  description = "Name of the bucket that receives inventory CSV uploads."
  value       = module.inventory.upload_bucket_name
}

output "upload_prefix" {
  description = "Key prefix under which an upload triggers the loader."
  value       = module.inventory.upload_prefix
}

output "reports_prefix" {
  description = "Key prefix of the load reports."
  value       = module.inventory.reports_prefix
}

output "table_name" {
  description = "Name of the inventory table."
  value       = module.inventory.table_name
}

output "table_stream_arn" {
  description = "ARN of the inventory table's stream."
  value       = module.inventory.table_stream_arn
}

output "topic_arn" {
  description = "ARN of the NoStock topic."
  value       = module.inventory.topic_arn
}

output "function_names" {
  description = "Lambda function names by role."
  value       = module.inventory.function_names
}

output "log_group_names" {
  description = "Log group names of the functions, by role."
  value       = module.inventory.log_group_names
}

output "api_log_group_name" {
  description = "Log group name of the HTTP API's access logs."
  value       = module.inventory.api_log_group_name
}

output "uses_lab_role" {
  description = "Whether the functions run with the given lab role."
  value       = module.inventory.uses_lab_role
}

output "stores_table_name" {
  description = "Name of the table of per-store counts."
  value       = module.inventory.stores_table_name
}

output "loads_table_name" {
  description = "Name of the table that tracks loads in progress."
  value       = module.inventory.loads_table_name
}

output "ranges_queue_url" {
  description = "URL of the queue of ranges waiting for a worker."
  value       = module.inventory.ranges_queue_url
}

output "load_failures_queue_url" {
  description = "URL of the queue of failures being recorded."
  value       = module.inventory.load_failures_queue_url
}

output "load_dlq_url" {
  description = "URL of the load dead-letter queue."
  value       = module.inventory.load_dlq_url
}

output "stream_dlq_url" {
  description = "URL of the stream dead-letter queue."
  value       = module.inventory.stream_dlq_url
}

output "alarms_topic_arn" {
  description = "ARN of the alarms topic."
  value       = module.inventory.alarms_topic_arn
}
