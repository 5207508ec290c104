data "aws_region" "current" {}

locals {
  prefix = "${var.name}-${var.environment}"

  sidecar = var.db_mode == "sidecar"
  managed = var.db_mode == "managed"
  spot    = var.capacity == "FARGATE_SPOT"

  create_roles       = var.lab_role_arn == null
  execution_role_arn = local.create_roles ? aws_iam_role.execution[0].arn : var.lab_role_arn
  task_role_arn      = local.create_roles ? aws_iam_role.task[0].arn : var.lab_role_arn

  # Null means the defaults of the variable's object type.
  autoscaling = var.autoscaling != null ? var.autoscaling : { min = 1, max = 3, cpu_target = 60 }

  db_port = 3306
  # Both secrets are JSON documents with username and password keys (RDS writes its own that way),
  # so the task reads the password the same way in both modes.
  db_secret_arn = local.managed ? aws_db_instance.this[0].master_user_secret[0].secret_arn : aws_secretsmanager_secret.sidecar[0].arn
  db_host       = local.managed ? aws_db_instance.this[0].address : "127.0.0.1"

  token_auth = var.api_auth == "token"
  https      = var.certificate_arn != null
  api_host   = coalesce(var.domain_name, aws_lb.this.dns_name)
  api_url    = "${local.https ? "https" : "http"}://${local.api_host}"
}
