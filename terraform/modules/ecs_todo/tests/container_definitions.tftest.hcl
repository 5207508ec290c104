# The task definition and the execution role's policy hold values AWS makes at apply time (the
# secrets' ARNs, the database address), so a plan cannot show them. These runs plan with a mocked
# provider whose overrides supply those values during the plan. Run: terraform test (no AWS).

override_resource {
  override_during = plan
  target          = aws_secretsmanager_secret.sidecar
  values          = { arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todo-test-db-sidecar-AbCdEf" }
}

override_resource {
  override_during = plan
  target          = aws_secretsmanager_secret.api_token
  values          = { arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todo-test-api-token-GhIjKl" }
}

override_resource {
  override_during = plan
  target          = aws_db_instance.this
  values = {
    address            = "todo-test-db.abcdefghijkl.us-east-1.rds.amazonaws.com"
    master_user_secret = [{ secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0000-AbCdEf", kms_key_id = "", secret_status = "active" }]
  }
}

override_resource {
  override_during = plan
  target          = aws_iam_role.task
  values          = { id = "todo-test-task", arn = "arn:aws:iam::123456789012:role/todo-test-task" }
}

override_resource {
  override_during = plan
  target          = aws_ecr_repository.this
  values          = { arn = "arn:aws:ecr:us-east-1:123456789012:repository/todo-test" }
}

override_resource {
  override_during = plan
  target          = aws_cloudwatch_log_group.app
  values          = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/todo-test/api" }
}

override_resource {
  override_during = plan
  target          = aws_cloudwatch_log_group.db
  values          = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/todo-test/mysql" }
}

variables {
  environment = "test"
  image_uri   = "123456789012.dkr.ecr.us-east-1.amazonaws.com/todo-test:abc123"
}

run "sidecar" {
  command = plan

  variables {
    db_mode = "sidecar"
  }

  assert {
    condition     = sort([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.name]) == tolist(["api", "mysql"])
    error_message = "sidecar mode runs two containers, api and mysql"
  }

  assert {
    condition = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.dependsOn if c.name == "api"]) == [
      { containerName = "mysql", condition = "HEALTHY" }
    ]
    error_message = "the api container starts once the mysql container is HEALTHY"
  }

  assert {
    condition     = strcontains(join(" ", one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.healthCheck.command if c.name == "mysql"])), "mysqladmin ping")
    error_message = "the mysql container has a mysqladmin ping health check"
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.image if c.name == "mysql"]) == "public.ecr.aws/docker/library/mysql:8.4"
    error_message = "the sidecar runs MySQL 8.4 from the public ECR gallery"
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : { for e in c.environment : e.name => e.value } if c.name == "api"]).DB_HOST == "127.0.0.1"
    error_message = "the api reaches the sidecar database on 127.0.0.1"
  }

  assert {
    condition = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.secrets if c.name == "api"]) == [
      { name = "DB_PASSWORD", valueFrom = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todo-test-db-sidecar-AbCdEf:password::" }
    ]
    error_message = "the api reads DB_PASSWORD from the sidecar secret's password key"
  }

  assert {
    condition = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.secrets if c.name == "mysql"]) == [
      { name = "MYSQL_PASSWORD", valueFrom = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todo-test-db-sidecar-AbCdEf:password::" },
      { name = "MYSQL_ROOT_PASSWORD", valueFrom = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todo-test-db-sidecar-AbCdEf:root_password::" },
    ]
    error_message = "mysql reads its passwords from the sidecar secret"
  }

  assert {
    condition     = length(flatten([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : [for e in c.environment : e if strcontains(upper(e.name), "PASSWORD")]])) == 0
    error_message = "no password is passed as a plain environment variable"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.execution[0].policy).Statement : s.Resource if s.Sid == "ReadDatabaseSecret"]) == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:todo-test-db-sidecar-AbCdEf"]
    error_message = "the execution role reads the sidecar secret and nothing else"
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.execution[0].policy).Statement : s if s.Sid == "ReadApiToken"]) == 0
    error_message = "without api_auth = token the execution role reads no token"
  }

  assert {
    condition     = !contains(keys(one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : { for e in c.environment : e.name => e.value } if c.name == "api"])), "API_AUTH_READS")
    error_message = "an open API's task definition has no API_AUTH_READS"
  }

  assert {
    condition     = !contains(keys(one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : { for e in c.environment : e.name => e.value } if c.name == "api"])), "DB_SECRET_ARN")
    error_message = "the sidecar's password never rotates: no DB_SECRET_ARN"
  }

  assert {
    condition     = length(aws_iam_role_policy.task) == 0
    error_message = "in sidecar mode the task role has no permissions (the API calls no AWS service)"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.execution[0].policy).Statement : s.Resource if s.Sid == "PullImage"]) == ["arn:aws:ecr:us-east-1:123456789012:repository/todo-test"]
    error_message = "the execution role pulls from the module's repository only"
  }

  assert {
    condition = sort(one([for s in jsondecode(aws_iam_role_policy.execution[0].policy).Statement : s.Resource if s.Sid == "WriteLogs"])) == tolist([
      "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/todo-test/api:*",
      "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/todo-test/mysql:*",
    ])
    error_message = "the execution role writes to the two log groups only"
  }
}

