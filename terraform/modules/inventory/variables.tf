variable "name" {
  description = "Name of the application; the first part of every resource name."
  type        = string
  default     = "inventory"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name))
    error_message = "name must start with a lowercase letter and hold at most 20 lowercase letters, digits and hyphens (it becomes part of S3 bucket names)."
  }
}

variable "environment" {
  description = "Environment name (dev, test, prod...); the second part of every resource name."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,11}$", var.environment))
    error_message = "environment must be 1 to 12 lowercase letters, digits or hyphens, starting with a letter or digit."
  }
}

variable "tags" {
  description = "Tags added to every resource that supports tags."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "lambda_package_path" {
  description = "Path to the zip that holds the app_inventory package and its vendored dependencies; all three functions run from it."
  type        = string
  nullable    = false

  validation {
    condition     = endswith(var.lambda_package_path, ".zip") && fileexists(var.lambda_package_path)
    error_message = "lambda_package_path must name an existing .zip file (build it with the orchestrator first)."
  }
}

variable "website_source_dir" {
  description = "Directory whose files (index.html, app.js, style.css...) are uploaded to the website bucket; config.js is generated."
  type        = string
  nullable    = false

  validation {
    condition     = fileexists("${var.website_source_dir}/index.html")
    error_message = "website_source_dir must be a directory that contains index.html."
  }
}

variable "low_stock_threshold" {
  description = "An alert is sent when an item's count falls from at-or-above this number to below it."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.low_stock_threshold >= 0 && floor(var.low_stock_threshold) == var.low_stock_threshold
    error_message = "low_stock_threshold must be a whole number greater than or equal to 0."
  }
}

variable "alert_email" {
  description = "Email address subscribed to the NoStock topic (AWS sends a confirmation mail first); null for no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alert_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address or null."
  }
}

variable "lab_role_arn" {
  description = "ARN of an existing role (the Learner Lab's LabRole) used by every function; when set, the module creates no IAM role or policy. Null creates a least-privilege role per function."
  type        = string
  default     = null

  validation {
    condition     = var.lab_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.lab_role_arn))
    error_message = "lab_role_arn must be an IAM role ARN (arn:aws:iam::123456789012:role/LabRole) or null."
  }
}

variable "point_in_time_recovery" {
  description = "Turn on point-in-time recovery for the inventory table."
  type        = bool
  default     = false
  nullable    = false
}

variable "log_retention_days" {
  description = "Days that CloudWatch keeps the functions' and the API's logs (0 keeps them forever)."
  type        = number
  default     = 14
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's values: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_level" {
  description = "Log level of the functions (POWERTOOLS_LOG_LEVEL)."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARNING, ERROR."
  }
}

variable "cors_allow_origins" {
  description = "Origins allowed to call the HTTP API from a browser."
  type        = list(string)
  default     = ["*"]
  nullable    = false

  validation {
    condition     = length(var.cors_allow_origins) > 0
    error_message = "cors_allow_origins must hold at least one origin (\"*\" allows any)."
  }
}
