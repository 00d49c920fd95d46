#!/usr/bin/env bash
# Builds the Python package with jsii-pacmak, installs it beside aws-cdk-lib into a fresh venv
# and synthesizes examples/python/app.py with it. Expects `npx projen compile` to have run.
# Prints a closing line 'python-package: N passed, N failed'.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/env.sh

npx projen package:python >/tmp/cdk-edm-pacmak.log 2>&1 || { cat /tmp/cdk-edm-pacmak.log; exit 1; }
wheel=$(ls dist/python/*.whl)
venv="$root/.venv-python-example"
rm -rf "$venv"
python3 -m venv "$venv"
cdk_version=$(node -p "require('./package.json').devDependencies['aws-cdk-lib']")
"$venv/bin/pip" install --quiet --disable-pip-version-check "aws-cdk-lib==$cdk_version" "constructs>=10.5.1,<11" "$wheel"

outdir=$(mktemp -d)
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "  ok    $1"; else failed=$((failed + 1)); echo "  FAIL  $1"; fi; }
summary=$(cd examples/python && CDK_OUTDIR="$outdir" "$venv/bin/python" app.py)
echo "$summary"
template="$outdir/OrderServicePy.template.json"
check "the Python app synthesized a template" "[ -f '$template' ]"
check "the template has the command handler on a Node.js runtime" \
  "grep -q '\"Runtime\": \"nodejs' '$template'"
check "the template has the three event-store tables" \
  "[ \"\$(grep -c '\"Type\": \"AWS::DynamoDB::Table\"' '$template')\" = 3 ]"
check "the built-in handler asset came from the wheel" \
  "ls '$outdir'/asset.*/index.js >/dev/null 2>&1"
rm -rf "$outdir"
echo "python-package: $passed passed, $failed failed"
[ "$failed" = 0 ]
