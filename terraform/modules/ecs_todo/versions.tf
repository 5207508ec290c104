terraform {
  # 1.9: validations that refer to other variables (sidecar means one task);
  # 1.11: write-only arguments, so the sidecar database password never reaches the state.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.90 added write-only secret strings and the ephemeral random password.
      version = ">= 5.90, < 6.0"
    }
  }
}