run "managed" {
  command = plan

  variables {
    db_mode       = "managed"
    desired_count = 2
  }

  assert {
    condition     = [for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.name] == ["api"]
    error_message = "managed mode runs the api container alone"
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : { for e in c.environment : e.name => e.value }]).DB_HOST == "todo-test-db.abcdefghijkl.us-east-1.rds.amazonaws.com"
    error_message = "the api reaches the RDS instance by its address"
  }

  assert {
    condition = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.secrets]) == [
      { name = "DB_PASSWORD", valueFrom = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0000-AbCdEf:password::" }
    ]
    error_message = "the api reads DB_PASSWORD from the RDS-managed secret's password key"
  }

  assert {
    condition     = length(flatten([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : [for e in c.environment : e if strcontains(upper(e.name), "PASSWORD")]])) == 0
    error_message = "no password is passed as a plain environment variable"
  }

  assert {
    condition     = alltrue([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : !contains(keys(c), "dependsOn")])
    error_message = "without a sidecar the api depends on no container"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.execution[0].policy).Statement : s.Resource if s.Sid == "ReadDatabaseSecret"]) == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0000-AbCdEf"]
    error_message = "the execution role reads the RDS-managed secret and nothing else"
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : { for e in c.environment : e.name => e.value }]).DB_SECRET_ARN == "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0000-AbCdEf"
    error_message = "the api gets the RDS-managed secret's ARN as DB_SECRET_ARN, to read the password again after a rotation"
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.task[0].policy).Statement == [{
      Sid      = "ReadRotatedDatabasePassword"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0000-AbCdEf"]
    }]
    error_message = "the task role may read the RDS-managed secret, and nothing else"
  }

  assert {
    condition     = aws_iam_role_policy.task[0].role == "todo-test-task" && aws_ecs_task_definition.this.task_role_arn == "arn:aws:iam::123456789012:role/todo-test-task"
    error_message = "the read permission is on the task role, the role the app's code runs with"
  }

  assert {
    condition     = aws_db_instance.this[0].engine_version == "8.4" && aws_db_instance.this[0].allow_major_version_upgrade == false
    error_message = "RDS runs MySQL 8.4 LTS by default, and never upgrades a major version unless asked"
  }
}

run "managed_lab_role" {
  command = plan

  variables {
    db_mode      = "managed"
    lab_role_arn = "arn:aws:iam::123456789012:role/LabRole"
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : { for e in c.environment : e.name => e.value }]).DB_SECRET_ARN == "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0000-AbCdEf"
    error_message = "with the lab role the api still gets DB_SECRET_ARN (LabRole may read secrets)"
  }

  assert {
    condition     = length(aws_iam_role_policy.task) == 0 && aws_ecs_task_definition.this.task_role_arn == "arn:aws:iam::123456789012:role/LabRole"
    error_message = "with the lab role no policy is created and the task runs as LabRole"
  }
}

run "major_version_upgrade" {
  command = plan

  variables {
    db_mode                        = "managed"
    db_engine_version              = "8.4.5"
    db_allow_major_version_upgrade = true
  }

  assert {
    condition     = aws_db_instance.this[0].engine_version == "8.4.5" && aws_db_instance.this[0].allow_major_version_upgrade == true
    error_message = "db_engine_version and db_allow_major_version_upgrade reach the instance"
  }
}

run "engine_version_refused" {
  command = plan

  variables {
    db_mode           = "managed"
    db_engine_version = "5.7"
  }

  expect_failures = [var.db_engine_version]
}

run "token" {
  command = plan

  variables {
    api_auth       = "token"
    api_auth_reads = true
  }

  assert {
    condition = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.secrets if c.name == "api"]) == [
      { name = "API_TOKEN", valueFrom = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todo-test-api-token-GhIjKl" },
      { name = "DB_PASSWORD", valueFrom = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todo-test-db-sidecar-AbCdEf:password::" },
    ]
    error_message = "the api reads API_TOKEN from the whole token secret (a plain string) and DB_PASSWORD as before"
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : { for e in c.environment : e.name => e.value } if c.name == "api"]).API_AUTH_READS == "true"
    error_message = "api_auth_reads reaches the api as API_AUTH_READS"
  }

  assert {
    condition     = length(flatten([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : [for e in c.environment : e if strcontains(upper(e.name), "TOKEN")]])) == 0
    error_message = "the token is never a plain environment variable"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.execution[0].policy).Statement : s.Resource if s.Sid == "ReadApiToken"]) == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:todo-test-api-token-GhIjKl"]
    error_message = "the execution role reads the token's secret"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.execution[0].policy).Statement : s.Resource if s.Sid == "ReadDatabaseSecret"]) == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:todo-test-db-sidecar-AbCdEf"]
    error_message = "the database secret's statement still names the database secret alone"
  }
}
