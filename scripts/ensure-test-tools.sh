#!/usr/bin/env bash
# What the test suite needs beyond Python packages: from the system packages,
# Chromium for the browser tests, docker-compose to validate the compose file
# and npm; from the npm registry, axe-core, the accessibility rules the
# browser tests run in each page (pinned, into the git-ignored .run/, and
# installed once).
set -euo pipefail
cd "$(dirname "$0")/.."
AXE_VERSION=4.14.1
AXE_PACKAGE=.run/node_modules/axe-core/package.json

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]} from the system packages..."
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
/usr/bin/chromium --version

if ! grep -qs "\"version\": \"$AXE_VERSION\"" "$AXE_PACKAGE"; then
    echo "Installing axe-core $AXE_VERSION from npm into .run/node_modules..."
    mkdir -p .run
    npm install --prefix .run --no-save --no-audit --no-fund --loglevel=error \
        "axe-core@$AXE_VERSION"
fi
echo "axe-core $AXE_VERSION"
