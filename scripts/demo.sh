#!/usr/bin/env bash
# The demo: sets up what is missing (scripts/setup.sh), starts a local KRaft broker, creates
# the calls topic, and runs sfcrimed on it: the ingest thread replays calls (a generated
# sample, or the real dataset with --file) at a watchable speed while the pipeline counts
# them in hourly windows. The log shows the progress line and each closed window's largest
# crime types; the live page, served by the daemon itself where the Spark UI used to be,
# shows the same as it changes. Ctrl-C (or the end of --duration) stops the daemon, which
# commits its work, then the broker, and says so.
#
# Usage: scripts/demo.sh [--speedup X] [--file FILE] [--records N] [--duration S]
#                        [--port P] [--http-port P] [--topic T] [--security MODE]
#                        [--build-dir DIR] [--run-dir DIR]
#   --speedup X    replay the calls' event time X times faster (default 3600: an hour of
#                  calls a second, so a window closes every second)
#   --file FILE    replay FILE (a JSON array as published, or JSON lines; .gz or .bz2)
#                  instead of a generated sample, e.g. the real dataset in ../shared/data/
#   --records N    calls in the generated sample (default 100000: about 70 an hour)
#   --duration S   stop after S seconds and exit 0 (default: until Ctrl-C)
#   --port P       the broker's port (default 9092; its controller uses P+1)
#   --http-port P  the live page's and /metrics' port, on 127.0.0.1 (default 9464)
#   --topic T      the calls topic (default sf.police.calls)
#   --security M   the broker's security (scripts/kafka.sh start --security): sasl_ssl
#                  (SCRAM-SHA-512 over TLS) or ssl (mutual TLS), with ACLs enforced; the
#                  demo grants sfcrimed the least it needs (scripts/kafka.sh grant, whose
#                  kafka-acls.sh commands it shows) and gives it the broker's client.ini
#                  after its own ini. Default plaintext: no TLS, no authentication.
#   --build-dir D  run the sfcrimed built in D (build/debug, say) instead of setting up and
#                  building build/release first
#   --run-dir D    the broker's data and logs, and the sample (default .run/demo; the broker
#                  starts empty each run, the sample is kept)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

speedup=3600
file=
records=100000
duration=
port=9092
http_port=9464
topic=sf.police.calls
# etc/sfcrimed.ini's pipeline.group, given to the daemon and, when secured, to grant.
group=sfcrimed
security=plaintext
build_dir=
run_dir=$SFCRIMED_ROOT/.run/demo
while [[ $# -gt 0 ]]; do
  case "$1" in
    --speedup) need_value "$1" $# && speedup=$2 && shift 2 ;;
    --file) need_value "$1" $# && file=$2 && shift 2 ;;
    --records) need_value "$1" $# && records=$2 && shift 2 ;;
    --duration) need_value "$1" $# && duration=$2 && shift 2 ;;
    --port) need_value "$1" $# && port=$2 && shift 2 ;;
    --http-port) need_value "$1" $# && http_port=$2 && shift 2 ;;
    --topic) need_value "$1" $# && topic=$2 && shift 2 ;;
    --security) need_value "$1" $# && security=$2 && shift 2 ;;
    --build-dir) need_value "$1" $# && build_dir=$2 && shift 2 ;;
    --run-dir) need_value "$1" $# && run_dir=$2 && shift 2 ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1' (see scripts/demo.sh --help)" ;;
  esac
done
[[ $speedup =~ ^[0-9]+(\.[0-9]+)?$ && ! $speedup =~ ^0+(\.0+)?$ ]] ||
  die "--speedup must be a number above 0 (3600: an hour of calls a second), not '$speedup'"
need_number --records "$records" 1 100000000
[[ -z $duration ]] || need_number --duration "$duration" 1 86400
need_number --port "$port" 1 65534
need_number --http-port "$http_port" 1 65535
[[ $security =~ ^(plaintext|sasl_ssl|ssl)$ ]] || die "--security must be plaintext, sasl_ssl or ssl, not '$security'"
if [[ -n $file ]]; then
  [[ -r $file ]] || die "--file: cannot read '$file'"
  file=$(realpath "$file")
fi
# Taken ports, before anything is built or started.
for p in "$port" $((port + 1)) "$http_port"; do
  user=$(port_user "$p")
  [[ -z $user ]] || die "port $p is taken by $user: stop it, or pick free ports (--port for the broker and P+1, --http-port for the page)"
done
[[ $http_port -ne $port && $http_port -ne $((port + 1)) ]] || die "--http-port $http_port is one of the broker's ports ($port, $((port + 1)))"

if [[ -z $build_dir ]]; then
  "$SFCRIMED_ROOT/scripts/setup.sh" --preset release
  build_dir=$SFCRIMED_ROOT/build/release
