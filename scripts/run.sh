#!/usr/bin/env bash
# The quick-start demo behind `make run`: esdev and the collector on the embedded
# default config, a demo load from auditgen, a summary from auditctl, then the
# pipeline stays up until Ctrl-C.
set -euo pipefail
BIN=${BIN:-$PWD/bin}
DATA=${DATA:-$PWD/data}
ES=http://127.0.0.1:9200
mkdir -p "$DATA"

pids=()
stop() {
  echo
  echo "stopping: ${pids[*]:-nothing}"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 0' INT TERM

wait_for() { # url, what
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "$2 did not come up; see $DATA/*.log" >&2
  exit 1
}

echo "starting esdev (an Elasticsearch API store for development) on $ES, data in $DATA/esdev"
"$BIN/esdev" -addr 127.0.0.1:9200 -data "$DATA/esdev" >"$DATA/esdev.log" 2>&1 &
pids+=($!)
wait_for "$ES" esdev

echo "starting otelcol-audit on its embedded default config (log: $DATA/otelcol.log)"
# GOMEMLIMIT below the memory limiter's 768 MiB, as the README advises.
GOMEMLIMIT=${GOMEMLIMIT:-640MiB} "$BIN/otelcol-audit" >"$DATA/otelcol.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:13133/ "the collector"

echo "sending a demo load: 5,000 back-office audit events, 2% malformed on purpose"
"$BIN/auditgen" -endpoint 127.0.0.1:4317 -total 5000 -malformed 0.02 -seed "$(date +%s)"

echo "waiting for the events to become searchable"
count() { curl -fsS "$ES/logs-audit-*/_count" 2>/dev/null | sed -E 's/.*"count":([0-9]+).*/\1/'; }
last=-1
for _ in $(seq 1 60); do
  now=$(count || echo 0)
  [ "$now" = "$last" ] && [ "$now" != 0 ] && break
  last=$now
  sleep 2
done
echo
"$BIN/auditctl" summary -es "$ES" -from 48h
echo
echo "alerts that fired (from the collector's log notifier), by rule:"
grep -F 'audit alert' "$DATA/otelcol.log" | grep -F '"state": "firing"' |
  sed -E 's/.*"rule": "([^"]*)".*"severity": "([^"]*)".*"summary": "([^"]*)".*/\1|\2|\3/' |
  awk -F'|' '{n[$1]++; sev[$1]=$2; last[$1]=$3} END {for (r in n) printf "  %-28s %-9s %5d  latest: %s\n", r, sev[r], n[r], last[r]; if (length(n) == 0) print "  none"}'
cat <<MSG

The pipeline is running. Send audit events to:
  OTLP gRPC      127.0.0.1:4317
  OTLP HTTP      http://127.0.0.1:4318/v1/logs
  JSON intake    curl -XPOST http://127.0.0.1:4318/v1/audit/events -d @event.json
Search them:     $BIN/auditctl search -es $ES -q 'event.action:withdrawal.cancel'
Press Ctrl-C to stop.
MSG
wait
