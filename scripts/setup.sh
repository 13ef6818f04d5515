#!/usr/bin/env bash
# Installs everything hybridbudget needs on a fresh Debian/Ubuntu machine (run as root or with sudo):
# LibreOffice Calc and poppler-utils (the spreadsheet oracle and the PNG renderer the tests use), then
# the project's own virtual environment .venv holding the package with its test extras. Nothing goes
# into the system Python: Debian 12 and Ubuntu 24.04 refuse `pip install` there ("externally
# managed"). PYTHON=python3.12 bash scripts/setup.sh picks another interpreter (3.11 or newer).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
APT_UPDATED=""

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$APT_UPDATED" ]; then
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  apt_install python3
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "scripts/setup.sh: hybridbudget needs Python 3.11 or newer, and $PYTHON is" \
    "$("$PYTHON" -V 2>&1 | cut -d' ' -f2): install a newer one (python.org, pyenv, or your" \
    "distribution's python3.11 package), remove .venv if present, and run" \
    "PYTHON=python3.11 bash scripts/setup.sh" >&2
  exit 1
fi
if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  apt_install libreoffice-calc poppler-utils
fi
# A .venv without pip is what `python3 -m venv` leaves behind where python3-venv is missing.
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  rm -rf .venv
  if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
    rm -rf .venv
    apt_install python3-venv
    "$PYTHON" -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
