provider "aws" {
  region = var.region

  default_tags {
    # `orchestrate.py sweep todo` finds what a lost state or a killed deploy left by
    # these three tags: keep them on every resource.
    tags = {
      Project     = "cloud-reference-stacks"
      Stack       = "todo"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

module "todo" {
  source = "../../modules/ecs_todo"

  name        = var.name
  environment = var.environment
  tags        = var.tags

  image_uri                         = var.image_uri
  container_port                    = var.container_port
  cpu                               = var.cpu
  memory                            = var.memory
  cpu_architecture                  = var.cpu_architecture
  desired_count                     = var.desired_count
  capacity                          = var.capacity
  health_check_path                 = var.health_check_path
  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  wait_for_steady_state             = var.wait_for_steady_state
  container_insights                = var.container_insights
  log_retention_days                = var.log_retention_days
  ecr_keep_images                   = var.ecr_keep_images

  db_mode                        = var.db_mode
  db_name                        = var.db_name
  db_username                    = var.db_username
  db_sidecar_image               = var.db_sidecar_image
  db_instance_class              = var.db_instance_class
  db_engine_version              = var.db_engine_version
  db_allow_major_version_upgrade = var.db_allow_major_version_upgrade
  db_allocated_storage           = var.db_allocated_storage
  db_backup_retention_days       = var.db_backup_retention_days
  db_deletion_protection         = var.db_deletion_protection
  db_skip_final_snapshot         = var.db_skip_final_snapshot
  autoscaling                    = var.autoscaling

  vpc_id                = var.vpc_id
  subnet_ids            = var.subnet_ids
  excluded_zone_ids     = var.excluded_zone_ids
  alb_zone_count        = var.alb_zone_count
  assign_public_ip      = var.assign_public_ip
  allowed_ingress_cidrs = var.allowed_ingress_cidrs

  api_auth        = var.api_auth
  api_auth_reads  = var.api_auth_reads
  certificate_arn = var.certificate_arn
  ssl_policy      = var.ssl_policy
  domain_name     = var.domain_name

  alarm_email      = var.alarm_email
  alarm_thresholds = var.alarm_thresholds

  lab_role_arn = var.lab_role_arn
}
