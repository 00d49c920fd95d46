#!/usr/bin/env bash
# The main job, from a fresh clone: installs what it needs, bundles the built-in handlers and
# synthesizes the order-service example, printing what it made.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/env.sh
npx projen synth:order
