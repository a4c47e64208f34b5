# What the cluster benchmarks (failover.sh, rebalance.sh) share: the release build, a
# three-node KRaft cluster on free ports (replication factor 3, min.insync.replicas 2;
# stopped on exit with whatever the benchmark started), the calls to replay, and a sampler
# of the daemon's /metrics. Source it from a benchmark script after scripts/lib/common.sh.
# SFCRIMED_BENCH_KEEP=1 keeps the scratch directory (the daemon's logs) for a look after.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this

"$SFCRIMED_ROOT/scripts/setup.sh" --preset release >/dev/null
build=$SFCRIMED_ROOT/build/release
work=$(mktemp -d "${TMPDIR:-/tmp}/sfcrimed-bench.XXXXXX")
cluster=$work/kafka
bin=$(kafka_home kraft)/bin
# Every process a benchmark starts in the background (bench_background), stopped on exit
# with its children, so that nothing outlives an interrupted run.
bench_background() {
  "$@" &
  echo "$!" >>"$work/background.pids"
}
cleanup() {
  local pid
  if [[ -f $work/background.pids ]]; then
    while read -r pid; do
      # shellcheck disable=SC2046 # one id a word
      kill -TERM "$pid" $(pgrep -P "$pid" || true) 2>/dev/null || true
    done <"$work/background.pids"
  fi
  "$SFCRIMED_ROOT/scripts/kafka.sh" stop --data-dir "$cluster" >/dev/null 2>&1 || true
  if [[ -n ${SFCRIMED_BENCH_KEEP:-} ]]; then say "kept $work (SFCRIMED_BENCH_KEEP)"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(free_ports 6)
say "starting a three-node cluster on localhost:$port-$((port + 2))"
"$SFCRIMED_ROOT/scripts/kafka.sh" start --brokers 3 --data-dir "$cluster" --port "$port" >/dev/null 2>&1 ||
  die "the benchmark cluster did not start (ports $port-$((port + 5)))"
bootstrap=localhost:$port,localhost:$((port + 1)),localhost:$((port + 2))

# broker_pid NODE; heal: every broker up and every partition in sync again.
broker_pid() { cat "$cluster/node-$1/kafka.pid"; }
heal() {
  "$SFCRIMED_ROOT/scripts/kafka.sh" start --data-dir "$cluster" >/dev/null 2>&1 || die "a broker did not start again"
  local _
  for _ in $(seq 1 120); do
    [[ -z $("$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --describe --under-replicated-partitions 2>/dev/null) ]] &&
      return 0
    sleep 1
  done
  die "partitions still under-replicated 120 s after the brokers came back"
}

# new_topic NAME: a calls topic of 6 partitions.
new_topic() { "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --topic "$1" --partitions 6 >/dev/null; }

# The coordinators' and leaders' node ids, as Kafka's tools print them.
transaction_coordinator() {
  "$bin/kafka-transactions.sh" --bootstrap-server "$bootstrap" describe --transactional-id "$1" 2>/dev/null |
    awk 'NR == 2 { print $1 }'
}
group_coordinator() {
  "$bin/kafka-consumer-groups.sh" --bootstrap-server "$bootstrap" --describe --group "$1" --state 2>/dev/null |
    sed -n 's/.*localhost:[0-9]* *(\([0-9]*\)).*/\1/p' | head -n 1
}
leader_of() {
  "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --describe --topic "$1" |
    awk -v p="$2" '$3 == "Partition:" && $4 == p { for (i = 1; i <= NF; i++) if ($i == "Leader:") print $(i + 1) }'
}

# sample_metrics PORT OUT: the daemon's /metrics every 200 ms, as JSON lines, until killed.
sample_metrics() {
  bench_background python3 "$SFCRIMED_ROOT/scripts/bench/sample_metrics.py" "http://127.0.0.1:$1/metrics" "$2"
}

# plotting_python: a Python with matplotlib (a venv in .cache/bench-venv, made when missing).
plotting_python() {
  local venv=$SFCRIMED_CACHE/bench-venv
  if ! "$venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
    say "setting up $venv (matplotlib, for the plots)"
    { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet matplotlib >&2; } ||
      die "could not install matplotlib into $venv (python3-venv and PyPI needed)"
  fi
  echo "$venv/bin/python"
}
