#!/usr/bin/env bash
# A local Kafka cluster for sfcrimed, from the project's own etc/kafka/*.properties, in
# the background, without juggling terminals.
#
# Usage:
#   scripts/kafka.sh start [--mode kraft|zookeeper] [--brokers N] [--port P]
#                          [--controller-port C] [--zk-port Z] [--data-dir DIR] [--timeout S]
#   scripts/kafka.sh stop [--data-dir DIR] [--timeout S]
#   scripts/kafka.sh status [--data-dir DIR]
#   scripts/kafka.sh home [--mode kraft|zookeeper]
#
#   start   formats storage when needed, starts the processes and returns once the
#           cluster answers metadata requests (or fails with the end of the broker log).
#           In a DIR whose cluster is partly up it starts the nodes that are not running
#           (a broker that was killed), with the ports and size the cluster was made with.
#           kraft (default): Kafka 4.x, each node broker and controller; brokers listen
#           on P..P+N-1 (default 9092), controllers on C..C+N-1 (default P+N).
#           zookeeper: Kafka 3.9.x brokers on P..P+N-1 with one ZooKeeper on Z (2181).
#           With N >= 3 new topics get 3 replicas and min.insync.replicas=2.
#   stop    stops what start started in DIR: SIGTERM, then SIGKILL after S seconds (30).
#   status  what runs in DIR, with pids and ports; exit 3 when nothing runs.
#   home    the Kafka home (with bin/ and config/) of a mode, for the classic commands:
#           $(scripts/kafka.sh home)/bin/kafka-topics.sh --bootstrap-server localhost:9092 --list
#
# DIR defaults to .run/kafka in the repository. Logs: DIR/node-N/logs/server.log.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  header_help
  exit "${1:-0}"
}

mode=
brokers=
port=
controller_port=
zk_port=
data_dir=$SFCRIMED_ROOT/.run/kafka
timeout=
command=${1:-}
[[ -n $command ]] || usage 2
shift

while [[ $# -gt 0 ]]; do
  case "$1" in
    --mode) need_value "$1" $# && mode=$2 && shift 2 ;;
    --brokers) need_value "$1" $# && brokers=$2 && shift 2 ;;
    --port) need_value "$1" $# && port=$2 && shift 2 ;;
    --controller-port) need_value "$1" $# && controller_port=$2 && shift 2 ;;
    --zk-port) need_value "$1" $# && zk_port=$2 && shift 2 ;;
    --data-dir) need_value "$1" $# && data_dir=$2 && shift 2 ;;
    --timeout) need_value "$1" $# && timeout=$2 && shift 2 ;;
    -h | --help) usage ;;
    *) say "unknown argument '$1'" && usage 2 ;;
  esac
done
[[ -z $mode || $mode == kraft || $mode == zookeeper ]] || die "--mode must be kraft or zookeeper, not '$mode'"
[[ -z $brokers ]] || need_number --brokers "$brokers" 1 9
[[ -z $port ]] || need_number --port "$port" 1 65535
[[ -z $zk_port ]] || need_number --zk-port "$zk_port" 1 65535
[[ -z $controller_port ]] || need_number --controller-port "$controller_port" 1 65535
[[ -z $timeout ]] || need_number --timeout "$timeout" 1 3600
mkdir -p "$(dirname "$data_dir")"
data_dir=$(cd "$(dirname "$data_dir")" && pwd)/$(basename "$data_dir")
state_file=$data_dir/cluster.env

# ---------------------------------------------------------------- processes and ports

