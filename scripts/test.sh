#!/usr/bin/env bash
# The README's test command (`npm test`): system programs the integration tests need, a build (CLI tests run
# bin/kimg → dist/), then jest. Arguments pass through to jest, e.g.
#   npm test -- test/store                      one folder
#   npm test -- --json --outputFile=out.json    what .ci/run uses
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Not fatal: unit tests run without these programs; the integration tests that need one fail naming it.
bash scripts/install-system-deps.sh || echo "test: system packages incomplete; continuing" >&2

if [ ! -x node_modules/.bin/jest ]; then
  echo "test: node_modules is missing; run 'npm ci' first" >&2
  exit 1
fi

echo "test: npm run build" >&2
npm run --silent build

exec node_modules/.bin/jest "$@"
