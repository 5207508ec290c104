################################################################################
# Website bucket: public read, served by the S3 website endpoint
################################################################################

locals {
  content_types = {
    html = "text/html; charset=utf-8"
    js   = "application/javascript"
    css  = "text/css"
    json = "application/json"
    svg  = "image/svg+xml"
    png  = "image/png"
    ico  = "image/x-icon"
    txt  = "text/plain; charset=utf-8"
  }

  # config.js is generated below; a copy in the source directory would fight over the same key.
  website_files = setsubtract(fileset(var.website_source_dir, "**"), ["config.js"])
}

resource "aws_s3_bucket" "website" {
  #checkov:skip=CKV_AWS_18:server access logs need a second bucket and are paid storage; CloudTrail covers API access when an account wants it
  #checkov:skip=CKV_AWS_144:cross-region replication doubles storage and needs a second bucket and a role; the data can be uploaded again
  #checkov:skip=CKV_AWS_21:the website's files are deployed from this repository by Terraform; git keeps their history
  #checkov:skip=CKV_AWS_145:a public website is read anonymously, which objects under a KMS key do not allow
  #checkov:skip=CKV2_AWS_61:the website's files live as long as the stack; Terraform replaces them on deploy
  #checkov:skip=CKV2_AWS_62:nothing reacts to changes of the website's files
  #checkov:skip=CKV2_AWS_6:public by design (a public-read website); its access block is set in aws_s3_bucket_public_access_block.website
  bucket        = local.website_bucket_name
  force_destroy = true

  tags = var.tags
}

resource "aws_s3_bucket_public_access_block" "website" {
  #checkov:skip=CKV_AWS_54:the website bucket is public by design: its policy grants s3:GetObject to everyone
  #checkov:skip=CKV_AWS_56:the website bucket is public by design: browsers read it anonymously
  bucket = aws_s3_bucket.website.id

  block_public_acls       = true
  block_public_policy     = false
  ignore_public_acls      = true
  restrict_public_buckets = false
}

resource "aws_s3_bucket_website_configuration" "website" {
  bucket = aws_s3_bucket.website.id

  index_document {
    suffix = "index.html"
  }
}

resource "aws_s3_bucket_policy" "website" {
  #checkov:skip=CKV_AWS_70:the website bucket is public by design: anyone may read its objects (s3:GetObject only)
  bucket = aws_s3_bucket.website.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PublicReadGetObject"
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.website.arn}/*"
    }]
  })

  # A public policy is refused while the bucket still blocks public policies.
  depends_on = [aws_s3_bucket_public_access_block.website]
}

# Objects carry no module tags: S3 allows 10 tags an object, and the provider's default tags
# already count against that.
resource "aws_s3_object" "website" {
  for_each = local.website_files

  bucket       = aws_s3_bucket.website.id
  key          = each.value
  source       = "${var.website_source_dir}/${each.value}"
  etag         = filemd5("${var.website_source_dir}/${each.value}")
  content_type = lookup(local.content_types, lower(reverse(split(".", each.value))[0]), "application/octet-stream")
}

resource "aws_s3_object" "config" {
  bucket        = aws_s3_bucket.website.id
  key           = "config.js"
  content_type  = "application/javascript"
  cache_control = "no-cache"
  content = "window.INVENTORY_CONFIG = ${jsonencode({
    apiUrl            = aws_apigatewayv2_api.this.api_endpoint
    lowStockThreshold = var.low_stock_threshold
  })};\n"
}
