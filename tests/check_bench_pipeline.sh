#!/usr/bin/env bash
# `bench pipeline --rounds`: both modes measured every round, the reported ratio is the median of
# the rounds' ratios, and a run too small to time is refused. Figures are not judged here (they are
# benchmarks); the structure and the arithmetic are.
set -euo pipefail
bin=$1
out=$(mktemp); err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$bin" bench pipeline --rules rules --events 2000 --batch-size 100 --latency-events 200 --rounds 3 --settle-seconds 0.2 >"$out" 2>"$err" ||
  { echo "bench pipeline --rounds 3 failed:"; tail -20 "$err"; exit 1; }
python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rounds = d["rounds"]
assert len(rounds) == 3, f"expected 3 rounds, got {len(rounds)}"
for r in rounds:
    assert r["daemon"] > 0 and r["relay"] > 0, r
    assert abs(r["daemon_vs_relay"] - round(r["daemon"] / r["relay"], 2)) < 0.006, r
ratios = sorted(r["daemon_vs_relay"] for r in rounds)
assert d["daemon_vs_relay"] == ratios[1], (d["daemon_vs_relay"], ratios)
for mode in ("daemon", "relay", "direct"):
    lat = d[mode]["latency_ms"]
    assert 0 < lat["p50"] <= lat["p99"] <= lat["max"], (mode, lat)
print(f"bench pipeline: 3 rounds, ratios {ratios}, median {d['daemon_vs_relay']} reported")
PY
if "$bin" bench pipeline --rules rules --events 200 --rounds 2 >/dev/null 2>"$err"; then
  echo "bench pipeline must refuse 200 events with batches of 500"; exit 1
fi
grep -q "at least ten batches" "$err" || { echo "no clear error for a run too small to time:"; cat "$err"; exit 1; }
echo "bench pipeline: a run shorter than ten batches is refused with a clear error"
if "$bin" bench pipeline --rules rules --fetch-wait-ms 501 >/dev/null 2>"$err"; then
  echo "bench pipeline must refuse --fetch-wait-ms 501"; exit 1
fi
grep -q -- "--fetch-wait-ms 0–500" "$err" || { echo "no clear error for an out-of-range fetch wait:"; cat "$err"; exit 1; }
echo "bench pipeline: an out-of-range --fetch-wait-ms is refused with a clear error"
# More events than the embedded cluster keeps (about 5 MiB per partition): refused right after the
# preload instead of waiting for decisions of events that no longer exist.
if "$bin" bench pipeline --rules rules --events 300000 --no-relay >/dev/null 2>"$err"; then
  echo "bench pipeline must refuse a preload the embedded cluster truncated"; exit 1
fi
grep -q "already deleted" "$err" || { echo "no clear error for a truncated preload:"; tail -3 "$err"; exit 1; }
echo "bench pipeline: a preload the embedded cluster truncated is refused with a clear error"
