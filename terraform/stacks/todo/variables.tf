variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
  nullable    = false
}

variable "environment" {
  description = "Environment name; part of every resource name (1 to 12 lowercase letters, digits and single hyphens, not ending with a hyphen)."
  type        = string
  default     = "dev"
  nullable    = false
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "image_uri" {
  description = "Image of the API container; null only for the first apply that targets module.todo.aws_ecr_repository.this."
  type        = string
  default     = null
}

variable "container_port" {
  description = "Port the API listens on in the task."
  type        = number
  default     = 8000
  nullable    = false
}

variable "cpu" {
  description = "CPU units of the task (a Fargate size)."
  type        = number
  default     = 512
  nullable    = false
}

variable "memory" {
  description = "Memory of the task in MiB (a Fargate combination with cpu)."
  type        = number
  default     = 1024
  nullable    = false
}

variable "cpu_architecture" {
  description = "CPU architecture of the task: X86_64 or ARM64 (Graviton, cheaper); the image is built for it."
  type        = string
  default     = "X86_64"
  nullable    = false
}

variable "desired_count" {
  description = "Number of tasks the service starts with; 1 in sidecar mode."
  type        = number
  default     = 1
  nullable    = false
}

variable "capacity" {
  description = "Fargate capacity of the tasks: FARGATE (on-demand) or FARGATE_SPOT (cheaper, may be interrupted; managed database only). Changing it replaces the service."
  type        = string
  default     = "FARGATE"
  nullable    = false
}

variable "health_check_path" {
  description = "Path the load balancer checks on every task."
  type        = string
  default     = "/"
  nullable    = false
}

variable "health_check_grace_period_seconds" {
  description = "Seconds the service ignores failing health checks after a task starts."
  type        = number
  default     = 60
  nullable    = false
}

variable "wait_for_steady_state" {
  description = "Make terraform wait for the service's steady state (the orchestrator waits for healthy targets itself)."
  type        = bool
  default     = false
  nullable    = false
}

variable "container_insights" {
  description = "Turn on CloudWatch Container Insights for the cluster."
  type        = bool
  default     = false
  nullable    = false
}

variable "log_retention_days" {
  description = "Days that CloudWatch keeps the containers' logs."
  type        = number
  default     = 14
  nullable    = false
}

variable "ecr_keep_images" {
  description = "Number of most recent images kept in the ECR repository."
  type        = number
  default     = 10
  nullable    = false
}

variable "db_mode" {
  description = "Where MySQL runs: sidecar (in the task, one task only) or managed (RDS, tasks autoscale)."
  type        = string
  default     = "sidecar"
  nullable    = false
}

variable "db_name" {
  description = "Name of the database the API uses."
  type        = string
  default     = "todo"
  nullable    = false
}

variable "db_username" {
  description = "Database user of the API."
  type        = string
  default     = "todo"
  nullable    = false
}

variable "db_sidecar_image" {
  description = "Image of the MySQL container in sidecar mode (MySQL 8.4 from the public ECR gallery: no Docker Hub pull limits)."
  type        = string
  default     = "public.ecr.aws/docker/library/mysql:8.4"
  nullable    = false
}

variable "db_instance_class" {
  description = "RDS instance class in managed mode."
  type        = string
  default     = "db.t3.micro"
  nullable    = false
}

variable "db_engine_version" {
  description = "RDS MySQL version in managed mode (\"8.4\", the LTS, or a full version such as \"8.4.5\")."
  type        = string
  default     = "8.4"
  nullable    = false
}

variable "db_allow_major_version_upgrade" {
  description = "Let RDS upgrade a major version (managed mode): set true once to move an existing 8.0 database to 8.4."
  type        = bool
  default     = false
  nullable    = false
}

variable "db_allocated_storage" {
  description = "Storage of the RDS instance in GiB (managed mode)."
  type        = number
  default     = 20
  nullable    = false
}

variable "db_backup_retention_days" {
  description = "Days RDS keeps automated backups (managed mode)."
  type        = number
  default     = 1
  nullable    = false
}

variable "db_deletion_protection" {
  description = "Protect the RDS instance from deletion (managed mode)."
  type        = bool
  default     = false
  nullable    = false
}

variable "db_skip_final_snapshot" {
  description = "Delete the RDS instance without a final snapshot (managed mode)."
  type        = bool
  default     = true
  nullable    = false
}

variable "autoscaling" {
  description = "Managed mode: { min, max, cpu_target } of the CPU target tracking; null for 1, 3 and 60."
  type = object({
    min        = optional(number, 1)
    max        = optional(number, 3)
    cpu_target = optional(number, 60)
  })
  default = null
}

variable "vpc_id" {
  description = "VPC to deploy into; null uses the default VPC (or the VPC of subnet_ids)."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Subnets in at least two availability zones; null uses the default VPC's default subnets."
  type        = list(string)
  default     = null
}

variable "excluded_zone_ids" {
  description = "Availability zone IDs left out of the default subnets (use1-az3 has no Fargate)."
  type        = list(string)
  default     = ["use1-az3"]
  nullable    = false
}

variable "alb_zone_count" {
  description = "Number of availability zones (default subnets) for the load balancer, tasks and database when subnet_ids is null, from 2 to 6; each zone costs the load balancer a public IPv4 address."
  type        = number
  default     = 2
  nullable    = false
}

variable "assign_public_ip" {
  description = "Give each task a public IP (needed in default-VPC subnets without NAT)."
  type        = bool
  default     = true
  nullable    = false
}

variable "allowed_ingress_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the load balancer on port 80 (and 443 with certificate_arn)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
  nullable    = false
}

variable "api_auth" {
  description = "none: the /tasks routes are open to anyone who reaches the load balancer; token: writes need Authorization: Bearer <token> (the token is in Secrets Manager: python orchestrate.py token todo)."
  type        = string
  default     = "none"
  nullable    = false
}

variable "api_auth_reads" {
  description = "With api_auth = token, reads of /tasks need the token too."
  type        = bool
  default     = false
  nullable    = false
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on 443 (HTTP on 80 then redirects to it); null for plain HTTP."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  nullable    = false
}

variable "domain_name" {
  description = "Host name clients use (a DNS record pointing at the load balancer, covered by the certificate); null for the load balancer's DNS name. Only the output URLs use it."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "Email address subscribed to the alarms topic; null for none."
  type        = string
  default     = null
}

variable "alarm_thresholds" {
  description = "Levels at which the alarms fire; unset attributes keep the module's defaults."
  type = object({
    http_5xx_count      = optional(number, 10)
    cpu_percent         = optional(number, 85)
    memory_percent      = optional(number, 85)
    db_free_storage_gib = optional(number, 2)
    db_connections      = optional(number, 50)
  })
  default  = {}
  nullable = false
}

variable "lab_role_arn" {
  description = "Existing role for the tasks (Learner Lab's LabRole); null creates least-privilege roles."
  type        = string
  default     = null
}
