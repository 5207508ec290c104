################################################################################
# VPC and subnets: the default ones unless given
################################################################################

data "aws_vpc" "default" {
  count = var.vpc_id == null && var.subnet_ids == null ? 1 : 0

  default = true
}

# Subnets given without a VPC: the VPC is the one they belong to.
data "aws_subnet" "given" {
  count = var.vpc_id == null && var.subnet_ids != null ? 1 : 0

  id = var.subnet_ids[0]
}

data "aws_availability_zones" "this" {
  count = var.subnet_ids == null ? 1 : 0

  state            = "available"
  exclude_zone_ids = var.excluded_zone_ids
}

data "aws_subnets" "default" {
  count = var.subnet_ids == null ? 1 : 0

  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default[0].id]
  }

  filter {
    name   = "default-for-az"
    values = ["true"]
  }

  filter {
    name   = "availability-zone"
    values = data.aws_availability_zones.this[0].names
  }
}

# The zone of each default subnet, to keep the first alb_zone_count zones only.
data "aws_subnet" "default" {
  for_each = toset(try(data.aws_subnets.default[0].ids, []))

  id = each.value
}

locals {
  vpc_id = coalesce(
    var.vpc_id,
    one(data.aws_subnet.given[*].vpc_id),
    one(data.aws_vpc.default[*].id),
  )

  # Every zone the load balancer spans costs a public IPv4 address, and us-east-1 has six zones:
  # the first alb_zone_count zones by name (a stable choice: no diff from one plan to the next).
  # The tasks and the database use the same subnets, so tasks never run where the ALB is not.
  default_subnet_by_zone = { for subnet in data.aws_subnet.default : subnet.availability_zone => subnet.id... }
  default_zones          = sort(keys(local.default_subnet_by_zone))
  chosen_zones           = slice(local.default_zones, 0, min(var.alb_zone_count, length(local.default_zones)))
  default_subnet_ids     = sort([for zone in local.chosen_zones : sort(local.default_subnet_by_zone[zone])[0]])

  subnet_ids = var.subnet_ids != null ? var.subnet_ids : local.default_subnet_ids
}

################################################################################
# Security groups: internet -> ALB :80 (:443) -> tasks :container_port -> database :3306
################################################################################

# Rules that reference another security group carry no description: the local cloud's emulator
# (moto) drops it on create, which would show a change on every plan. The group descriptions say
# what each group admits.

resource "aws_security_group" "alb" {
  name        = "${local.prefix}-alb"
  description = "Load balancer of ${local.prefix}: HTTP from the allowed networks."
  vpc_id      = local.vpc_id

  tags = merge(var.tags, { Name = "${local.prefix}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:the load balancer is the public entry point; var.allowed_ingress_cidrs narrows it
  for_each = toset(var.allowed_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = local.https ? toset(var.allowed_ingress_cidrs) : toset([])

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  #checkov:skip=CKV_AWS_23:the local cloud (moto 5.2.5) drops descriptions of rules that name a security group, so one here is a perpetual diff there; the groups' descriptions say what they admit
  security_group_id            = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.tasks.id

  tags = var.tags
}

resource "aws_security_group" "tasks" {
  name        = "${local.prefix}-tasks"
  description = "Tasks of ${local.prefix}: the API port from the load balancer only."
  vpc_id      = local.vpc_id

  tags = merge(var.tags, { Name = "${local.prefix}-tasks" })
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  #checkov:skip=CKV_AWS_23:the local cloud (moto 5.2.5) drops descriptions of rules that name a security group, so one here is a perpetual diff there; the groups' descriptions say what they admit
  security_group_id            = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.alb.id

  tags = var.tags
}

# Tasks pull images from ECR, read Secrets Manager and write logs over public endpoints (the
# default VPC has no VPC endpoints), and reach the database; HTTPS alone would not cover MySQL.
resource "aws_vpc_security_group_egress_rule" "tasks_all" {
  security_group_id = aws_security_group.tasks.id
  description       = "ECR, Secrets Manager, CloudWatch Logs and the database"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"

  tags = var.tags
}

resource "aws_security_group" "db" {
  count = local.managed ? 1 : 0

  name        = "${local.prefix}-db"
  description = "Database of ${local.prefix}: MySQL from the tasks only."
  vpc_id      = local.vpc_id

  tags = merge(var.tags, { Name = "${local.prefix}-db" })
}

resource "aws_vpc_security_group_ingress_rule" "db_from_tasks" {
  #checkov:skip=CKV_AWS_23:the local cloud (moto 5.2.5) drops descriptions of rules that name a security group, so one here is a perpetual diff there; the groups' descriptions say what they admit
  count = local.managed ? 1 : 0

  security_group_id            = aws_security_group.db[0].id
  ip_protocol                  = "tcp"
  from_port                    = local.db_port
  to_port                      = local.db_port
  referenced_security_group_id = aws_security_group.tasks.id

  tags = var.tags
}
