#!/usr/bin/env bash
# The consumer test: Plinth as a platform team installs it.
#  1. npm pack (prepack runs npm run build); the tarball holds no tests and no TypeScript sources.
#  2. The shipped Lambda bundles match a fresh build of lambdas/.
#  3. A fresh app gets only the peer dependencies (aws-cdk-lib, constructs), the tarball, and
#     TypeScript to compile test/consumer-app/app.ts (the README's "Composing your own stack").
#  4. The app synthesizes through the gate with nothing to acknowledge and no warning, with no
#     esbuild installed and no AWS credentials; cfn-lint finds no errors in its template.
#  5. test/consumer-app/invalid-dataset.ts fails synth naming the field.
# Usage: bash scripts/consumer/run.sh [work-dir]   (prints the figures docs/performance.md quotes)
#        PLINTH_CONSUMER_TARBALL=plinth-0.1.0.tgz bash scripts/consumer/run.sh   (skip the pack)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
WORK="${1:-$(mktemp -d "${TMPDIR:-/tmp}/plinth-consumer-XXXXXX")}"
mkdir -p "$WORK"
fail() { echo "consumer test: $*" >&2; exit 1; }

if [ -n "${PLINTH_CONSUMER_TARBALL:-}" ]; then
  # Re-running the later steps against a tarball packed before (local iteration only).
  TARBALL="$(realpath "$PLINTH_CONSUMER_TARBALL")"
else
  echo "== pack (npm run build, then npm pack) into $WORK"
  tarball="$(npm pack --silent --pack-destination "$WORK" | tail -n 1)"
  TARBALL="$WORK/$tarball"
fi
[ -f "$TARBALL" ] || fail "npm pack made no tarball"
packed_bytes=$(stat -c %s "$TARBALL")

echo "== tarball contents"
tar -tzf "$TARBALL" > "$WORK/files.txt"
mapfile -t files < "$WORK/files.txt"
unpacked_bytes=$(tar -tvzf "$TARBALL" | awk '{ s += $3 } END { print s }')
echo "${#files[@]} files, packed ${packed_bytes} bytes, unpacked ${unpacked_bytes} bytes"
bad=$(grep -E '^package/(test|bench|scripts|\.ci|lambdas|lib|cli|config|bin)/|\.test\.|(^|/)[^/]*[^d]\.ts$|\.tsbuildinfo$' "$WORK/files.txt" | grep -v '\.d\.ts$' || true)
[ -z "$bad" ] || fail "the tarball ships files a library must not: $bad"
for required in package/dist/lib/index.js package/dist/lib/index.d.ts package/dist/cli/plinth.js package/dist/lambda-bundles/ingest/index.js package/README.md package/LICENSE; do
  grep -qx "$required" "$WORK/files.txt" || fail "the tarball lacks $required"
done

echo "== shipped Lambda bundles against a fresh build"
rm -rf "$WORK/extract" && mkdir -p "$WORK/extract"
tar -xzf "$TARBALL" -C "$WORK/extract"
# The check rebuilds every handler (one core) while the fresh app installs and compiles (mostly
# the network and the other core); its result is read after that, below.
node -r ./scripts/ts-register.js scripts/build/lambda-bundles.ts verify "$WORK/extract/package/dist/lambda-bundles" > "$WORK/verify.log" 2>&1 &
verify=$!

echo "== a fresh app with the peer dependencies and the tarball"
APP="$WORK/app"
rm -rf "$APP" && mkdir -p "$APP"
cdk_lib=$(node -p "require('./package.json').devDependencies['aws-cdk-lib']")
constructs=$(node -p "require('./package.json').devDependencies['constructs']")
typescript=$(node -p "require('./package.json').devDependencies['typescript']")
cat > "$APP/package.json" <<JSON
{
  "name": "churn-platform",
  "private": true,
  "dependencies": { "aws-cdk-lib": "$cdk_lib", "constructs": "$constructs", "plinth": "file:$TARBALL" },
  "devDependencies": { "typescript": "$typescript" }
}
JSON
cat > "$APP/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "commonjs", "moduleResolution": "node", "lib": ["es2022"],
    "strict": true, "esModuleInterop": true, "skipLibCheck": true, "types": [], "outDir": "build"
  },
  "include": ["*.ts"]
}
JSON
# cdk.json as `cdk init` writes it: the app, and the recommended feature flags (Plinth's set).
node -e "const c=require('./cdk.json'); require('fs').writeFileSync('$APP/cdk.json', JSON.stringify({ app: 'node build/app.js', context: c.context }, null, 2))"
cp test/consumer-app/app.ts test/consumer-app/invalid-dataset.ts "$APP/"
(cd "$APP" && npm install --no-audit --no-fund --prefer-offline --loglevel=error)
[ ! -e "$APP/node_modules/esbuild" ] || fail "esbuild got installed: a consumer's synth must not need it"
[ ! -e "$APP/node_modules/ts-node" ] || fail "ts-node got installed: the package must run as JavaScript"
(cd "$APP" && npx tsc -p .)

