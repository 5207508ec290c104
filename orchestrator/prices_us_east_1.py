"""On-demand list prices in us-east-1 (USD), for the idle cost estimate of `orchestrate.py cost`.

Source: the public AWS pricing pages (Elastic Load Balancing, Amazon VPC public IPv4, AWS
Fargate, Amazon RDS for MySQL, AWS Secrets Manager, Amazon CloudWatch, NAT gateway, DynamoDB
provisioned capacity), Linux, single-AZ, no free tier (Learner Lab accounts have none), read as
of the date below. Prices change: update the figures and the date together.
"""

from __future__ import annotations

PRICES_AS_OF = "2026-01-15"
REGION = "us-east-1"
SOURCE = "AWS public on-demand list prices, us-east-1 (aws.amazon.com/<service>/pricing)"

# AWS bills a month as 730 hours.
HOURS_PER_MONTH = 730.0

ALB_HOUR = 0.0225
ALB_LCU_HOUR = 0.008
PUBLIC_IPV4_HOUR = 0.005
NAT_GATEWAY_HOUR = 0.045

# Fargate, Linux, per vCPU-hour and per GB-hour of memory (20 GB of ephemeral storage included).
FARGATE_VCPU_HOUR = {"X86_64": 0.04048, "ARM64": 0.03238}
FARGATE_GB_HOUR = {"X86_64": 0.004445, "ARM64": 0.00356}
# Fargate Spot is priced by the market, typically about 70 % below on-demand.
FARGATE_SPOT_FRACTION = 0.30

# RDS for MySQL, single-AZ, per instance-hour (Multi-AZ: twice).
RDS_MYSQL_HOUR = {
    "db.t3.micro": 0.017,
    "db.t3.small": 0.034,
    "db.t3.medium": 0.068,
    "db.t3.large": 0.136,
    "db.t4g.micro": 0.016,
    "db.t4g.small": 0.032,
    "db.t4g.medium": 0.065,
    "db.t4g.large": 0.129,
    "db.m5.large": 0.171,
    "db.m6g.large": 0.152,
    "db.m7g.large": 0.168,
}
# RDS storage per GB-month, single-AZ (Multi-AZ: twice).
RDS_STORAGE_GB_MONTH = {"gp3": 0.115, "gp2": 0.115, "standard": 0.10}

SECRET_MONTH = 0.40
ALARM_MONTH = 0.10  # a standard-resolution metric alarm
HIGH_RESOLUTION_ALARM_MONTH = 0.30  # period under 60 s
KMS_KEY_MONTH = 1.00

DYNAMODB_WCU_HOUR = 0.00065  # provisioned capacity; on-demand tables are usage-based
DYNAMODB_RCU_HOUR = 0.00013

# Billed by use only: no charge while nobody uses them (storage aside).
USAGE_BASED = {
    "aws_lambda_function": "Lambda: $0.20 per 1M requests + $0.0000166667 per GB-second",
    "aws_dynamodb_table": "DynamoDB on-demand: $0.625 per 1M writes, $0.125 per 1M reads, "
    "$0.25 per GB-month",
    "aws_s3_bucket": "S3: $0.023 per GB-month, $0.005 per 1k PUT, $0.0004 per 1k GET",
    "aws_apigatewayv2_api": "API Gateway HTTP API: $1.00 per 1M requests",
    "aws_sns_topic": "SNS: $0.50 per 1M publishes; email $2.00 per 100k",
    "aws_sqs_queue": "SQS: $0.40 per 1M requests (first 1M a month free)",
    "aws_cloudwatch_log_group": "CloudWatch Logs: $0.50 per GB ingested, $0.03 per GB-month",
    "aws_ecr_repository": "ECR: $0.10 per GB-month of images",
    "aws_lb": "ALB LCUs: $0.008 per LCU-hour (about 0 when idle)",
}
