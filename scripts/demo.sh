#!/usr/bin/env bash
# The main job on the embedded default: sets up what is missing (scripts/setup.sh),
# starts a local KRaft broker, generates a sample of calls, and runs sfcrimed on it: the
# ingest thread replays the sample into the calls topic while the pipeline counts it in
# hourly windows (the log shows progress and the first closed windows), until drained.
# Then it shows the statistics with `sfcrimed stats`, the calls and the stats topic with
# kafka-console-consumer.sh, and stops the broker. (The live page comes later.)
#
# Usage: scripts/demo.sh [--port P] [--topic T] [--records N] [--rate R]
#   --port P      the broker's port (default 9092; its controller uses P+1)
#   --topic T     the calls topic (default sf.police.calls)
#   --records N   calls in the generated sample (default 5000)
#   --rate R      calls per second (default 1000; 0: as fast as the broker takes them)
# The sample and the broker's logs: .run/demo/ (the broker's data starts empty each run).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

port=9092
topic=sf.police.calls
records=5000
rate=1000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) [[ $# -ge 2 ]] || die "--port needs a value" && port=$2 && shift 2 ;;
    --topic) [[ $# -ge 2 ]] || die "--topic needs a value" && topic=$2 && shift 2 ;;
    --records) [[ $# -ge 2 ]] || die "--records needs a value" && records=$2 && shift 2 ;;
    --rate) [[ $# -ge 2 ]] || die "--rate needs a value" && rate=$2 && shift 2 ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1' (see scripts/demo.sh --help)" ;;
  esac
done

"$SFCRIMED_ROOT/scripts/setup.sh" --preset release
data_dir=$SFCRIMED_ROOT/.run/demo/kafka
kafka_sh=$SFCRIMED_ROOT/scripts/kafka.sh
bin=$(kafka_home kraft)/bin
bootstrap=localhost:$port

stop_broker() { "$kafka_sh" stop --data-dir "$data_dir"; }
# A fresh broker each time: calls left from an earlier demo would be replayed again (and
# counted as late or duplicate, rightly, but the demo is about a clean run).
[[ ! -d $data_dir ]] || "$kafka_sh" stop --data-dir "$data_dir" >/dev/null 2>&1 || true
rm -rf "$data_dir"
"$kafka_sh" start --data-dir "$data_dir" --port "$port" ||
  die "the broker did not start (above); if port $port is taken, try scripts/demo.sh --port 19092"
trap 'say "stopping the broker"; stop_broker' EXIT
trap 'exit 130' INT TERM

sfcrimed=$SFCRIMED_ROOT/build/release/daemon/sfcrimed
"$sfcrimed" --version

# A generated sample in the published file's shape (the project ships no real data).
sample=$SFCRIMED_ROOT/.run/demo/calls.json
[[ -f $sample ]] || "$sfcrimed" sample --records "$records" --seed 1 --out "$sample"

say "replaying $sample into $topic at $rate calls/s while the pipeline counts them (--drain: until done)"
"$sfcrimed" --config "$SFCRIMED_ROOT/etc/sfcrimed.ini" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" \
  --ingest.file "$sample" --ingest.rate "$rate" --pipeline.progress_interval 2s --metrics.listen "" --drain \
  2> >(awk '/<6>config:/ { next } /<6>window:/ && ++windows > 3 { if (windows == 4) print "  (one line per closed window; the rest left out here)"; next } { print }' >&2)

say "the statistics, read back from the stats topic"
"$sfcrimed" stats --bootstrap "$bootstrap" --topic "$topic" --top 5
say "the first calls, as kafka-console-consumer.sh --from-beginning shows them"
"$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic "$topic" --from-beginning \
  --max-messages 2 2>/dev/null
say "and the stats topic (compacted; key: metric, window, name, partition)"
"$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --topic "$topic.stats" --from-beginning \
  --isolation-level read_committed --formatter-property print.key=true --max-messages 2 --timeout-ms 30000 \
  2> >(grep -v 'KIP-848' >&2)
