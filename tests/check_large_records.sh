#!/usr/bin/env bash
# Records that make large outputs do not stop a partition. A 465 KB prompt of 31,500 e-mail
# addresses once made a 7 MB decision: the producer refused it, the daemon died, and at every
# restart died again on the same record. Now its decision lists at most 200 findings and is cut
# under the producer's message.max.bytes; an invalid input larger than the producer can send goes to
# the dead-letter topic cut to fit, its size in a header, also when it carries 600 KB of headers.
# The events after them are decided.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
root=$(cd "$(dirname "$0")/.." && pwd)
start_dev_cluster "$bin"
"$bin" run --brokers "$bootstrap" --group-id large --rules "$root/rules" --http-port=-1 >/dev/null 2>"$work/daemon.log" &
pids+=($!); daemon=$!
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
msgs = [{"role": "user", "content": " ".join("u%d_%d@ex.com" % (k, i) for i in range(4500))} for k in range(7)]
with open(w + "/events", "w") as f:
    f.write(json.dumps({"event_id": "many-emails", "session_id": "s1", "messages": msgs}) + "\n")
    f.write(json.dumps({"event_id": "after", "session_id": "s1", "prompt": "hello again"}) + "\n")
open(w + "/huge", "w").write("{" + "x" * 1_200_000 + "\n")   # over the input limit (1 MiB) and the producer's 1,000,000
PY
kcat -q -b "$bootstrap" -P -t shieldflow.prompts.in -p 0 -l "$work/events"
kcat -q -b "$bootstrap" -P -t shieldflow.prompts.in -p 0 -X message.max.bytes=2000000 "$work/huge"
# The same with 600 KB of headers (five of 120 KB): headers and value together must fit.
big=$(head -c 120000 /dev/zero | tr '\0' h)
head -c 600000 "$work/huge" > "$work/huge2"
kcat -q -b "$bootstrap" -P -t shieldflow.prompts.in -p 0 -X message.max.bytes=2000000 \
  -H "h1=$big" -H "h2=$big" -H "h3=$big" -H "h4=$big" -H "h5=$big" "$work/huge2"
echo '{"event_id":"last","session_id":"s1","prompt":"and one more"}' | kcat -q -b "$bootstrap" -P -t shieldflow.prompts.in -p 0
timeout 60 kcat -q -b "$bootstrap" -C -t shieldflow.decisions -o beginning -c 3 -X fetch.message.max.bytes=2000000 -f '%s\n' > "$work/decisions" || true
timeout 30 kcat -q -b "$bootstrap" -C -t shieldflow.deadletter -o beginning -c 2 -X fetch.message.max.bytes=2000000 -f '%h\t%S\n' > "$work/dead" || true
kill -0 "$daemon" 2>/dev/null || { echo "the daemon died:"; tail -3 "$work/daemon.log"; exit 1; }
python3 - "$work/decisions" "$work/dead" "$root/schemas/decision.schema.json" <<'PY'
import json, sys, jsonschema
lines = [l for l in open(sys.argv[1]) if l.strip()]
decisions = [json.loads(l) for l in lines]
assert [d["event_id"] for d in decisions] == ["many-emails", "after", "last"], [d["event_id"] for d in decisions]
validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[3])))
for d in decisions:
    errors = list(validator.iter_errors(d))
    assert not errors, errors[0].message
big = decisions[0]
assert len(lines[0].encode()) < 1_000_000, len(lines[0].encode())
assert len(big["findings"]) == 200 and big["findings_omitted"] >= 30_000, (len(big["findings"]), big.get("findings_omitted"))
assert big["action"] in ("block", "allow_masked"), big["action"]
assert "u0_0@ex.com" not in lines[0], "a raw address in the decision"
# Dead letters of keyless records land on any of the topic's partitions: matched by their size header.
dead = {}
for l in open(sys.argv[2]).read().split("\n"):
    if not l:
        continue
    head, size = l.rsplit("\t", 1)
    names = dict(h.split("=", 1) for h in head.split(",") if "=" in h)
    dead[names.get("shieldflow.truncated")] = (names, len(head), int(size))
assert set(dead) == {"1200002", "600000"}, list(dead)
names, _, size = dead["1200002"]
assert names["shieldflow.reason"] == "too_large" and size < 1_000_000, (names.get("shieldflow.reason"), size)
names2, head2, size2 = dead["600000"]
assert names2["shieldflow.reason"] == "not_json" and "h1" in names2 and head2 + size2 < 1_000_000, (sorted(names2), head2, size2)
print(f"large records: a {len(lines[0].encode()):,}-byte decision for 31,500 addresses ({big['action']}, 200 findings listed, "
      f"{big['findings_omitted']:,} counted), a 1.2 MB dead letter cut to {size:,} bytes, one with 600 KB of headers cut to "
      f"{size2:,}, the events after them decided")
PY
