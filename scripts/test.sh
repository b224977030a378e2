#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, then typechecks, lints and runs
# every test — unit and integration against real PostgreSQL, Redis, Prometheus and Alertmanager.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx tsc -p tsconfig.json --noEmit
npx eslint .
npx vitest run "$@"
