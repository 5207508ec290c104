################################################################################
# Naming and tags
################################################################################

variable "name" {
  description = "Name of the application; the first part of every resource name."
  type        = string
  default     = "todo"
  nullable    = false

  # Names built from it (<name>-<environment>-db, -alb, -tg, the ECR repository) follow the
  # strictest AWS rules among them: RDS refuses a trailing hyphen and two hyphens in a row, ECR
  # any two separators in a row, load balancers and target groups more than 32 characters.
  validation {
    condition     = length(var.name) <= 12 && can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.name))
    error_message = "name must be at most 12 lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen (RDS identifiers refuse a trailing hyphen and \"--\"; load balancer and target group names are limited to 32 characters)."
  }
}

variable "environment" {
  description = "Environment name (dev, test, prod...); the second part of every resource name."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.environment) <= 12 && can(regex("^[a-z0-9]+(-[a-z0-9]+)*$", var.environment))
    error_message = "environment must be 1 to 12 lowercase letters, digits and single hyphens, starting and ending with a letter or digit (RDS identifiers refuse a trailing hyphen and \"--\"; load balancer and target group names are limited to 32 characters)."
  }
}

variable "tags" {
  description = "Tags added to every resource that supports tags."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Container image and task size
################################################################################

variable "image_uri" {
  description = "Image of the API container (repository URL and tag, or digest). Null is allowed only for the first, targeted apply that creates the ECR repository (-target=module.<name>.aws_ecr_repository.this); a full plan without it fails with instructions."
  type        = string
  default     = null

  validation {
    condition     = var.image_uri == null || can(regex("^[^\\s]+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$", var.image_uri))
    error_message = "image_uri must be an image reference with a tag or digest (123456789012.dkr.ecr.us-east-1.amazonaws.com/todo-dev:3f9c2a), or null."
  }
}

variable "container_port" {
  description = "Port the API listens on inside the task; the target group and the task security group use it."
  type        = number
  default     = 8000
  nullable    = false

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port && var.container_port != 3306
    error_message = "container_port must be a whole number from 1 to 65535, other than 3306 (the database's port in the task)."
  }
}

variable "cpu" {
  description = "CPU units of the task (Fargate: 256, 512, 1024, 2048, 4096, 8192 or 16384). In sidecar mode the API and MySQL share it."
  type        = number
  default     = 512
  nullable    = false

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate task size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Memory of the task in MiB, a Fargate combination with cpu (256: 512-2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720, in steps of 1024)."
  type        = number
  default     = 1024
  nullable    = false

  validation {
    condition = (
      var.memory >= lookup({ 256 = 512, 512 = 1024, 1024 = 2048, 2048 = 4096, 4096 = 8192, 8192 = 16384, 16384 = 32768 }, var.cpu, 0) &&
      var.memory <= lookup({ 256 = 2048, 512 = 4096, 1024 = 8192, 2048 = 16384, 4096 = 30720, 8192 = 61440, 16384 = 122880 }, var.cpu, 0) &&
      var.memory % lookup({ 256 = 512, 512 = 1024, 1024 = 1024, 2048 = 1024, 4096 = 1024, 8192 = 4096, 16384 = 8192 }, var.cpu, 1) == 0
    )
    error_message = "memory is not a Fargate combination with cpu: 256 takes 512, 1024 or 2048; 512 takes 1024 to 4096; 1024 takes 2048 to 8192; 2048 takes 4096 to 16384; 4096 takes 8192 to 30720 (steps of 1024); 8192 takes 16384 to 61440 (steps of 4096); 16384 takes 32768 to 122880 (steps of 8192)."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture of the task: \"X86_64\" or \"ARM64\" (Graviton, about 20% cheaper per vCPU-hour on Fargate). The image must be built for it (linux/amd64 or linux/arm64); the orchestrator does so."
  type        = string
  default     = "X86_64"
  nullable    = false

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be \"X86_64\" or \"ARM64\" (Fargate's runtime_platform values)."
  }
}

variable "desired_count" {
  description = "Number of tasks the service starts with. In managed mode Application Auto Scaling owns the count afterwards (between autoscaling.min and autoscaling.max); in sidecar mode it can be at most 1."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.desired_count >= 0 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number greater than or equal to 0."
  }

  validation {
    condition     = var.db_mode != "sidecar" || var.desired_count <= 1
    error_message = "db_mode = \"sidecar\" runs MySQL inside the task: each task would have its own database, so desired_count must be 1; use db_mode = \"managed\" to scale out."
  }
}

