# Shared by the end-to-end checks and scripts/demo.

# first_line FILE: waits (up to 10 s) for a process to write its first line to FILE and prints it;
# `shieldflow run` and `dev-cluster` print their bootstrap servers there.
first_line() {
  for _ in $(seq 1 100); do [ -s "$1" ] && break; sleep 0.1; done
  head -1 "$1"
}
