# What the benchmarks share: the release build, one local KRaft broker on free ports for
# the run (stopped on exit), and medians. Source it from a benchmark script after
# scripts/lib/common.sh.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this

"$SFCRIMED_ROOT/scripts/setup.sh" --preset release >/dev/null
build=$SFCRIMED_ROOT/build/release
work=$(mktemp -d "${TMPDIR:-/tmp}/sfcrimed-bench.XXXXXX")
read -r port controller < <(python3 -c 'import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
cleanup() {
  "$SFCRIMED_ROOT/scripts/kafka.sh" stop --data-dir "$work/kafka" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"$SFCRIMED_ROOT/scripts/kafka.sh" start --data-dir "$work/kafka" --port "$port" --controller-port "$controller" >/dev/null 2>&1 ||
  die "the benchmark broker did not start (port $port)"
bootstrap=localhost:$port
bin=$(kafka_home kraft)/bin

# median_range VALUES...: "median (min-max)"
median_range() {
  python3 -c 'import statistics, sys
v = sorted(float(x) for x in sys.argv[1:])
print(f"{statistics.median(v):.0f} ({v[0]:.0f}-{v[-1]:.0f})")' "$@"
}
median() { python3 -c 'import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