wait "$verify" || { cat "$WORK/verify.log" >&2; fail "the shipped Lambda bundles do not match a fresh build"; }
cat "$WORK/verify.log"

# What `cdk synth` passes an app: the context from cdk.json, and where to write the assembly.
context_json=$(node -e "process.stdout.write(JSON.stringify(require('$APP/cdk.json').context))")
synth() { (cd "$APP" && env -u AWS_PROFILE AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  CDK_OUTDIR="$1" CDK_CONTEXT_JSON="$context_json" node "build/$2.js"); }

echo "== synth through the gate (no credentials)"
start=$(date +%s%N)
synth "$APP/cdk.out" app 2> "$WORK/synth.stderr" || { cat "$WORK/synth.stderr" >&2; fail "the consumer app failed synth"; }
synth_ms=$(( ($(date +%s%N) - start) / 1000000 ))
synth_seconds=$(printf '%d.%01d' $((synth_ms / 1000)) $(((synth_ms % 1000) / 100)))
if [ -s "$WORK/synth.stderr" ]; then cat "$WORK/synth.stderr" >&2; fail "synth printed warnings (above); a consumer must have nothing to acknowledge"; fi
[ -f "$APP/cdk.out/ChurnPlatform.template.json" ] || fail "no ChurnPlatform template"
node -e "
const m = require('$APP/cdk.out/manifest.json');
if ((m.missing ?? []).length) { console.error('context lookups requested:', JSON.stringify(m.missing)); process.exit(1); }
const r = JSON.parse(require('fs').readFileSync('$APP/cdk.out/validation-report.json', 'utf8'));
const open = r.pluginReports.flatMap((p) => p.violations.map((v) => p.pluginName + ' ' + v.ruleName + ' ' + v.severity));
if (open.length) { console.error('unacknowledged findings:', open); process.exit(1); }
for (const type of ['AWS::EC2::VPC', 'AWS::KMS::Key', 'AWS::Glue::Table', 'AWS::SageMaker::FeatureGroup', 'AWS::SageMaker::ModelPackageGroup', 'AWS::SageMaker::Endpoint']) {
  const t = require('$APP/cdk.out/ChurnPlatform.template.json');
  if (!Object.values(t.Resources).some((res) => res.Type === type)) { console.error('no ' + type + ' in the template'); process.exit(1); }
}
"
echo "synth through the gate: ${synth_seconds} s, no findings, no warnings, no lookups"

echo "== cfn-lint"
bash scripts/cfn-lint.sh "$APP/cdk.out"

echo "== an invalid dataset fails synth, naming the field"
if synth "$APP/cdk.out.invalid" invalid-dataset 2> "$WORK/invalid.stderr"; then fail "the app with a duplicate field synthesized"; fi
grep -q 'fields\[1\]\.name "plan" is declared twice' "$WORK/invalid.stderr" || { cat "$WORK/invalid.stderr" >&2; fail "the failure does not name the field"; }
echo "invalid dataset: synth failed with: $(grep -o 'dataset "subscriptions": fields\[1\][^;]*' "$WORK/invalid.stderr" | head -n 1)"

echo "== consumer test passed"
printf 'figures: synth %s s; package %s packed, %s unpacked, %s files\n' "$synth_seconds" \
  "$(numfmt --to=iec "$packed_bytes")" "$(numfmt --to=iec "$unpacked_bytes")" "${#files[@]}"
