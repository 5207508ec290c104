# The orchestrator runs terraform on a copy of this folder under its work dir (.orchestrate/roots/)
# and passes -backend-config=path=... so each target and environment keeps its own state outside
# the repository. With ORCHESTRATE_STATE_BUCKET set, that copy gets a backend_override.tf which
# replaces this backend by "s3" (use_lockfile, encrypt); nothing is written here. A hand-run
# plan in this folder keeps terraform's default local state (terraform.tfstate, git-ignored).
terraform {
  backend "local" {}
}
