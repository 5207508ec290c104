terraform {
  # 1.9: validations that refer to other variables (sidecar means one task);
  # 1.11: write-only arguments, so the sidecar database password never reaches the state.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Write-only secret strings (secret_string_wo, 5.88) and the ephemeral random password;
      # 5.90 is the floor the configuration is written against.
      version = ">= 5.90, < 6.0"
    }
  }
}