# owned_pid FILE: the pid in FILE when that process runs and is one of DIR's; a pid file
# naming a dead or foreign process is stale: it is removed, and said so.
owned_pid() {
  local file=$1 pid
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  if [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$data_dir/"; then
    echo "$pid"
    return 0
  fi
  say "removed stale pid file $file (pid '$pid' is not a running process of $data_dir)"
  rm -f "$file"
  return 1
}

pid_files() {
  compgen -G "$data_dir/node-*/kafka.pid" || true
  [[ ! -f $data_dir/zookeeper/zookeeper.pid ]] || echo "$data_dir/zookeeper/zookeeper.pid"
}

require_free_port() {
  local user
  user=$(port_user "$1")
  [[ -z $user ]] || die "port $1 ($2) is already in use by $user; stop that process or choose other ports (--port, --controller-port, --zk-port)"
}

# stop_pids TIMEOUT NAME PID...: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
stop_pids() {
  local wait_s=$1 what=$2
  shift 2
  [[ $# -gt 0 ]] || return 0
  kill -TERM "$@" 2>/dev/null || true
  local deadline=$((SECONDS + wait_s)) pid alive
  while :; do
    alive=()
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    [[ ${#alive[@]} -gt 0 ]] || break
    if ((SECONDS >= deadline)); then
      say "$what did not stop within ${wait_s} s: killing pid ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.3
  done
}

# ---------------------------------------------------------------- configuration

# load_state: the state_* variables of the cluster in DIR; false when there is none.
state_mode='' state_version='' state_brokers='' state_port='' state_controller_port='' state_zk_port='' state_cluster_id=''
load_state() {
  # shellcheck disable=SC1090 # written by write_state below
  [[ -f $state_file ]] && source "$state_file"
}

write_state() {
  cat >"$state_file" <<EOF
# Written by scripts/kafka.sh start; read by stop and status.
state_mode=$mode
state_version=$(kafka_version "$mode")
state_brokers=$brokers
state_port=$port
state_controller_port=$controller_port
state_zk_port=$zk_port
state_cluster_id=$cluster_id
EOF
}

# node_properties NODE: the project's properties file with this node's values appended
# (for a repeated key, the last line wins when Java reads a properties file).
write_node_properties() {
  local node=$1 file=$data_dir/node-$1/server.properties i voters=
  local broker_port=$((port + node - 1))
  mkdir -p "$data_dir/node-$node/data" "$data_dir/node-$node/logs"
  if [[ $mode == kraft ]]; then
    for ((i = 1; i <= brokers; i++)); do voters+="${voters:+,}$i@localhost:$((controller_port + i - 1))"; done
    cat "$SFCRIMED_ROOT/etc/kafka/server.properties" - >"$file" <<EOF

############################# Set by scripts/kafka.sh for node $node #############################
node.id=$node
listeners=PLAINTEXT://localhost:$broker_port,CONTROLLER://localhost:$((controller_port + node - 1))
advertised.listeners=PLAINTEXT://localhost:$broker_port
controller.quorum.voters=$voters
log.dirs=$data_dir/node-$node/data
EOF
  else
    cat "$SFCRIMED_ROOT/etc/kafka/server-zookeeper.properties" - >"$file" <<EOF

############################# Set by scripts/kafka.sh for broker $node #############################
broker.id=$node
listeners=PLAINTEXT://localhost:$broker_port
advertised.listeners=PLAINTEXT://localhost:$broker_port
zookeeper.connect=localhost:$zk_port
log.dirs=$data_dir/node-$node/data
EOF
  fi
  if ((brokers > 1)); then
    local rf=$((brokers < 3 ? brokers : 3))
    local isr=$((rf - 1))
    cat >>"$file" <<EOF
# $brokers brokers: new and internal topics get $rf replicas, $isr of them in sync to accept acks=all.
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
EOF
  fi
}

write_zookeeper_properties() {
  mkdir -p "$data_dir/zookeeper/data" "$data_dir/zookeeper/logs"
  cat "$SFCRIMED_ROOT/etc/kafka/zookeeper.properties" - >"$data_dir/zookeeper/zookeeper.properties" <<EOF

# Set by scripts/kafka.sh
dataDir=$data_dir/zookeeper/data
clientPort=$zk_port
EOF
}

# ---------------------------------------------------------------- start

# fail_start WHAT LOG: prints the end of LOG, stops whatever started, and dies.
fail_start() {
  local what=$1 log=$2
  say "$what; the last lines of $log:"
  tail -n 25 "$log" >&2 2>/dev/null || true
  do_stop 10 >/dev/null 2>&1 || true
  die "Kafka did not start (full logs in $data_dir)"
}

# wait_for_log PID LOG PATTERN WHAT [SKIP]: waits until LOG, past its first SKIP lines,
# matches PATTERN while PID lives.
wait_for_log() {
  local pid=$1 log=$2 pattern=$3 what=$4 skip=${5:-0} deadline=$((SECONDS + ${timeout:-120}))
  until tail -n +"$((skip + 1))" "$log" 2>/dev/null | grep -qE -- "$pattern"; do
    kill -0 "$pid" 2>/dev/null || fail_start "$what exited during start-up" "$log"
    ((SECONDS < deadline)) || fail_start "$what did not start within ${timeout:-120} s" "$log"
    sleep 0.3
  done
}

start_zookeeper() {
  local dir=$data_dir/zookeeper pid
  LOG_DIR=$dir/logs KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx256m} \
    setsid nohup "$home/bin/zookeeper-server-start.sh" "$dir/zookeeper.properties" >"$dir/console.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/zookeeper.pid"
  wait_for_log "$pid" "$dir/logs/server.log" "binding to port|Started AdminServer|ZooKeeper audit is" "ZooKeeper (pid $pid)"
  local deadline=$((SECONDS + ${timeout:-120}))
  until [[ $( (exec 3<>"/dev/tcp/127.0.0.1/$zk_port" && echo ruok >&3 && timeout 2 cat <&3) 2>/dev/null) == imok ]]; do
    kill -0 "$pid" 2>/dev/null || fail_start "ZooKeeper (pid $pid) exited during start-up" "$dir/logs/server.log"
    ((SECONDS < deadline)) || fail_start "ZooKeeper did not answer on port $zk_port" "$dir/logs/server.log"
    sleep 0.3
  done
}

start_broker() {
  local node=$1 dir=$data_dir/node-$1 pid
  LOG_DIR=$dir/logs setsid nohup "$home/bin/kafka-server-start.sh" "$dir/server.properties" >"$dir/console.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/kafka.pid"
}

# cluster_answers: the brokers that answer an ApiVersions/Metadata round trip.
brokers_answering() {
  "$home/bin/kafka-broker-api-versions.sh" --bootstrap-server "localhost:$port" 2>/dev/null |
    grep -cE '^localhost:[0-9]+ \(id: [0-9]+' || true
}

do_start() {
  load_state || true
  if [[ -f $state_file ]]; then
    [[ -z $mode || $mode == "$state_mode" ]] ||
      die "$data_dir holds a $state_mode-mode cluster (Kafka $state_version), not a $mode one; start it with --mode $state_mode, or use another --data-dir"
    mode=$state_mode
    # What the cluster was made with holds: asking for another layout is a mistake.
    local given name
    for name in brokers port controller_port zk_port; do
      local -n value=$name stated=state_$name
      given=$value
      [[ -z $given || -z $stated || $given == "$stated" ]] ||
        die "$data_dir holds a cluster with ${name//_/-} $stated, not $given; start it without --${name//_/-} (or with --${name//_/-} $stated), or use another --data-dir"
      value=${given:-$stated}
    done
    cluster_id=$state_cluster_id
  elif [[ -d $data_dir && -n $(ls -A "$data_dir" 2>/dev/null) ]]; then
    die "$data_dir is not empty and was not made by scripts/kafka.sh; choose an empty or new --data-dir"
  fi
  mode=${mode:-kraft}
  brokers=${brokers:-1}
  port=${port:-9092}
  zk_port=${zk_port:-2181}
  controller_port=${controller_port:-$((port + brokers))}
  home=$(kafka_home "$mode")
  require_java
  [[ -x $home/bin/kafka-server-start.sh ]] || die "no Kafka home at $home; run scripts/setup.sh first"

  # Nodes already running stay as they are: start brings back the ones that are not (a
  # broker killed in a test, or one stopped by hand), or the whole cluster.
  local i pid missing=() running=()
  for ((i = 1; i <= brokers; i++)); do
    if pid=$(owned_pid "$data_dir/node-$i/kafka.pid"); then running+=("$pid"); else missing+=("$i"); fi
  done
  local zk_running=false
  [[ $mode == kraft ]] || ! owned_pid "$data_dir/zookeeper/zookeeper.pid" >/dev/null || zk_running=true
  if [[ ${#missing[@]} -eq 0 ]] && { [[ $mode == kraft ]] || $zk_running; }; then
    say "already running in $data_dir (pid ${running[*]}); see scripts/kafka.sh status --data-dir $data_dir"
    exit 0
  fi
  [[ ${#running[@]} -eq 0 ]] || say "broker(s) ${missing[*]} of $brokers not running: starting them"

  for i in "${missing[@]}"; do
    require_free_port $((port + i - 1)) "broker $i"
    [[ $mode == zookeeper ]] || require_free_port $((controller_port + i - 1)) "controller $i"
  done
  [[ $mode == kraft ]] || $zk_running || require_free_port "$zk_port" "ZooKeeper"

  mkdir -p "$data_dir"
  if [[ -z ${cluster_id:-} ]]; then
    cluster_id=$("$home/bin/kafka-storage.sh" random-uuid 2>/dev/null) || die "kafka-storage.sh random-uuid failed; is the Kafka home at $home complete?"
  fi
  write_state
  for i in "${missing[@]}"; do write_node_properties "$i"; done

  if [[ $mode == kraft ]]; then
    for i in "${missing[@]}"; do
      [[ -f $data_dir/node-$i/data/meta.properties ]] && continue
      LOG_DIR=$data_dir/node-$i/logs "$home/bin/kafka-storage.sh" format -t "$cluster_id" \
        -c "$data_dir/node-$i/server.properties" >"$data_dir/node-$i/logs/format.log" 2>&1 ||
        { cat "$data_dir/node-$i/logs/format.log" >&2; die "formatting the storage of node $i failed (above)"; }
    done
  elif ! $zk_running; then
    write_zookeeper_properties
    start_zookeeper
  fi

  # The log of a node started again keeps its earlier lines: wait for a new start line.
  local -A log_lines=()
  for i in "${missing[@]}"; do
    log_lines[$i]=$(wc -l <"$data_dir/node-$i/logs/server.log" 2>/dev/null || echo 0)
    start_broker "$i"
  done
  for i in "${missing[@]}"; do
    wait_for_log "$(<"$data_dir/node-$i/kafka.pid")" "$data_dir/node-$i/logs/server.log" \
      'Kafka Server started|\] started \(kafka\.server\.KafkaServer\)' "broker $i (pid $(<"$data_dir/node-$i/kafka.pid"))" \
      "${log_lines[$i]}"
  done
  local deadline=$((SECONDS + ${timeout:-120})) answering=0
  while answering=$(brokers_answering) && ((answering < brokers)); do
    ((SECONDS < deadline)) || fail_start "only $answering of $brokers broker(s) answer metadata requests on localhost:$port" "$data_dir/node-1/logs/server.log"
    sleep 1
  done
  local last=$((port + brokers - 1))
  say "Kafka $(kafka_version "$mode") ($mode, $brokers broker(s)) is up: bootstrap localhost:$port$( ((brokers > 1)) && echo "-$last")$([[ $mode == zookeeper ]] && echo ", ZooKeeper localhost:$zk_port"); data and logs in $data_dir"
  say "tools: $home/bin/   stop: scripts/kafka.sh stop --data-dir $data_dir"
}

# ---------------------------------------------------------------- stop and status

do_stop() {
  local wait_s=${1:-${timeout:-30}} file pid brokers_pids=() zk_pids=()
  while read -r file; do
    [[ -n $file ]] || continue
    pid=$(owned_pid "$file") || continue
    if [[ $file == */zookeeper.pid ]]; then zk_pids+=("$pid"); else brokers_pids+=("$pid"); fi
  done < <(pid_files)
  if [[ ${#brokers_pids[@]} -eq 0 && ${#zk_pids[@]} -eq 0 ]]; then
    say "nothing is running in $data_dir"
    return 0
  fi
  # All brokers at once: a KRaft node stopping alone waits for a controller quorum
  # that its peers, stopping one by one, would no longer give it.
  stop_pids "$wait_s" "Kafka" "${brokers_pids[@]}"
  stop_pids "$wait_s" "ZooKeeper" "${zk_pids[@]}"
  rm -f "$data_dir"/node-*/kafka.pid "$data_dir/zookeeper/zookeeper.pid"
  say "stopped ${#brokers_pids[@]} broker(s)$( ((${#zk_pids[@]})) && echo " and ZooKeeper") in $data_dir"
}

do_status() {
  if ! load_state; then
    say "no cluster in $data_dir (start one with scripts/kafka.sh start --data-dir $data_dir)"
    exit 3
  fi
  echo "data dir:  $data_dir"
  echo "cluster:   Kafka $state_version, $state_mode mode, $state_brokers broker(s), id $state_cluster_id"
  echo "home:      $(kafka_home "$state_mode")"
  local i pid any_running=false
  if [[ $state_mode == zookeeper ]]; then
    if pid=$(owned_pid "$data_dir/zookeeper/zookeeper.pid"); then
      echo "zookeeper: running, pid $pid, port $state_zk_port" && any_running=true
    else
      echo "zookeeper: stopped"
    fi
  fi
  for ((i = 1; i <= state_brokers; i++)); do
    local ports="port $((state_port + i - 1))"
    [[ $state_mode == zookeeper ]] || ports+=", controller $((state_controller_port + i - 1))"
    if pid=$(owned_pid "$data_dir/node-$i/kafka.pid"); then
      echo "broker $i:  running, pid $pid, $ports" && any_running=true
    else
      echo "broker $i:  stopped ($ports)"
    fi
  done
  $any_running || exit 3
}

case "$command" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  home) kafka_home "${mode:-kraft}" ;;
  -h | --help | help) usage ;;
  *) say "unknown command '$command'" && usage 2 ;;
esac
