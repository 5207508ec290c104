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

variable "lambda_package_path" {
  description = "Absolute path to the functions' zip built by the orchestrator."
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
