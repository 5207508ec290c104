# The orchestrator passes -backend-config=path=... so each target and environment keeps its own
# state outside the repository.
terraform {
  backend "local" {}
}
