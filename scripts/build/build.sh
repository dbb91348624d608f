#!/usr/bin/env bash
# `npm run build`: the package a platform team installs, in dist/.
#   dist/lib, dist/cli, dist/config  compiled JavaScript with declarations and maps (tsconfig.build.json)
#   dist/cli/plinth.js                the `plinth` bin; runs the compiled CLI with plain node
#   dist/lambda-bundles/<handler>/    every Lambda handler pre-bundled, so a consumer's synth runs no esbuild
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf dist
# The compiler and the bundler are independent and each uses one core: they run side by side.
node -r ./scripts/ts-register.js scripts/build/lambda-bundles.ts build dist/lambda-bundles &
bundles=$!
npx tsc -p tsconfig.build.json
wait "$bundles"
cp cli/plinth.js dist/cli/plinth.js
chmod +x dist/cli/plinth.js
