#!/usr/bin/env bash
# Records the broker deleted before the group read them: the daemon cannot decide them, and says so.
# A daemon decides 10 events on partition 0 and stops (committing them); 7 MiB more arrive on that
# partition, past the embedded cluster's 5 MiB per partition, so the committed position is gone; the
# restarted daemon logs an error naming the partition and counts shieldflow_offset_resets_total.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
root=$(cd "$(dirname "$0")/.." && pwd)
start_dev_cluster "$bin"
run() { "$bin" run --brokers "$bootstrap" --group-id reset-check --rules "$root/rules" --http-port 0 >/dev/null 2>>"$work/daemon$1.log" & pids+=($!); }

for i in $(seq 0 9); do echo "{\"event_id\":\"early$i\",\"session_id\":\"s\",\"prompt\":\"hello $i\"}"; done > "$work/early"
kcat -q -b "$bootstrap" -P -t shieldflow.prompts.in -p 0 -l "$work/early"
run 1
timeout 60 kcat -q -b "$bootstrap" -C -t shieldflow.decisions -o beginning -c 10 -f '%s\n' > "$work/first" || true
[ "$(wc -l < "$work/first")" -eq 10 ] || { echo "the first daemon decided $(wc -l < "$work/first") of 10 events"; exit 1; }
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" || true
grep -q '"stopped"' "$work/daemon1.log" || { echo "the first daemon did not stop cleanly"; tail -5 "$work/daemon1.log"; exit 1; }

python3 - > "$work/late" <<'PY'
import json
filler = "The quarterly report covers revenue, costs and the outlook for the next year. " * 200
for i in range(450):
    print(json.dumps({"event_id": "late%d" % i, "session_id": "s", "prompt": filler}))
PY
kcat -q -b "$bootstrap" -P -t shieldflow.prompts.in -p 0 -l "$work/late"
start=$(kcat -b "$bootstrap" -Q -t shieldflow.prompts.in:0:-2 | awk '{print $NF}')
[ "$start" -gt 10 ] || { echo "the cluster kept offset 10 (log start $start): nothing to check"; exit 1; }

run 2
for _ in $(seq 1 150); do grep -q "records deleted by the broker" "$work/daemon2.log" && break; sleep 0.2; done
port=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    if l.startswith("{") and json.loads(l).get("msg", "").startswith("serving"): print(json.loads(l)["port"])' "$work/daemon2.log")
python3 - "$work/daemon2.log" "$port" <<'PY'
import json, sys, urllib.request
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
errors = [l for l in lines if l.get("msg", "").startswith("records deleted by the broker")]
assert errors, "no error logged for the deleted records"
e = errors[0]
assert e["level"] == "error" and e["topic"] == "shieldflow.prompts.in" and e["partition"] == "0", e
assert "out of range" in e["librdkafka"], e
m = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[2], timeout=5).read().decode()
series = [l for l in m.splitlines() if l.startswith("shieldflow_offset_resets_total{")]
assert series and 'topic="shieldflow.prompts.in"' in series[0] and 'partition="0"' in series[0] and float(series[0].split()[-1]) >= 1, series
print("offset reset: logged as an error naming shieldflow.prompts.in [0], counted in shieldflow_offset_resets_total")
PY
