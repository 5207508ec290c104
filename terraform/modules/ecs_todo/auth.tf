################################################################################
# API token (api_auth = "token"): made by Secrets Manager, read by ECS at task start
################################################################################

# Ephemeral and write-only, as the sidecar's passwords: the token exists in Secrets Manager only,
# never in the state or a plan. Clients (and the orchestrator) read it from the secret.
ephemeral "aws_secretsmanager_random_password" "api_token" {
  count = local.token_auth ? 1 : 0

  password_length     = 48
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "api_token" {
  #checkov:skip=CKV_AWS_149:the AWS-managed aws/secretsmanager key encrypts it at rest; a customer KMS key would cost $1/month and need grants for the execution role
  #checkov:skip=CKV2_AWS_57:a bearer token ECS hands to tasks at start, so rotating it means new tasks anyway: apply -replace on its version (below), no rotation Lambda
  count = local.token_auth ? 1 : 0

  name        = "${local.prefix}-api-token"
  description = "Bearer token of the ${local.prefix} API (a plain string): send it as Authorization: Bearer <token>."
  # Turning api_auth off and on again must be able to reuse the name at once.
  recovery_window_in_days = 0

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "api_token" {
  count = local.token_auth ? 1 : 0

  secret_id        = aws_secretsmanager_secret.api_token[0].id
  secret_string_wo = ephemeral.aws_secretsmanager_random_password.api_token[0].random_password
  # Written once. A new token: terraform apply -replace on this resource, then start new tasks
  # (ECS reads the secret when a task starts).
  secret_string_wo_version = 1
}
