#!/usr/bin/env bash
# Installs Debian's chromium for the page tests when it is missing (CI and new machines start bare).
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
echo "installing chromium (Debian package) for the web app's browser tests"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
