################################################################################
# Sidecar mode: the MySQL container's passwords, made by Secrets Manager
################################################################################

# Ephemeral and write-only: the passwords exist in Secrets Manager only, never in the state or a
# plan (no random provider is needed either).
ephemeral "aws_secretsmanager_random_password" "sidecar" {
  for_each = local.sidecar ? toset(["password", "root_password"]) : toset([])

  password_length     = 32
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "sidecar" {
  #checkov:skip=CKV_AWS_149:the AWS-managed aws/secretsmanager key encrypts it at rest; a customer KMS key would cost $1/month and need grants for the execution role
  #checkov:skip=CKV2_AWS_57:the sidecar MySQL takes its password when it creates its data dir; a rotated secret would no longer match the running database
  count = local.sidecar ? 1 : 0

  name        = "${local.prefix}-db-sidecar"
  description = "MySQL passwords of the ${local.prefix} sidecar database (keys username, password, root_password)."
  # The database lives and dies with the task; keeping a deleted secret would only block the name.
  recovery_window_in_days = 0

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "sidecar" {
  count = local.sidecar ? 1 : 0

  secret_id = aws_secretsmanager_secret.sidecar[0].id
  secret_string_wo = jsonencode({
    username      = var.db_username
    password      = ephemeral.aws_secretsmanager_random_password.sidecar["password"].random_password
    root_password = ephemeral.aws_secretsmanager_random_password.sidecar["root_password"].random_password
  })
  # Written once; raise the version to store new passwords (the sidecar database starts empty
  # with every new task anyway).
  secret_string_wo_version = 1
}

################################################################################
# Managed mode: RDS MySQL 8.4 LTS, master password kept by Secrets Manager
################################################################################

resource "aws_db_subnet_group" "this" {
  count = local.managed ? 1 : 0

  name        = "${local.prefix}-db"
  description = "Subnets of the ${local.prefix} database."
  subnet_ids  = local.subnet_ids

  tags = var.tags
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_293:deletion protection is var.db_deletion_protection, off by default so that orchestrate.py destroy completes
  #checkov:skip=CKV_AWS_157:Multi-AZ doubles the instance and storage cost; single-AZ is the default of this reference stack
  #checkov:skip=CKV_AWS_118:enhanced monitoring needs a monitoring role (Learner Lab cannot create roles) and is billed as CloudWatch Logs
  #checkov:skip=CKV_AWS_129:log exports create log groups outside Terraform that destroy would leave behind; the app logs its database errors
  #checkov:skip=CKV_AWS_353:Performance Insights is not offered for MySQL on the default db.t3.micro (micro and small classes)
  #checkov:skip=CKV_AWS_161:the app signs in with the password kept in Secrets Manager; IAM tokens expire every 15 minutes and need another driver setup
  count = local.managed ? 1 : 0

  identifier = "${local.prefix}-db"
  engine     = "mysql"
  # 8.4 is the LTS: 8.0 left standard support on 2026-07-31, and a new 8.0 instance would be
  # enrolled in paid Extended Support.
  engine_version              = var.db_engine_version
  allow_major_version_upgrade = var.db_allow_major_version_upgrade
  instance_class              = var.db_instance_class

  allocated_storage = var.db_allocated_storage
  storage_type      = "gp3"
  storage_encrypted = true

  db_name  = var.db_name
  username = var.db_username
  # RDS creates and rotates the password in Secrets Manager; terraform never sees it.
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.this[0].name
  vpc_security_group_ids = [aws_security_group.db[0].id]
  publicly_accessible    = false
  port                   = local.db_port

  backup_retention_period    = var.db_backup_retention_days
  auto_minor_version_upgrade = true
  copy_tags_to_snapshot      = true
  deletion_protection        = var.db_deletion_protection
  skip_final_snapshot        = var.db_skip_final_snapshot
  final_snapshot_identifier  = var.db_skip_final_snapshot ? null : "${local.prefix}-db-final"
  apply_immediately          = true

  tags = var.tags
}
