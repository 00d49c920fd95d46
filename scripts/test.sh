#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs (Node 22, npm packages, the
# Python venv with moto and cfn-lint), then
#   1. bundles the Lambda templates, runs jest (unit, nag, cfn-lint, runtime tests on moto) and
#      eslint (the steps of `projen test`, with jest's results kept in test-reports/jest.json),
#   2. compiles the jsii library and generates API.md,
#   3. builds the Python package and synthesizes the Python example with it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/env.sh
echo "node $(node --version), npm $(npm --version), $("$PROJECT_VENV/bin/python" --version)"

mkdir -p test-reports
npx projen bundle
npx jest --json --outputFile=test-reports/jest.json
npx projen eslint
npx projen compile
npx projen docgen
bash scripts/test-python-package.sh

jest_passed=$(node -p "require('./test-reports/jest.json').numPassedTests")
jest_failed=$(node -p "require('./test-reports/jest.json').numFailedTests")
if [ "$jest_passed" -eq 0 ]; then echo "jest ran no test"; exit 1; fi
# 4 = the checks of the Python package (scripts/test-python-package.sh)
echo "all: $((jest_passed + 4)) passed, $jest_failed failed"