fi
sfcrimed=$build_dir/daemon/sfcrimed
[[ -x $sfcrimed ]] || die "no sfcrimed in $build_dir/daemon (build it, or leave out --build-dir)"
kafka_sh=$SFCRIMED_ROOT/scripts/kafka.sh
mkdir -p "$run_dir"
run_dir=$(realpath "$run_dir")
data_dir=$run_dir/kafka
bootstrap=localhost:$port
bin=$(kafka_home kraft)/bin
# On a secured broker Kafka's tools run as its super user, sfcrimed as its user sfcrimed.
admin_config=()
client_config=()
if [[ $security != plaintext ]]; then
  admin_config=(--command-config "$data_dir/admin.properties")
  client_config=(--config "$data_dir/client.ini")
fi

daemon=
stopped_by=
# Whatever ends the demo (Ctrl-C, --duration, a failure), what it started is stopped.
finish() {
  local status=$?
  if [[ -n $daemon ]] && kill -0 "$daemon" 2>/dev/null; then
    say "stopping sfcrimed (SIGTERM: it commits its work first)"
    kill -TERM "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
  if [[ -f $data_dir/cluster.env ]]; then
    say "stopping the broker"
    "$kafka_sh" stop --data-dir "$data_dir" >/dev/null 2>&1 || say "the broker did not stop cleanly (logs in $data_dir)"
  fi
  [[ -z $(pgrep -f -- "$run_dir/" || true) ]] || say "warning: processes of $run_dir are still running: $(pgrep -af -- "$run_dir/")"
  say "demo ${stopped_by:-ended}: nothing it started is running; data and logs in $run_dir"
  exit "$status"
}
trap finish EXIT
trap 'stopped_by="interrupted"; exit 130' INT TERM

# A fresh broker each time: calls left from an earlier demo would be replayed into again.
[[ ! -d $data_dir ]] || "$kafka_sh" stop --data-dir "$data_dir" >/dev/null 2>&1 || true
rm -rf "$data_dir"
"$kafka_sh" start --data-dir "$data_dir" --port "$port" --security "$security" ||
  die "the broker did not start (its log's last lines above; all of it in $data_dir)"
"$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" "${admin_config[@]}" --create --topic "$topic" --partitions 3 >/dev/null ||
  die "cannot create the topic $topic on $bootstrap"
say "created the topic $topic (3 partitions); the pipeline creates $topic.stats, .windows, .dlq and .state"
if [[ $security != plaintext ]]; then
  say "granting sfcrimed the least it needs for $topic and the group $group:"
  "$kafka_sh" grant --data-dir "$data_dir" --topic "$topic" --group "$group" ||
    die "scripts/kafka.sh grant failed (above); the broker's logs are in $data_dir"
fi

if [[ -z $file ]]; then
  # A generated sample in the published file's shape (the project ships no real data).
  file=$run_dir/calls-$records.json
  [[ -f $file ]] || "$sfcrimed" sample --records "$records" --seed 1 --out "$file"
fi

page=http://127.0.0.1:$http_port
say "replaying ${file#"$SFCRIMED_ROOT"/} into $topic at $speedup times its event time"
say "the live page: $page/    Prometheus metrics: $page/metrics"
say "${duration:+stopping after $duration s; }Ctrl-C stops the demo"
# The daemon in a session of its own: Ctrl-C reaches this script, which stops the daemon
# with one SIGTERM (a second signal would make it exit at once). Its log is filtered: no
# configuration lines; progress and each closed window's largest crime types stay.
setsid "$sfcrimed" --config "$SFCRIMED_ROOT/etc/sfcrimed.ini" "${client_config[@]}" --kafka.bootstrap "$bootstrap" \
  --kafka.topic "$topic" --pipeline.group "$group" --ingest.file "$file" --ingest.speedup "$speedup" --ingest.resume false \
  --pipeline.emit_interval 1s --pipeline.progress_interval 5s --metrics.listen "127.0.0.1:$http_port" \
  2> >(trap '' INT && awk '/<6>config:/ { next } { print; fflush() }' >&2) &
daemon=$!
trap 'stopped_by="stopped by Ctrl-C"' INT TERM

started=$SECONDS
while kill -0 "$daemon" 2>/dev/null && [[ -z $stopped_by ]]; do
  if [[ -n $duration ]] && ((SECONDS - started >= duration)); then
    stopped_by="stopped after $duration s"
    break
  fi
  sleep 1 || true # Ctrl-C ends the sleep too
done
if [[ -z $stopped_by ]]; then
  status=0
  wait "$daemon" || status=$?
  die "sfcrimed exited by itself with status $status (its log above)"
fi
kill -TERM "$daemon" 2>/dev/null || true
status=0
wait "$daemon" || status=$?
[[ $status -eq 0 ]] || die "sfcrimed exited with status $status when stopped (its log above)"
say "the statistics so far, read back from the stats topic:"
"$sfcrimed" stats "${client_config[@]}" --bootstrap "$bootstrap" --topic "$topic" --top 5 || true
