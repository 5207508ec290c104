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

  # The same rule as the TODO stack's (one --env names both stacks), where RDS identifiers refuse a
  # trailing hyphen and two hyphens in a row.
  validation {
    condition     = length(var.environment) <= 12 && can(regex("^[a-z0-9]+(-[a-z0-9]+)*$", var.environment))
    error_message = "environment must be 1 to 12 lowercase letters, digits and single hyphens, starting and ending with a letter or digit."
  }
}

variable "tags" {
  description = "Tags added to every resource that supports tags."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "lambda_packages" {
  description = "Zip of each function, keyed by function (load_inventory, load_inventory_range, load_range_failed, notify_low_stock, get_inventory_api): its handler module and the app_inventory modules that module imports, without third-party packages (those are the layer's)."
  type        = map(string)
  nullable    = false

  validation {
    condition     = alltrue([for path in values(var.lambda_packages) : endswith(path, ".zip") && fileexists(path)])
    error_message = "Every lambda_packages value must name an existing .zip file (build them with the orchestrator first)."
  }
}

variable "lambda_layer_path" {
  description = "Zip of the Lambda layer every function uses: the third-party packages (Powertools for AWS Lambda) under python/."
  type        = string
  nullable    = false

  validation {
    condition     = endswith(var.lambda_layer_path, ".zip") && fileexists(var.lambda_layer_path)
    error_message = "lambda_layer_path must name an existing .zip file (build it with the orchestrator first)."
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

variable "alarm_email" {
  description = "Email address subscribed to the alarms topic (function errors and throttles, dead letters, stream lag); null for no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an email address or null."
  }
}

variable "planner_memory_size" {
  description = "Memory (MB) of load_inventory, which checks a whole upload; it needs about 60 MB per million distinct items (1.2 GB for 20 million)."
  type        = number
  default     = 2048
  nullable    = false

  validation {
    condition     = var.planner_memory_size >= 256 && var.planner_memory_size <= 10240
    error_message = "planner_memory_size must be from 256 to 10240 MB."
  }
}

variable "planner_timeout" {
  description = "Timeout (seconds) of load_inventory; checking a file reads about 170,000 rows a second (2 minutes for 20 million rows)."
  type        = number
  default     = 900
  nullable    = false

  validation {
    condition     = var.planner_timeout >= 10 && var.planner_timeout <= 900
    error_message = "planner_timeout must be from 10 to 900 seconds."
  }
}

variable "load_worker_memory_size" {
  description = "Memory (MB) of load_inventory_range, the range workers; their memory does not grow with the file."
  type        = number
  default     = 512
  nullable    = false

  validation {
    condition     = var.load_worker_memory_size >= 128 && var.load_worker_memory_size <= 10240
    error_message = "load_worker_memory_size must be from 128 to 10240 MB."
  }
}

variable "load_worker_timeout" {
  description = "Timeout (seconds) of a range worker. A worker short of time saves its progress and hands the rest of its range on, so a low value costs invocations, not rows."
  type        = number
  default     = 120
  nullable    = false

  validation {
    condition     = var.load_worker_timeout >= 3 && var.load_worker_timeout <= 900
    error_message = "load_worker_timeout must be from 3 to 900 seconds."
  }
}

variable "load_worker_concurrency" {
  description = "How many range workers may run at once (the SQS event source's maximum concurrency); each writes about 1,000-2,500 rows a second."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.load_worker_concurrency >= 2 && var.load_worker_concurrency <= 1000 && floor(var.load_worker_concurrency) == var.load_worker_concurrency
    error_message = "load_worker_concurrency must be a whole number from 2 to 1000 (Lambda's limits for SQS)."
  }
}

variable "load_range_rows" {
  description = "Rows of an upload per range (one range is one worker's task)."
  type        = number
  default     = 50000
  nullable    = false

  validation {
    condition     = var.load_range_rows >= 1 && floor(var.load_range_rows) == var.load_range_rows
    error_message = "load_range_rows must be a whole number of at least 1."
  }
}

variable "load_range_attempts" {
  description = "Attempts a range gets (the ranges queue's maxReceiveCount) before it is recorded as failed and parked in the load dead-letter queue."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.load_range_attempts >= 1 && var.load_range_attempts <= 1000 && floor(var.load_range_attempts) == var.load_range_attempts
    error_message = "load_range_attempts must be a whole number from 1 to 1000."
  }
}

variable "stream_batch_size" {
  description = "Most stream records notify_low_stock receives in one invocation."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.stream_batch_size >= 1 && var.stream_batch_size <= 10000
    error_message = "stream_batch_size must be from 1 to 10000."
  }
}

variable "stream_batching_window_seconds" {
  description = "Seconds the stream's event source may wait to fill a batch (0 sends what is there)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.stream_batching_window_seconds >= 0 && var.stream_batching_window_seconds <= 300
    error_message = "stream_batching_window_seconds must be from 0 to 300."
  }
}

variable "iterator_age_alarm_seconds" {
  description = "The stream alarm fires when notify_low_stock falls this many seconds behind the table's writes."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.iterator_age_alarm_seconds > 0
    error_message = "iterator_age_alarm_seconds must be greater than 0."
  }
}
