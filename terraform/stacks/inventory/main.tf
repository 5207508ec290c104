provider "aws" {
  region = var.region

  default_tags {
    # `orchestrate.py sweep inventory` finds what a lost state or a killed deploy left by
    # these three tags: keep them on every resource.
    tags = {
      Project     = "cloud-reference-stacks"
      Stack       = "inventory"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

locals {
  website_source_dir = coalesce(var.website_source_dir, abspath("${path.root}/../../../app_inventory/web"))
}

module "inventory" {
  source = "../../modules/inventory"

  name               = var.name
  environment        = var.environment
  tags               = var.tags
  lambda_packages    = var.lambda_packages
  lambda_layer_path  = var.lambda_layer_path
  website_source_dir = local.website_source_dir

  low_stock_threshold    = var.low_stock_threshold
  alert_email            = var.alert_email
  alarm_email            = var.alarm_email
  lab_role_arn           = var.lab_role_arn
  point_in_time_recovery = var.point_in_time_recovery
  log_retention_days     = var.log_retention_days
  log_level              = var.log_level
  cors_allow_origins     = var.cors_allow_origins

  planner_memory_size     = var.planner_memory_size
  planner_timeout         = var.planner_timeout
  load_worker_memory_size = var.load_worker_memory_size
  load_worker_timeout     = var.load_worker_timeout
  load_worker_concurrency = var.load_worker_concurrency
  load_range_rows         = var.load_range_rows
  load_range_attempts     = var.load_range_attempts

  stream_batch_size              = var.stream_batch_size
  stream_batching_window_seconds = var.stream_batching_window_seconds
  iterator_age_alarm_seconds     = var.iterator_age_alarm_seconds
}
