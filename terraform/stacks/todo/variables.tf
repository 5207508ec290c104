# Root-only variables first. Every other variable is an input of modules/ecs_todo passed
# straight through: null (its default here) keeps the module's default, and the module holds every
# default and validation, once (../../modules/ecs_todo/variables.tf and its README).

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
  nullable    = false
}

variable "environment" {
  description = "Environment name; part of every resource name (its rule: modules/ecs_todo)."
  type        = string
  default     = "dev"
  nullable    = false
}

################################################################################
# Naming and tags
################################################################################

variable "name" {
  description = "Name of the application; the first part of every resource name. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource. See modules/ecs_todo."
  type        = map(string)
  default     = null
}

################################################################################
# Container image and task size
################################################################################

variable "image_uri" {
  description = "Image of the API container; null only for the first apply that targets module.todo.aws_ecr_repository.this. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "container_port" {
  description = "Port the API listens on in the task. See modules/ecs_todo."
  type        = number
  default     = null
}

variable "cpu" {
  description = "CPU units of the task (a Fargate size). See modules/ecs_todo."
  type        = number
  default     = null
}

variable "memory" {
  description = "Memory of the task in MiB (a Fargate combination with cpu). See modules/ecs_todo."
  type        = number
  default     = null
}

variable "cpu_architecture" {
  description = "CPU architecture of the task: X86_64 or ARM64 (Graviton, cheaper); the image is built for it. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "desired_count" {
  description = "Number of tasks the service starts with; 1 in sidecar mode. See modules/ecs_todo."
  type        = number
  default     = null
}

variable "capacity" {
  description = "Fargate capacity of the tasks: FARGATE or FARGATE_SPOT (managed database only); changing it replaces the service. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "health_check_path" {
  description = "Path the load balancer checks on every task. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "health_check_grace_period_seconds" {
  description = "Seconds the service ignores failing health checks after a task starts. See modules/ecs_todo."
  type        = number
  default     = null
}

variable "wait_for_steady_state" {
  description = "Make terraform wait for the service's steady state (the orchestrator waits for healthy targets itself). See modules/ecs_todo."
  type        = bool
  default     = null
}

variable "container_insights" {
  description = "Turn on CloudWatch Container Insights for the cluster. See modules/ecs_todo."
  type        = bool
  default     = null
}

variable "log_retention_days" {
  description = "Days that CloudWatch keeps the containers' logs. See modules/ecs_todo."
  type        = number
  default     = null
}

variable "ecr_keep_images" {
  description = "Number of most recent images kept in the ECR repository. See modules/ecs_todo."
  type        = number
  default     = null
}

################################################################################
# Database
################################################################################

variable "db_mode" {
  description = "Where MySQL runs: sidecar (in the task, one task only) or managed (RDS, tasks autoscale). See modules/ecs_todo."
  type        = string
  default     = null
}

variable "db_name" {
  description = "Name of the database the API uses. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "db_username" {
  description = "Database user of the API. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "db_sidecar_image" {
  description = "Image of the MySQL container in sidecar mode. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "db_instance_class" {
  description = "RDS instance class in managed mode. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "db_engine_version" {
  description = "RDS MySQL version in managed mode. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "db_allow_major_version_upgrade" {
  description = "Let RDS upgrade a major version (managed mode). See modules/ecs_todo."
  type        = bool
  default     = null
}

variable "db_allocated_storage" {
  description = "Storage of the RDS instance in GiB (managed mode). See modules/ecs_todo."
  type        = number
  default     = null
}

variable "db_backup_retention_days" {
  description = "Days RDS keeps automated backups (managed mode). See modules/ecs_todo."
  type        = number
  default     = null
}

variable "db_deletion_protection" {
  description = "Protect the RDS instance from deletion (managed mode). See modules/ecs_todo."
  type        = bool
  default     = null
}

variable "db_skip_final_snapshot" {
  description = "Delete the RDS instance without a final snapshot (managed mode). See modules/ecs_todo."
  type        = bool
  default     = null
}

variable "autoscaling" {
  description = "Managed mode: { min, max, cpu_target } of the CPU target tracking; unset attributes keep the module's defaults. See modules/ecs_todo."
  type = object({
    min        = optional(number)
    max        = optional(number)
    cpu_target = optional(number)
  })
  default = null
}

################################################################################
# Network
################################################################################

variable "vpc_id" {
  description = "VPC to deploy into; null uses the default VPC (or the VPC of subnet_ids). See modules/ecs_todo."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Subnets in at least two availability zones; null uses the default VPC's default subnets. See modules/ecs_todo."
  type        = list(string)
  default     = null
}

variable "excluded_zone_ids" {
  description = "Availability zone IDs left out of the default subnets. See modules/ecs_todo."
  type        = list(string)
  default     = null
}

variable "alb_zone_count" {
  description = "Number of availability zones (default subnets) used when subnet_ids is null. See modules/ecs_todo."
  type        = number
  default     = null
}

variable "assign_public_ip" {
  description = "Give each task a public IP (needed in default-VPC subnets without NAT). See modules/ecs_todo."
  type        = bool
  default     = null
}

variable "allowed_ingress_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the load balancer. See modules/ecs_todo."
  type        = list(string)
  default     = null
}

################################################################################
# Access
################################################################################

variable "api_auth" {
  description = "none (the /tasks routes are open) or token (writes need a bearer token: python orchestrate.py token todo). See modules/ecs_todo."
  type        = string
  default     = null
}

variable "api_auth_reads" {
  description = "With api_auth = token, reads of /tasks need the token too. See modules/ecs_todo."
  type        = bool
  default     = null
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on 443 (HTTP on 80 then redirects to it); null for plain HTTP. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "Host name clients use (only the output URLs use it); null for the load balancer's DNS name. See modules/ecs_todo."
  type        = string
  default     = null
}

################################################################################
# Alarms
################################################################################

variable "alarm_email" {
  description = "Email address subscribed to the alarms topic. See modules/ecs_todo."
  type        = string
  default     = null
}

variable "alarm_thresholds" {
  description = "Levels at which the alarms fire; unset attributes keep the module's defaults. See modules/ecs_todo."
  type = object({
    http_5xx_count      = optional(number)
    cpu_percent         = optional(number)
    memory_percent      = optional(number)
    db_free_storage_gib = optional(number)
    db_connections      = optional(number)
  })
  default = null
}

################################################################################
# IAM
################################################################################

variable "lab_role_arn" {
  description = "Existing role for the tasks (Learner Lab's LabRole); null creates least-privilege roles. See modules/ecs_todo."
  type        = string
  default     = null
}
