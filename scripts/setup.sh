#!/usr/bin/env bash
# Installs everything hybridbudget needs on a fresh Debian/Ubuntu machine (run as root or with sudo):
# LibreOffice Calc and poppler (the spreadsheet oracle and the PNG renderer used by tests), then the
# package itself with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends libreoffice-calc poppler-utils >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e ".[test]"
