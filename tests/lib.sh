# Shared by the end-to-end checks and scripts/demo.

# first_line FILE: waits (up to 10 s) for a process to write its first line to FILE and prints it;
# `shieldflow run` and `dev-cluster` print their bootstrap servers there.
# start_dev_cluster BIN: a work directory ($work), background processes killed on exit ($pids, the
# cluster first), and `dev-cluster` running on loopback ($bootstrap).
start_dev_cluster() {
  work=$(mktemp -d)
  pids=()
  trap 'exec 2>/dev/null; for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
  "$1" dev-cluster > "$work/cluster.out" 2>/dev/null &
  pids+=($!)
  bootstrap=$(first_line "$work/cluster.out")
  [ -n "$bootstrap" ] || { echo "dev-cluster printed no bootstrap servers"; exit 1; }
}

first_line() {
  for _ in $(seq 1 100); do [ -s "$1" ] && break; sleep 0.1; done
  head -1 "$1"
}
