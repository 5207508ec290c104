################################################################################
# Upload bucket: private, encrypted, TLS only
################################################################################

resource "aws_s3_bucket" "uploads" {
  #checkov:skip=CKV_AWS_18:server access logs need a second bucket and are paid storage; CloudTrail covers API access when an account wants it
  #checkov:skip=CKV_AWS_144:cross-region replication doubles storage and needs a second bucket and a role; the data can be uploaded again
  #checkov:skip=CKV_AWS_21:uploads are inputs that can be uploaded again; versioning would keep every large CSV
  #checkov:skip=CKV_AWS_145:SSE-S3 encrypts it at rest; a customer KMS key would cost $1/month and KMS requests per object
  #checkov:skip=CKV2_AWS_61:uploads and reports stay until the user deletes them or destroys the stack; a lifecycle rule waits about 55 s per apply on the local cloud (moto 5.2.5 omits its minimum-object-size header)
  bucket = local.upload_bucket_name
  # Destroy must always complete; the uploads and reports are inputs and by-products, not records.
  force_destroy = true

  tags = var.tags
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.uploads.arn, "${aws_s3_bucket.uploads.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.uploads]
}

resource "aws_lambda_permission" "s3" {
  statement_id   = "AllowS3Invoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this["load_inventory"].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.uploads.arn
  source_account = local.account_id
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  lambda_function {
    lambda_function_arn = aws_lambda_function.this["load_inventory"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.upload_prefix
  }

  # S3 checks that it may invoke the function when the notification is put.
  depends_on = [aws_lambda_permission.s3]
}

################################################################################
# Both buckets: owner-enforced objects, encrypted at rest
################################################################################

locals {
  buckets = {
    uploads = aws_s3_bucket.uploads.id
    website = aws_s3_bucket.website.id
  }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = each.value

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = each.value

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

################################################################################
# Inventory table
################################################################################

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:encrypted at rest with the AWS-managed aws/dynamodb key (server_side_encryption); a customer KMS key would cost $1/month plus requests
  #checkov:skip=CKV_AWS_28:point-in-time recovery is var.point_in_time_recovery, off by default: it is billed per GB-month and a reload of the CSVs rebuilds the table
  name         = "${local.prefix}-items"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "store"
  range_key    = "item"

  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "store"
    type = "S"
  }

  attribute {
    name = "item"
    type = "S"
  }

  # Set by the loader only on items below the threshold: the index holds just those.
  attribute {
    name = "low_stock"
    type = "S"
  }

  global_secondary_index {
    name            = local.low_stock_index
    hash_key        = "low_stock"
    range_key       = "store"
    projection_type = "ALL"
  }

  server_side_encryption {
    enabled = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  tags = var.tags
}

################################################################################
# Per-store counts (kept by the stream), loads in progress, sent alerts
################################################################################

resource "aws_dynamodb_table" "stores" {
  #checkov:skip=CKV_AWS_119:encrypted at rest with the AWS-managed aws/dynamodb key (server_side_encryption); a customer KMS key would cost $1/month plus requests
  #checkov:skip=CKV_AWS_28:per-store counts derived from the items table by the stream; nothing to recover that a reload does not rebuild
  name         = "${local.prefix}-stores"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "store"

  attribute {
    name = "store"
    type = "S"
  }

  server_side_encryption {
    enabled = true
  }

  tags = var.tags
}

resource "aws_dynamodb_table" "loads" {
  #checkov:skip=CKV_AWS_119:encrypted at rest with the AWS-managed aws/dynamodb key (server_side_encryption); a customer KMS key would cost $1/month plus requests
  #checkov:skip=CKV_AWS_28:progress records of running loads; the reports in S3 are what a user keeps
  name         = "${local.prefix}-loads"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "load_id"

  attribute {
    name = "load_id"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled = true
  }

  tags = var.tags
}

# Powertools Idempotency's table: one item per alert sent, kept two days.
resource "aws_dynamodb_table" "idempotency" {
  #checkov:skip=CKV_AWS_119:encrypted at rest with the AWS-managed aws/dynamodb key (server_side_encryption); a customer KMS key would cost $1/month plus requests
  #checkov:skip=CKV_AWS_28:short-lived idempotency records that expire by TTL; nothing to recover
  name         = "${local.prefix}-idempotency"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  server_side_encryption {
    enabled = true
  }

  tags = var.tags
}
