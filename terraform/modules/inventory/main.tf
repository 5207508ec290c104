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
      description = "Loads an uploaded inventory CSV into the table and writes a load report."
      handler     = "app_inventory.load_inventory.handler"
      memory_size = 512
      timeout     = 60
    }
    notify_low_stock = {
      name        = "${local.prefix}-notify-low-stock"
      description = "Publishes a NoStock alert when an item's count falls below the threshold."
      handler     = "app_inventory.notify_low_stock.handler"
      memory_size = 256
      timeout     = 30
    }
    get_inventory_api = {
      name        = "${local.prefix}-get-inventory-api"
      description = "Answers GET /items and GET /items/{store} for the HTTP API."
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

  function_environment = {
    load_inventory    = merge(local.common_environment, { REPORTS_PREFIX = local.reports_prefix })
    notify_low_stock  = merge(local.common_environment, { TOPIC_ARN = aws_sns_topic.this.arn })
    get_inventory_api = local.common_environment
  }
}
