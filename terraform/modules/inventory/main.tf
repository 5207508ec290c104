data "aws_caller_identity" "current" {}

locals {
  prefix     = "${var.name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id

  # Bucket names are global: the account id keeps them unique without a random suffix.
  upload_bucket_name  = "${local.prefix}-uploads-${local.account_id}"
  website_bucket_name = "${local.prefix}-website-${local.account_id}"

  upload_prefix  = "uploads/"
  reports_prefix = "reports/"

  create_roles = var.lab_role_arn == null

  functions = {
    load_inventory = {
      name        = "${local.prefix}-load-inventory"
      description = "Checks an uploaded inventory CSV, cuts it into ranges and queues them for the range workers."
      handler     = "app_inventory.load_inventory.handler"
      memory_size = var.planner_memory_size
      timeout     = var.planner_timeout
    }
    load_inventory_range = {
      name        = "${local.prefix}-load-inventory-range"
      description = "Writes one range of an uploaded inventory CSV into the table."
      handler     = "app_inventory.load_inventory_range.handler"
      memory_size = var.load_worker_memory_size
      timeout     = var.load_worker_timeout
    }
    load_range_failed = {
      name        = "${local.prefix}-load-range-failed"
      description = "Records a load or a range that failed on every attempt in its report, then parks it in the load dead-letter queue."
      handler     = "app_inventory.load_range_failed.handler"
      memory_size = 256
      timeout     = 30
    }
    notify_low_stock = {
      name        = "${local.prefix}-notify-low-stock"
      description = "Publishes a NoStock alert when an item's count falls below the threshold, and keeps the per-store counts."
      handler     = "app_inventory.notify_low_stock.handler"
      memory_size = 256
      timeout     = 30
    }
    get_inventory_api = {
      name        = "${local.prefix}-get-inventory-api"
      description = "Answers the read-only HTTP API: GET /stores, GET /items, GET /items/{store}."
      handler     = "app_inventory.get_inventory_api.handler"
      memory_size = 256
      timeout     = 10
    }
  }

  common_environment = {
    TABLE_NAME              = aws_dynamodb_table.this.name
    LOW_STOCK_THRESHOLD     = tostring(var.low_stock_threshold)
    POWERTOOLS_SERVICE_NAME = var.name
    POWERTOOLS_LOG_LEVEL    = var.log_level
  }

  loads_environment = {
    LOADS_TABLE_NAME = aws_dynamodb_table.loads.name
    RANGES_QUEUE_URL = aws_sqs_queue.load_ranges.url
  }

  function_environment = {
    load_inventory = merge(local.common_environment, local.loads_environment, {
      LOAD_RANGE_ROWS = tostring(var.load_range_rows)
    })
    load_inventory_range = merge(local.common_environment, local.loads_environment)
    load_range_failed = merge(local.common_environment, local.loads_environment, {
      LOAD_DLQ_URL         = aws_sqs_queue.load_dlq.url
      WORKER_FUNCTION_NAME = local.functions.load_inventory_range.name
      WORKER_TIMEOUT       = tostring(var.load_worker_timeout)
      WORKER_ATTEMPTS      = tostring(var.load_range_attempts)
    })
    notify_low_stock = merge(local.common_environment, {
      TOPIC_ARN              = aws_sns_topic.this.arn
      STORES_TABLE_NAME      = aws_dynamodb_table.stores.name
      IDEMPOTENCY_TABLE_NAME = aws_dynamodb_table.idempotency.name
      STREAM_DLQ_URL         = aws_sqs_queue.stream_dlq.url
    })
    get_inventory_api = merge(local.common_environment, {
      STORES_TABLE_NAME    = aws_dynamodb_table.stores.name
      LOW_STOCK_INDEX_NAME = local.low_stock_index
    })
  }

  low_stock_index = "low-stock"
}
