output "website_url" {
  description = "URL of the inventory website (S3 website endpoint, HTTP)."
  value       = "http://${aws_s3_bucket_website_configuration.website.website_endpoint}"
}

output "website_bucket_name" {
  description = "Name of the bucket that holds the website files."
  value       = aws_s3_bucket.website.id
}

output "api_endpoint" {
  description = "Base URL of the HTTP API (append /stores, /items or /items/{store})."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "upload_bucket_name" {
  description = "Name of the bucket that receives inventory CSV uploads."
  value       = aws_s3_bucket.uploads.id
}

output "upload_prefix" {
  description = "Key prefix under which an uploaded CSV triggers the loader."
  value       = local.upload_prefix
}

output "reports_prefix" {
  description = "Key prefix under which the loader writes its load reports."
  value       = local.reports_prefix
}

output "table_name" {
  description = "Name of the DynamoDB inventory table."
  value       = aws_dynamodb_table.this.name
}

output "table_stream_arn" {
  description = "ARN of the inventory table's stream."
  value       = aws_dynamodb_table.this.stream_arn
}

output "topic_arn" {
  description = "ARN of the NoStock SNS topic."
  value       = aws_sns_topic.this.arn
}

output "function_names" {
  description = "Lambda function names by role: load_inventory, load_inventory_range, load_range_failed, notify_low_stock, get_inventory_api."
  value       = { for key, function in aws_lambda_function.this : key => function.function_name }
}

output "log_group_names" {
  description = "CloudWatch log group names of the functions, by the same keys as function_names."
  value       = { for key, group in aws_cloudwatch_log_group.this : key => group.name }
}

output "api_log_group_name" {
  description = "CloudWatch log group name of the HTTP API's access logs."
  value       = aws_cloudwatch_log_group.api.name
}

output "uses_lab_role" {
  description = "Whether the functions run with the given lab role instead of roles created by the module."
  value       = !local.create_roles
}

output "stores_table_name" {
  description = "Name of the DynamoDB table of per-store counts (kept from the stream)."
  value       = aws_dynamodb_table.stores.name
}

output "loads_table_name" {
  description = "Name of the DynamoDB table that tracks loads in progress."
  value       = aws_dynamodb_table.loads.name
}

output "ranges_queue_url" {
  description = "URL of the SQS queue of ranges waiting for a worker."
  value       = aws_sqs_queue.load_ranges.url
}

output "load_failures_queue_url" {
  description = "URL of the SQS queue of failed ranges and planner events being recorded."
  value       = aws_sqs_queue.load_failures.url
}

output "load_dlq_url" {
  description = "URL of the load dead-letter queue (failed ranges and uploads, redrivable)."
  value       = aws_sqs_queue.load_dlq.url
}

output "load_dlq_arn" {
  description = "ARN of the load dead-letter queue."
  value       = aws_sqs_queue.load_dlq.arn
}

output "stream_dlq_url" {
  description = "URL of the stream dead-letter queue (poison records, exhausted stream batches)."
  value       = aws_sqs_queue.stream_dlq.url
}

output "stream_dlq_arn" {
  description = "ARN of the stream dead-letter queue."
  value       = aws_sqs_queue.stream_dlq.arn
}

output "alarms_topic_arn" {
  description = "ARN of the SNS topic the alarms publish to."
  value       = aws_sns_topic.alarms.arn
}
