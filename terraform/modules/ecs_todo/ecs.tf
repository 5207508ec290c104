################################################################################
# Cluster and logs
################################################################################

resource "aws_ecs_cluster" "this" {
  #checkov:skip=CKV_AWS_65:Container Insights is var.container_insights, off by default: its metrics are billed per task
  name = local.prefix

  setting {
    name  = "containerInsights"
    value = var.container_insights ? "enabled" : "disabled"
  }

  tags = var.tags
}

# Both Fargate providers, so that capacity can name either; the service picks one.
resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
}

resource "aws_cloudwatch_log_group" "app" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log groups at rest already; a customer KMS key costs $1/month and needs a key policy for logs
  #checkov:skip=CKV_AWS_338:retention is var.log_retention_days (14 days by default): a year of logs is paid storage the stacks do not need
  name              = "/ecs/${local.prefix}/api"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "db" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log groups at rest already; a customer KMS key costs $1/month and needs a key policy for logs
  #checkov:skip=CKV_AWS_338:retention is var.log_retention_days (14 days by default): a year of logs is paid storage the stacks do not need
  count = local.sidecar ? 1 : 0

  name              = "/ecs/${local.prefix}/mysql"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

################################################################################
# Task definition: the API, plus MySQL in sidecar mode
################################################################################

locals {
  app_container_name = "api"
  db_container_name  = "mysql"

  app_container = {
    name      = local.app_container_name
    image     = var.image_uri
    essential = true
    portMappings = [{
      containerPort = var.container_port
      hostPort      = var.container_port
      protocol      = "tcp"
      name          = "http"
    }]
    # Sorted by name (a for expression over a map), as ECS returns them: no diff on every plan.
    environment = [for key, value in merge(
      {
        DB_HOST = local.db_host
        DB_PORT = tostring(local.db_port)
        DB_NAME = var.db_name
        DB_USER = var.db_username
      },
      # Only with a token: an open API's task definition stays as it was before these settings.
      local.token_auth ? { API_AUTH_READS = tostring(var.api_auth_reads) } : {},
      # RDS rotates the managed password (every 7 days): the app reads the secret again when
      # MySQL refuses the one it was started with. Its ARN only, never its value.
      local.managed ? { DB_SECRET_ARN = local.db_secret_arn } : {},
    ) : { name = key, value = value }]
    # The password and the token never appear in the task definition: ECS reads them from
    # Secrets Manager (the token's secret is a plain string, so its ARN alone names it).
    secrets = [for key, value in merge(
      { DB_PASSWORD = "${local.db_secret_arn}:password::" },
      local.token_auth ? { API_TOKEN = aws_secretsmanager_secret.api_token[0].arn } : {},
    ) : { name = key, valueFrom = value }]
    healthCheck = {
      command = [
        "CMD", "python", "-c",
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${var.container_port}${var.health_check_path}', timeout=4)",
      ]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    dependsOn = local.sidecar ? [{ containerName = local.db_container_name, condition = "HEALTHY" }] : null
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = local.app_container_name
      }
    }
  }

  db_container = {
    name      = local.db_container_name
    image     = var.db_sidecar_image
    essential = true
    portMappings = [{
      containerPort = local.db_port
      hostPort      = local.db_port
      protocol      = "tcp"
      name          = "mysql"
    }]
    environment = [
      { name = "MYSQL_DATABASE", value = var.db_name },
      { name = "MYSQL_USER", value = var.db_username },
    ]
    secrets = [
      { name = "MYSQL_PASSWORD", valueFrom = "${local.db_secret_arn}:password::" },
      { name = "MYSQL_ROOT_PASSWORD", valueFrom = "${local.db_secret_arn}:root_password::" },
    ]
    # Over TCP: while the image initialises the data dir its server listens on the socket only,
    # so the check turns healthy when the real server is up. mysqladmin ping answers 0 for a live
    # server even when it refuses the login.
    healthCheck = {
      command     = ["CMD-SHELL", "mysqladmin ping --host=127.0.0.1 --silent"]
      interval    = 10
      timeout     = 5
      retries     = 5
      startPeriod = 60
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = one(aws_cloudwatch_log_group.db[*].name)
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = local.db_container_name
      }
    }
  }

  containers = {
    (local.app_container_name) = local.app_container
    (local.db_container_name)  = local.db_container
  }
  container_names = local.sidecar ? [local.db_container_name, local.app_container_name] : [local.app_container_name]
  # Null attributes are dropped so the JSON matches what ECS returns.
  container_definitions = [
    for name in local.container_names : { for key, value in local.containers[name] : key => value if value != null }
  ]
}

resource "aws_ecs_task_definition" "this" {
  #checkov:skip=CKV_AWS_249:with lab_role_arn (Learner Lab, where roles cannot be created) both are LabRole; otherwise the module creates two roles
  family                   = local.prefix
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = local.execution_role_arn
  task_role_arn            = local.task_role_arn

  container_definitions = jsonencode(local.container_definitions)

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  tags = var.tags

  lifecycle {
    # A new revision is registered before the old one is deregistered, so the service always
    # points at an active one (and the circuit breaker can roll back to it).
    create_before_destroy = true

    precondition {
      condition     = var.image_uri != null
      error_message = "image_uri is null: create the ECR repository first (terraform apply -target=module.<name>.aws_ecr_repository.this), push the image, then apply with image_uri set."
    }
  }
}

################################################################################
# Service
################################################################################

resource "aws_ecs_service" "this" {
  #checkov:skip=CKV_AWS_333:tasks in the default VPC reach ECR and Secrets Manager through a public IP; a NAT gateway would cost about $33/month; the security group admits the load balancer only
  name            = local.prefix
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count
  # On-demand Fargate keeps the plain launch type; Spot goes through the cluster's provider (a
  # service has one or the other, never both).
  launch_type = local.spot ? null : "FARGATE"

  dynamic "capacity_provider_strategy" {
    for_each = local.spot ? ["FARGATE_SPOT"] : []

    content {
      capacity_provider = capacity_provider_strategy.value
      weight            = 1
    }
  }

  # Sidecar: each task holds its own database, so a deploy stops the old task before the new one
  # starts (never two databases at once). Managed: new tasks start before old ones stop.
  deployment_minimum_healthy_percent = local.sidecar ? 0 : 100
  deployment_maximum_percent         = local.sidecar ? 100 : 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  wait_for_steady_state             = var.wait_for_steady_state
  propagate_tags                    = "SERVICE"

  network_configuration {
    subnets          = local.subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = var.assign_public_ip
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = local.app_container_name
    container_port   = var.container_port
  }

  tags = var.tags

  # Before the first task starts: the listeners (ECS registers tasks with the target group), the
  # password and the token (the task reads them at start), the roles' permissions and
  # the cluster's capacity providers (destroyed after the service, which may use one).
  depends_on = [
    aws_ecs_cluster_capacity_providers.this,
    aws_lb_listener.http,
    aws_lb_listener.https,
    aws_secretsmanager_secret_version.sidecar,
    aws_secretsmanager_secret_version.api_token,
    aws_iam_role_policy.execution,
    aws_iam_role_policy.task,
  ]

  lifecycle {
    ignore_changes = [
      # desired_count is the starting count: autoscaling owns it afterwards in managed mode, and
      # terraform must not reset it on every apply (as terraform-aws-ecs does).
      desired_count,
    ]
  }
}
