#!/usr/bin/env bash
# `npm test`: the type check of the whole project (`tsc --noEmit -p .`) and every test (jest, with
# the main job's Node options), side by side. The type check takes one core for about 20 s; run
# before jest, it left the other core idle. Its errors are printed the moment it ends, and either
# failing fails `npm test`. Arguments go to jest (`npm test -- test/compliance`).
set -uo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp "${TMPDIR:-/tmp}/plinth-typecheck-XXXXXX")
trap 'rm -f "$log"' EXIT
(
  npx tsc --noEmit -p . > "$log" 2>&1
  code=$?
  if [ "$code" -ne 0 ]; then
    cat "$log" >&2
    echo "npm test: the type check failed (tsc --noEmit -p .)" >&2
  fi
  exit "$code"
) &
typecheck=$!
node --single-threaded-gc --wasm-tiering-budget=500000000 node_modules/jest/bin/jest.js "$@"
tests=$?
wait "$typecheck"
types=$?
[ "$tests" -eq 0 ] && [ "$types" -eq 0 ]