variable "capacity" {
  description = "Fargate capacity the tasks run on: \"FARGATE\" (on-demand) or \"FARGATE_SPOT\" (up to about 70 % cheaper; AWS may stop a task with two minutes' notice, and the service starts another). FARGATE_SPOT needs db_mode = \"managed\": an interrupted sidecar task would take its database with it. Changing it replaces the service (its launch type cannot be updated)."
  type        = string
  default     = "FARGATE"
  nullable    = false

  validation {
    condition     = contains(["FARGATE", "FARGATE_SPOT"], var.capacity)
    error_message = "capacity must be \"FARGATE\" or \"FARGATE_SPOT\"."
  }

  validation {
    condition     = var.capacity != "FARGATE_SPOT" || var.db_mode == "managed"
    error_message = "capacity = \"FARGATE_SPOT\" needs db_mode = \"managed\": a Spot interruption stops the task, and in sidecar mode the task's MySQL container holds the only copy of the data; use capacity = \"FARGATE\" with the sidecar."
  }
}

variable "health_check_path" {
  description = "Path the load balancer's target group checks on every task (the API's liveness route)."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds the service ignores failing load balancer health checks after a task starts (migrations and, in sidecar mode, MySQL's first start run in that time)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647
    error_message = "health_check_grace_period_seconds must be between 0 and 2147483647."
  }
}

variable "wait_for_steady_state" {
  description = "Make terraform wait until the service reaches a steady state. Off by default: the orchestrator waits for healthy targets itself, with progress and the tasks' stopped reasons (and the local cloud runs no tasks)."
  type        = bool
  default     = false
  nullable    = false
}

variable "container_insights" {
  description = "Turn on CloudWatch Container Insights for the cluster (billed per metric)."
  type        = bool
  default     = false
  nullable    = false
}

variable "log_retention_days" {
  description = "Days that CloudWatch keeps the containers' logs (0 keeps them forever)."
  type        = number
  default     = 14
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's values: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "ecr_keep_images" {
  description = "Number of most recent images the ECR lifecycle policy keeps; older ones expire."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.ecr_keep_images >= 1 && floor(var.ecr_keep_images) == var.ecr_keep_images
    error_message = "ecr_keep_images must be a whole number of at least 1."
  }
}

################################################################################
# Database
################################################################################

variable "db_mode" {
  description = "Where MySQL runs: \"sidecar\" (a MySQL 8.4 container in the task, data lives as long as the task, one task only) or \"managed\" (an RDS MySQL 8.4 LTS instance shared by all tasks, which autoscale)."
  type        = string
  default     = "sidecar"
  nullable    = false

  validation {
    condition     = contains(["sidecar", "managed"], var.db_mode)
    error_message = "db_mode must be \"sidecar\" or \"managed\"."
  }
}

variable "db_name" {
  description = "Name of the database the API uses."
  type        = string
  default     = "todo"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,63}$", var.db_name))
    error_message = "db_name must start with a letter and hold at most 64 letters, digits and underscores."
  }
}

variable "db_username" {
  description = "Database user of the API (the RDS master user in managed mode)."
  type        = string
  default     = "todo"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,15}$", var.db_username)) && !contains(["root", "admin", "rdsadmin", "mysql"], lower(var.db_username))
    error_message = "db_username must start with a letter, hold at most 16 letters, digits and underscores, and not be a reserved name (root, admin, rdsadmin, mysql)."
  }
}

variable "db_sidecar_image" {
  description = "Image of the MySQL container in sidecar mode. The default is Docker's official image from the public ECR gallery, which has no anonymous pull limits (mysql:8.4 from Docker Hub can fail with CannotPullContainerError)."
  type        = string
  default     = "public.ecr.aws/docker/library/mysql:8.4"
  nullable    = false
}

variable "db_instance_class" {
  description = "RDS instance class in managed mode."
  type        = string
  default     = "db.t3.micro"
  nullable    = false

  validation {
    condition     = startswith(var.db_instance_class, "db.")
    error_message = "db_instance_class must be an RDS instance class such as db.t3.micro."
  }
}

