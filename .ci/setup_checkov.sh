#!/usr/bin/env bash
# checkov (static analysis of the Terraform) in a tool virtualenv of its own: its pins (boto3
# 1.35, packaging 23) would downgrade the project's, and moto parses requests with botocore's
# models. tests/terraform/test_checkov.py finds it here. Idempotent: a second run takes seconds.
set -euo pipefail
CHECKOV_VERSION="3.3.30"
dir="${CHECKOV_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/cloud-reference-stacks/checkov}"
if [ -x "$dir/bin/checkov" ] && [ "$("$dir/bin/checkov" --version 2>/dev/null)" = "$CHECKOV_VERSION" ]; then
    echo "checkov $CHECKOV_VERSION at $dir/bin/checkov"
    exit 0
fi
rm -rf "$dir"
python3 -m venv "$dir"
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
echo "checkov $("$dir/bin/checkov" --version) at $dir/bin/checkov"
