#!/usr/bin/env bash
# `shieldflow dev-cluster` speaks Kafka to a real client: kcat produces and consumes through it, and
# it stops cleanly on SIGTERM.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
out=$(mktemp); err=$(mktemp)
"$bin" dev-cluster >"$out" 2>"$err" &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$out" "$err" "$out.topics" "$out.yaml"' EXIT
bootstrap=$(first_line "$out")
[ -n "$bootstrap" ] || { echo "dev-cluster printed no bootstrap servers"; cat "$err"; exit 1; }
grep -q "in-memory" "$err" || { echo "dev-cluster did not warn that it is in-memory"; exit 1; }
for i in 1 2 3 4 5; do echo "{\"event_id\":\"e$i\",\"session_id\":\"s\",\"prompt\":\"hello $i\"}"; done |
  kcat -q -b "$bootstrap" -P -t shieldflow.prompts.in -k s
got=$(timeout 30 kcat -q -b "$bootstrap" -C -t shieldflow.prompts.in -o beginning -c 5 -e -f '%s\n' | wc -l)
[ "$got" -eq 5 ] || { echo "kcat consumed $got of 5 messages"; exit 1; }
parts=$(kcat -b "$bootstrap" -L -t shieldflow.prompts.in | grep -c "partition [0-9]*,")
[ "$parts" -eq 6 ] || { echo "expected 6 partitions, metadata shows $parts"; exit 1; }
# topics apply against it: the cluster already has every declared topic, so twice "ok" and exit 0.
root=$(cd "$(dirname "$0")/.." && pwd)
for run in 1 2; do
  "$bin" topics apply --file "$root/topics.yaml" --brokers "$bootstrap" --timeout-ms 3000 > "$out.topics"
  [ "$(grep -c '"action":"ok"' "$out.topics")" -eq 5 ] || { echo "topics apply run $run:"; cat "$out.topics"; exit 1; }
done
# A missing topic: the mock broker has no CreateTopics, so this must end in a clear error line and exit 1.
printf 'topics:\n  shieldflow.extra: {partitions: 2, replication_factor: 3}\n' > "$out.yaml"
if "$bin" topics apply --file "$out.yaml" --brokers "$bootstrap" --timeout-ms 1500 > "$out.topics" 2>/dev/null; then
  echo "topics apply must fail when it cannot create a topic"; exit 1
fi
grep -q '"action":"error".*create failed' "$out.topics" || { echo "no error line:"; cat "$out.topics"; exit 1; }
"$bin" topics apply --file "$out.yaml" --brokers "$bootstrap" --dry-run | grep -q '"action":"create"' || { echo "dry run should plan a create"; exit 1; }
echo "topics apply: idempotent on a complete cluster; missing topic planned (dry run) and a failed create reported"
kill -TERM $pid
for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then echo "dev-cluster did not stop on SIGTERM within 5 s"; exit 1; fi
echo "dev-cluster: kcat produced and consumed 5 messages on $bootstrap; 6 partitions; clean SIGTERM"
