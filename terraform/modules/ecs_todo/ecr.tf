################################################################################
# Image repository: immutable tags, scanned on push, last N images kept
################################################################################

resource "aws_ecr_repository" "this" {
  #checkov:skip=CKV_AWS_136:ECR encrypts images at rest with AES-256 by default; a customer KMS key would cost $1/month
  name                 = local.prefix
  image_tag_mutability = "IMMUTABLE"
  # Destroy must always complete: the images are build outputs, rebuilt from the repository.
  force_delete = true

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name

  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.ecr_keep_images} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.ecr_keep_images
      }
      action = { type = "expire" }
    }]
  })
}
