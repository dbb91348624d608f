#!/usr/bin/env bash
# Lints every synthesized template with cfn-lint. Errors fail; warnings are printed.
set -uo pipefail
out="${1:-cdk.out}"
if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "cfn-lint is not installed: pip install cfn-lint" >&2
  exit 1
fi
# Stacks inside Stages sit in assembly-*/ (Plinth's app); top-level stacks (a consumer's app) at the root.
mapfile -t templates < <(find "$out" -name '*.template.json' -not -path '*/asset.*' | sort)
if [ "${#templates[@]}" -eq 0 ]; then
  echo "no templates under $out: run the synth first" >&2
  exit 1
fi
# cfn-lint checks each template on its own, on one core; the templates are split into one group
# per core, balanced by size (largest first, each to the lightest group), and the groups linted
# side by side. The findings are printed as one run prints them (by template, then line), and the
# exit codes (bit masks) are combined.
groups=$(nproc 2>/dev/null || echo 1)
[ "$groups" -le "${#templates[@]}" ] || groups=${#templates[@]}
work=$(mktemp -d "${TMPDIR:-/tmp}/plinth-cfn-lint-XXXXXX")
trap 'rm -rf "$work"' EXIT
declare -a load
for ((g = 0; g < groups; g++)); do load[g]=0; : > "$work/group-$g"; done
while read -r size file; do
  lightest=0
  for ((g = 1; g < groups; g++)); do [ "${load[g]}" -lt "${load[lightest]}" ] && lightest=$g; done
  load[lightest]=$((load[lightest] + size))
  printf '%s\n' "$file" >> "$work/group-$lightest"
done < <(stat -c '%s %n' -- "${templates[@]}" | sort -rn)
for ((g = 0; g < groups; g++)); do
  mapfile -t group < "$work/group-$g"
  [ "${#group[@]}" -gt 0 ] || continue
  (cfn-lint --format parseable -- "${group[@]}" > "$work/out-$g" 2> "$work/err-$g"; echo $? > "$work/code-$g") &
done
wait
code=0
for ((g = 0; g < groups; g++)); do [ -f "$work/code-$g" ] && code=$((code | $(cat "$work/code-$g"))); done
cat "$work"/out-* | sort -t: -k1,1 -k2,2n -s
cat "$work"/err-* >&2
# cfn-lint's exit code is a bit mask: 1 = lint failure, 2 = error, 4 = warning, 8 = informational.
if [ $((code & 3)) -ne 0 ]; then
  echo "cfn-lint: errors in ${#templates[@]} template(s)" >&2
  exit 1
fi
echo "cfn-lint: no errors in ${#templates[@]} template(s) (exit mask $code: warnings are listed above)"