variable "db_engine_version" {
  description = "RDS MySQL version in managed mode: \"8.4\" (the LTS; minor versions follow automatically) or a full version such as \"8.4.5\". 8.0 left standard support on 2026-07-31: a new or remaining 8.0 instance is billed Extended Support. Moving an existing instance up a major version needs db_allow_major_version_upgrade = true."
  type        = string
  default     = "8.4"
  nullable    = false

  validation {
    condition     = can(regex("^8\\.(0|4)(\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be an RDS MySQL 8.4 or 8.0 version, such as \"8.4\" or \"8.4.5\"."
  }
}

variable "db_allow_major_version_upgrade" {
  description = "Let RDS move the instance to a new major version (managed mode). An existing 8.0 database needs this set to true once to move to 8.4 (db_engine_version = \"8.4\"); the upgrade restarts the instance. Leave it false otherwise, so that no plan upgrades a major version by accident."
  type        = bool
  default     = false
  nullable    = false
}

variable "db_allocated_storage" {
  description = "Storage of the RDS instance in GiB (managed mode)."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.db_allocated_storage >= 20 && var.db_allocated_storage <= 65536 && floor(var.db_allocated_storage) == var.db_allocated_storage
    error_message = "db_allocated_storage must be a whole number of GiB from 20 to 65536."
  }
}

variable "db_backup_retention_days" {
  description = "Days RDS keeps automated backups (managed mode); 0 turns them off."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.db_backup_retention_days >= 0 && var.db_backup_retention_days <= 35 && floor(var.db_backup_retention_days) == var.db_backup_retention_days
    error_message = "db_backup_retention_days must be a whole number from 0 to 35."
  }
}

variable "db_deletion_protection" {
  description = "Protect the RDS instance from deletion (managed mode); destroy fails while it is on."
  type        = bool
  default     = false
  nullable    = false
}

variable "db_skip_final_snapshot" {
  description = "Delete the RDS instance without a final snapshot (managed mode). When false, destroy leaves a snapshot named <name>-<environment>-db-final."
  type        = bool
  default     = true
  nullable    = false
}

variable "autoscaling" {
  description = "Target tracking on the service's average CPU in managed mode: min and max task counts and the CPU percentage to hold. Null means { min = 1, max = 3, cpu_target = 60 } in managed mode. Sidecar mode never scales: there it must stay null or have max = 1."
  type = object({
    min        = optional(number, 1)
    max        = optional(number, 3)
    cpu_target = optional(number, 60)
  })
  default = null

  validation {
    # try(): Terraform 1.11 does not short-circuit, so reading attributes of null must not fail.
    condition = try(
      var.autoscaling.min >= 1 && var.autoscaling.min <= var.autoscaling.max &&
      floor(var.autoscaling.min) == var.autoscaling.min && floor(var.autoscaling.max) == var.autoscaling.max &&
      var.autoscaling.cpu_target >= 10 && var.autoscaling.cpu_target <= 95,
      var.autoscaling == null
    )
    error_message = "autoscaling needs whole numbers 1 <= min <= max, and cpu_target between 10 and 95."
  }

  validation {
    condition     = var.db_mode != "sidecar" || try(var.autoscaling.max <= 1, true)
    error_message = "db_mode = \"sidecar\" runs MySQL inside the task: each task would have its own database, so the service cannot scale beyond 1 task; use db_mode = \"managed\" to autoscale."
  }
}

################################################################################
# Network
################################################################################

variable "vpc_id" {
  description = "VPC to deploy into; null uses the VPC of subnet_ids, or the account's default VPC when subnet_ids is null too."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null || var.subnet_ids != null
    error_message = "vpc_id needs subnet_ids too: list the subnets of that VPC to use (at least two availability zones)."
  }
}

variable "subnet_ids" {
  description = "Subnets for the load balancer, the tasks and the database (at least two availability zones, with a route to the internet or VPC endpoints for the tasks); null uses the default VPC's default subnets, without the zones in excluded_zone_ids."
  type        = list(string)
  default     = null

  validation {
    condition     = try(length(var.subnet_ids) >= 2, true)
    error_message = "subnet_ids must list at least two subnets in different availability zones (a load balancer and an RDS subnet group need two), or be null."
  }
}

variable "excluded_zone_ids" {
  description = "Availability zone IDs whose default subnets are left out when subnet_ids is null (use1-az3 has no Fargate capacity)."
  type        = list(string)
  default     = ["use1-az3"]
  nullable    = false
}

variable "alb_zone_count" {
  description = "Number of availability zones (and default subnets, the first ones by zone name) used when subnet_ids is null: the load balancer spans them, and the tasks and the database run in them. Each zone adds a public IPv4 address to the load balancer's bill; two is the least a load balancer and an RDS subnet group accept."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.alb_zone_count >= 2 && var.alb_zone_count <= 6 && floor(var.alb_zone_count) == var.alb_zone_count
    error_message = "alb_zone_count must be a whole number from 2 to 6 (a load balancer needs at least two zones)."
  }
}

