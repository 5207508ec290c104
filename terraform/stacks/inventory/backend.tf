# The orchestrator passes -backend-config=path=... so each target and environment keeps its own
# state outside the repository. With ORCHESTRATE_STATE_BUCKET set it writes backend_override.tf
# (git-ignored) next to this file, which replaces this backend by "s3" (use_lockfile, encrypt).
terraform {
  backend "local" {}
}
