variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
  nullable    = false
}

variable "environment" {
  description = "Environment name; part of every resource name."
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

variable "low_stock_threshold" {
  description = "Count below which an item is low on stock."
  type        = number
  default     = 5
  nullable    = false
}

variable "alert_email" {
  description = "Email address subscribed to low-stock alerts; null for none."
  type        = string
  default     = null
}

variable "lab_role_arn" {
  description = "Existing role for every function (Learner Lab's LabRole); null creates least-privilege roles."
  type        = string
  default     = null
}

variable "point_in_time_recovery" {
  description = "Turn on point-in-time recovery for the inventory table."
  type        = bool
  default     = false
  nullable    = false
}

variable "log_retention_days" {
  description = "Days that CloudWatch keeps the logs."
  type        = number
  default     = 14
  nullable    = false
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "alarm_email" {
  description = "Email address subscribed to the alarms topic; null for none."
  type        = string
  default     = null
}

variable "load_range_rows" {
  description = "Rows of an upload per range (one worker's task)."
  type        = number
  default     = 50000
  nullable    = false
}

variable "load_worker_timeout" {
  description = "Timeout (seconds) of a range worker; a worker short of time hands the rest on."
  type        = number
  default     = 120
  nullable    = false
}

variable "load_worker_concurrency" {
  description = "How many range workers may run at once."
  type        = number
  default     = 10
  nullable    = false
}

variable "log_level" {
  description = "Log level of the functions (DEBUG, INFO, WARNING, ERROR)."
  type        = string
  default     = "INFO"
  nullable    = false
}

variable "cors_allow_origins" {
  description = "Origins allowed to call the HTTP API from a browser."
  type        = list(string)
  default     = ["*"]
  nullable    = false
}
