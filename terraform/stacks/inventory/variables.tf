# Root-only variables first. Every other variable is an input of modules/inventory passed
# straight through: null (its default here) keeps the module's default, and the module holds every
# default and validation, once (../../modules/inventory/variables.tf and its README).

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
  nullable    = false
}

variable "environment" {
  description = "Environment name; part of every resource name (its rule: modules/inventory)."
  type        = string
  default     = "dev"
  nullable    = false
}

variable "lambda_packages" {
  description = "Absolute path of each function's zip, keyed by function (load_inventory, load_inventory_range, load_range_failed, notify_low_stock, get_inventory_api), built by the orchestrator."
  type        = map(string)
  nullable    = false
}

variable "lambda_layer_path" {
  description = "Absolute path to the functions' shared dependencies layer zip, built by the orchestrator."
  type        = string
  nullable    = false
}

variable "website_source_dir" {
  description = "Directory of the website files; null uses app_inventory/web in this repository."
  type        = string
  default     = null
}

################################################################################
# Naming and tags
################################################################################

variable "name" {
  description = "Name of the application; the first part of every resource name. See modules/inventory."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource. See modules/inventory."
  type        = map(string)
  default     = null
}

################################################################################
# Alerts, roles and logs
################################################################################

variable "low_stock_threshold" {
  description = "Count below which an item is low on stock. See modules/inventory."
  type        = number
  default     = null
}

variable "alert_email" {
  description = "Email address subscribed to low-stock alerts. See modules/inventory."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "Email address subscribed to the alarms topic. See modules/inventory."
  type        = string
  default     = null
}

variable "lab_role_arn" {
  description = "Existing role for every function (Learner Lab's LabRole); null creates least-privilege roles. See modules/inventory."
  type        = string
  default     = null
}

variable "point_in_time_recovery" {
  description = "Turn on point-in-time recovery for the inventory table. See modules/inventory."
  type        = bool
  default     = null
}

variable "log_retention_days" {
  description = "Days that CloudWatch keeps the logs. See modules/inventory."
  type        = number
  default     = null
}

variable "log_level" {
  description = "Log level of the functions. See modules/inventory."
  type        = string
  default     = null
}

variable "cors_allow_origins" {
  description = "Origins allowed to call the HTTP API from a browser. See modules/inventory."
  type        = list(string)
  default     = null
}

################################################################################
# Loading large uploads
################################################################################

variable "planner_memory_size" {
  description = "Memory (MB) of load_inventory, which checks a whole upload. See modules/inventory."
  type        = number
  default     = null
}

variable "planner_timeout" {
  description = "Timeout (seconds) of load_inventory. See modules/inventory."
  type        = number
  default     = null
}

variable "load_worker_memory_size" {
  description = "Memory (MB) of the range workers. See modules/inventory."
  type        = number
  default     = null
}

variable "load_worker_timeout" {
  description = "Timeout (seconds) of a range worker. See modules/inventory."
  type        = number
  default     = null
}

variable "load_worker_concurrency" {
  description = "How many range workers may run at once. See modules/inventory."
  type        = number
  default     = null
}

variable "load_range_rows" {
  description = "Rows of an upload per range (one worker's task). See modules/inventory."
  type        = number
  default     = null
}

variable "load_range_attempts" {
  description = "Attempts a range gets before it is recorded as failed. See modules/inventory."
  type        = number
  default     = null
}

################################################################################
# Low-stock stream
################################################################################

variable "stream_batch_size" {
  description = "Most stream records notify_low_stock receives in one invocation. See modules/inventory."
  type        = number
  default     = null
}

variable "stream_batching_window_seconds" {
  description = "Seconds the stream's event source may wait to fill a batch. See modules/inventory."
  type        = number
  default     = null
}

variable "iterator_age_alarm_seconds" {
  description = "Seconds notify_low_stock may fall behind the table before the stream alarm fires. See modules/inventory."
  type        = number
  default     = null
}