variable "assign_public_ip" {
  description = "Give each task a public IP. Needed in the default VPC's public subnets, which have no NAT gateway: without it tasks cannot pull from ECR or read Secrets Manager."
  type        = bool
  default     = true
  nullable    = false
}

variable "allowed_ingress_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the load balancer on port 80 (and 443 with certificate_arn)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
  nullable    = false

  validation {
    condition     = length(var.allowed_ingress_cidrs) > 0 && alltrue([for cidr in var.allowed_ingress_cidrs : can(cidrnetmask(cidr))])
    error_message = "allowed_ingress_cidrs must hold at least one IPv4 CIDR block such as 0.0.0.0/0 or 203.0.113.0/24."
  }
}

################################################################################
# Access: a bearer token for the API, HTTPS on the load balancer
################################################################################

variable "api_auth" {
  description = "Who may use the API's /tasks routes. \"none\": anyone who reaches the load balancer can read, change and delete every task. \"token\": writes (POST, PUT, PATCH, DELETE) need the header Authorization: Bearer <token>, where the token is a random string kept in the Secrets Manager secret <name>-<environment>-api-token (never in the state) and given to the app as API_TOKEN."
  type        = string
  default     = "none"
  nullable    = false

  validation {
    condition     = contains(["none", "token"], var.api_auth)
    error_message = "api_auth must be \"none\" (an open API) or \"token\" (a bearer token for writes)."
  }
}

variable "api_auth_reads" {
  description = "With api_auth = \"token\", make reads (GET /tasks...) need the token too; /, /health/ready and /docs stay open."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !var.api_auth_reads || var.api_auth == "token"
    error_message = "api_auth_reads = true needs api_auth = \"token\": there is no token to ask for otherwise."
  }
}

variable "certificate_arn" {
  description = "ARN of an ACM certificate (issued, in the stack's region) for HTTPS: the load balancer then serves the API on 443 and redirects HTTP on 80 to it (301). Null serves plain HTTP on 80 only, where tokens and data cross the network unencrypted."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-...) or null."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener (used with certificate_arn): TLS 1.3 and 1.2 with forward secrecy by default."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  nullable    = false

  validation {
    condition     = startswith(var.ssl_policy, "ELBSecurityPolicy-")
    error_message = "ssl_policy must be an ELB security policy name such as ELBSecurityPolicy-TLS13-1-2-2021-06."
  }
}

variable "domain_name" {
  description = "Host name clients use for the API (a DNS record you point at alb_dns_name, covered by certificate_arn); it only shapes the URLs in the outputs. Null uses the load balancer's DNS name, which a certificate for your own domain does not cover."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as todo.example.com, or null."
  }
}

################################################################################
# Alarms
################################################################################

variable "alarm_email" {
  description = "Email address subscribed to the alarms topic (5xx answers, unhealthy tasks, CPU and memory, and the database in managed mode); null for no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an email address or null."
  }
}

variable "alarm_thresholds" {
  description = "Levels at which the alarms fire: 5xx answers per 5 minutes (from the load balancer, and from the tasks), the service's average CPU and memory in percent (over 10 minutes), and in managed mode the database's free storage in GiB and its connections."
  type = object({
    http_5xx_count      = optional(number, 10)
    cpu_percent         = optional(number, 85)
    memory_percent      = optional(number, 85)
    db_free_storage_gib = optional(number, 2)
    db_connections      = optional(number, 50)
  })
  default  = {}
  nullable = false

  validation {
    condition = (
      var.alarm_thresholds.http_5xx_count >= 0 &&
      var.alarm_thresholds.cpu_percent > 0 && var.alarm_thresholds.cpu_percent <= 100 &&
      var.alarm_thresholds.memory_percent > 0 && var.alarm_thresholds.memory_percent <= 100 &&
      var.alarm_thresholds.db_free_storage_gib > 0 && var.alarm_thresholds.db_connections > 0
    )
    error_message = "alarm_thresholds needs http_5xx_count >= 0, cpu_percent and memory_percent in (0, 100], db_free_storage_gib and db_connections above 0."
  }
}

################################################################################
# IAM
################################################################################

variable "lab_role_arn" {
  description = "ARN of an existing role (the Learner Lab's LabRole) used as both the task role and the task execution role; when set, the module creates no IAM role or policy. Null creates least-privilege roles."
  type        = string
  default     = null

  validation {
    condition     = var.lab_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.lab_role_arn))
    error_message = "lab_role_arn must be an IAM role ARN (arn:aws:iam::123456789012:role/LabRole) or null."
  }
}
