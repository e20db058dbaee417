#!/usr/bin/env bash
# `shieldflow dev-cluster` speaks Kafka to a real client: kcat produces and consumes through it, and
# it stops cleanly on SIGTERM.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
out=$(mktemp); err=$(mktemp)
"$bin" dev-cluster >"$out" 2>"$err" &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$out" "$err"' EXIT
bootstrap=$(first_line "$out")
[ -n "$bootstrap" ] || { echo "dev-cluster printed no bootstrap servers"; cat "$err"; exit 1; }
grep -q "in-memory" "$err" || { echo "dev-cluster did not warn that it is in-memory"; exit 1; }
for i in 1 2 3 4 5; do echo "{\"event_id\":\"e$i\",\"session_id\":\"s\",\"prompt\":\"hello $i\"}"; done |
  kcat -q -b "$bootstrap" -P -t shieldflow.prompts.in -k s
got=$(timeout 30 kcat -q -b "$bootstrap" -C -t shieldflow.prompts.in -o beginning -c 5 -e -f '%s\n' | wc -l)
[ "$got" -eq 5 ] || { echo "kcat consumed $got of 5 messages"; exit 1; }
parts=$(kcat -b "$bootstrap" -L -t shieldflow.prompts.in | grep -c "partition [0-9]*,")
[ "$parts" -eq 6 ] || { echo "expected 6 partitions, metadata shows $parts"; exit 1; }
kill -TERM $pid
for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then echo "dev-cluster did not stop on SIGTERM within 5 s"; exit 1; fi
echo "dev-cluster: kcat produced and consumed 5 messages on $bootstrap; 6 partitions; clean SIGTERM"
