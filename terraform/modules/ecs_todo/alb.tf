################################################################################
# Application Load Balancer: HTTP :80 (or HTTPS :443, HTTP redirected) -> target group of task IPs
################################################################################

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_150:orchestrate.py destroy must complete; deletion protection would stop it
  #checkov:skip=CKV_AWS_91:access logs need an S3 bucket with the ELB account's policy (paid storage); the 5xx and unhealthy-target alarms watch the service
  #checkov:skip=CKV2_AWS_28:WAF costs $5/month per web ACL plus rules, more than this demo service; put one in front when it holds real data
  name               = "${local.prefix}-alb"
  internal           = false
  load_balancer_type = "application"
  security_groups    = [aws_security_group.alb.id]
  subnets            = local.subnet_ids

  drop_invalid_header_fields = true
  idle_timeout               = 60

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the tasks' security group admits the API port from the load balancer only
  name        = "${local.prefix}-tg"
  port        = var.container_port
  protocol    = "HTTP"
  target_type = "ip" # awsvpc tasks register by IP
  vpc_id      = local.vpc_id

  # Tasks stop quickly on deploys; the default 300 s would hold every deployment for 5 minutes.
  deregistration_delay = 30

  health_check {
    enabled             = true
    path                = var.health_check_path
    protocol            = "HTTP"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags
}

# With a certificate, port 80 only sends clients to HTTPS: nothing is served in clear text.
resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:without var.certificate_arn there is no certificate to serve HTTPS with; with one, this listener only redirects to HTTPS
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = local.https ? "redirect" : "forward"
    target_group_arn = local.https ? null : aws_lb_target_group.this.arn

    dynamic "redirect" {
      for_each = local.https ? [1] : []

      content {
        protocol    = "HTTPS"
        port        = "443"
        status_code = "HTTP_301"
      }
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = var.tags
}
