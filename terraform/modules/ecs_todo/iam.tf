################################################################################
# Task execution role and task role; none when a lab role is given
################################################################################

locals {
  ecs_tasks_trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
    }]
  })
}

# Used by ECS itself: pull the image, write the logs, read the database password (and the API
# token). An inline policy
# scoped to this stack's repository, log groups and secret, rather than the managed
# AmazonECSTaskExecutionRolePolicy, which allows pulling from every repository and writing to every
# log group in the account.
resource "aws_iam_role" "execution" {
  count = local.create_roles ? 1 : 0

  name               = "${local.prefix}-task-execution"
  description        = "ECS task execution role of ${local.prefix}."
  assume_role_policy = local.ecs_tasks_trust_policy

  tags = var.tags
}

resource "aws_iam_role_policy" "execution" {
  count = local.create_roles ? 1 : 0

  name = "${local.prefix}-task-execution"
  role = aws_iam_role.execution[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    # A statement left with no resource (no API token) is dropped.
    Statement = [for statement in [
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = ["*"] # this action has no resource-level permissions
      },
      {
        Sid      = "PullImage"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = [aws_ecr_repository.this.arn]
      },
      {
        Sid      = "WriteLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for group in concat([aws_cloudwatch_log_group.app], aws_cloudwatch_log_group.db) : "${group.arn}:*"]
      },
      {
        # The secrets use the AWS managed key aws/secretsmanager, whose key policy lets Secrets
        # Manager decrypt for any principal allowed to read the secret: no kms:Decrypt needed.
        Sid      = "ReadDatabaseSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [local.db_secret_arn]
      },
      {
        Sid      = "ReadApiToken"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = aws_secretsmanager_secret.api_token[*].arn
      },
    ] : statement if length(statement.Resource) > 0]
  })
}

# Assumed by the API's code. Sidecar mode: no permissions (the API calls no AWS service).
# Managed mode: it reads the RDS-managed secret again after a rotation (DB_SECRET_ARN).
resource "aws_iam_role" "task" {
  count = local.create_roles ? 1 : 0

  name               = "${local.prefix}-task"
  description        = local.managed ? "Task role of ${local.prefix} (reads the database secret after a rotation)." : "Task role of ${local.prefix} (no permissions: the API calls no AWS service)."
  assume_role_policy = local.ecs_tasks_trust_policy

  tags = var.tags
}

resource "aws_iam_role_policy" "task" {
  count = local.create_roles && local.managed ? 1 : 0

  name = "${local.prefix}-task"
  role = aws_iam_role.task[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      # The AWS managed key aws/secretsmanager: no kms:Decrypt needed (see the execution role).
      Sid      = "ReadRotatedDatabasePassword"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = [local.db_secret_arn]
    }]
  })
}
