#!/usr/bin/env bash
# The benchmarks behind `make bench` (which builds ./bin first): the Go
# benchmarks of every component into bench/go-bench.txt, then the end-to-end
# runs of cmd/auditbench, which write bench/RESULTS.md. Takes about ten
# minutes on 2 CPUs. BENCHTIME sets -benchtime of the Go benchmarks (1s).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
mkdir -p bench

# Packages of the root module whose tests declare a benchmark.
mapfile -t pkgs < <(
  go list -f '{{.Dir}}|{{.ImportPath}}|{{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}' ./... |
    while IFS='|' read -r dir pkg files; do
      for f in $files; do
        if grep -q '^func Benchmark' "$dir/$f"; then echo "$pkg"; break; fi
      done
    done
)
echo "== component benchmarks: ${pkgs[*]#github.com/auditpipe/auditpipe/}"
# -p 1: one package at a time, so benchmarks do not share the CPUs.
go test -p 1 -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-1s}" "${pkgs[@]}" | tee bench/go-bench.txt

echo "== end to end"
go build -o "$BIN/auditbench" ./cmd/auditbench
# auditbench stops the esdev and collector it started when it is interrupted
# or terminated; pass those signals on to it.
"$BIN/auditbench" -bin "$BIN" -gobench bench/go-bench.txt -out bench/RESULTS.md "$@" &
bench=$!
trap 'kill -TERM "$bench" 2>/dev/null || true; wait "$bench" 2>/dev/null || true' INT TERM EXIT
wait "$bench"
trap - INT TERM EXIT
echo "wrote bench/RESULTS.md"
