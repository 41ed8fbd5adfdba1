#!/usr/bin/env bash
# The fuzzing behind `make fuzz`: runs every Fuzz target of the root module
# for the given time each (default 30s), one at a time since `go test -fuzz`
# takes a single target. Stops at the first crash and says where Go wrote the
# failing input; commit that file under testdata/fuzz to keep it as a
# regression case.
set -euo pipefail
fuzztime=${1:-30s}
cd "$(dirname "$0")/.."

# Only packages whose tests declare a Fuzz function are compiled for -list;
# grep first so the whole module is not built for nothing.
mapfile -t pkgs < <(
  go list -f '{{.Dir}}|{{.ImportPath}}|{{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}' ./... |
    while IFS='|' read -r dir pkg files; do
      for f in $files; do
        if grep -q '^func Fuzz' "$dir/$f"; then echo "$pkg"; break; fi
      done
    done
)
if [ ${#pkgs[@]} -eq 0 ]; then
  echo "no fuzz targets found"
  exit 0
fi

targets=0
for pkg in "${pkgs[@]}"; do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for name in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
    targets=$((targets + 1))
    echo "== $name ($pkg) for $fuzztime"
    log=$(mktemp)
    if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | tee "$log"; then
      crasher=$(sed -nE 's/.*Failing input written to (testdata\/fuzz\/[^ ]+).*/\1/p' "$log" | head -1)
      rm -f "$log"
      echo
      if [ -n "$crasher" ]; then
        echo "FAIL: $name crashed; failing input: $dir/$crasher"
        echo "reproduce: go test -run '^${name}\$/$(basename "$crasher")\$' $pkg"
      else
        echo "FAIL: $name ($pkg) failed before fuzzing (see the output above)"
      fi
      exit 1
    fi
    rm -f "$log"
  done
done
echo "fuzzing passed: $targets targets, $fuzztime each"
