#!/usr/bin/env bash
# Runs the Spark baseline (data_stream.py: Spark Structured Streaming doing sfcrimed's work)
# on a calls topic, the classic way: spark-submit --master 'local[*]' with the Kafka
# connector's jars, offline (the jars are resolved ahead by setup.sh, which this runs
# first when needed), Spark's log at WARN on stderr. Prints one JSON line on stdout.
#
# Usage:
#   scripts/bench/spark/run.sh --bootstrap HOST:PORT --topic T --output-topic O
#       [--dlq-topic D] [--trigger availableNow|default|INTERVAL] [--max-offsets N|unlimited]
#       [--conf key=value]... [--seconds S] [--checkpoint DIR] [--latency]
#
#   --bootstrap     Kafka bootstrap servers.
#   --topic         the calls topic, read from its earliest offsets.
#   --output-topic  where the counts go (created when missing, with T's partition count):
#                   key ["crime_type"|"disposition", window start, name], value
#                   {"metric","window_start","window_end","name","description","count"};
#                   the latest message per key is the count (update output mode).
#   --dlq-topic     where malformed calls go (default O.dlq), with sfcrimed's headers.
#   --trigger       availableNow (default): what the topic holds at the start, then stop;
#                   default: micro-batches back to back; INTERVAL: processing-time
#                   trigger, e.g. 500ms, 1s, 2m. Other than availableNow needs --seconds.
#   --max-offsets   records per micro-batch at most (maxOffsetsPerTrigger; default unlimited).
#   --conf          a Spark setting, passed to spark-submit (repeatable), e.g.
#                   --conf spark.sql.shuffle.partitions=2 --conf spark.default.parallelism=2.
#   --seconds       stop after S seconds (a latency run); latency is then measured.
#   --checkpoint    the query's checkpoint directory, to resume; default: a new one per
#                   run (removed after), so each run reads the topic from the start.
#   --latency       measure latency even without --seconds.
#
# Output, the job's last line (other lines of the job's stdout are dropped):
#   {"engine": "spark", "spark": "4.1.1", "trigger": "availableNow", "max_offsets_per_trigger": "unlimited",
#    "shuffle_partitions": 2, "records": 199999, "rows_read": 399998, "dead_letters": 0, "seconds": 35.448,
#    "rows_per_s": 5642.1, "batches": 2, "data_batches": 1}
#   records: calls-topic records read (rows_read counts them once per branch of the job's
#   union, so twice); dead_letters: malformed ones; seconds: from the query's start to its end (availableNow) or
#   --seconds; batches: micro-batches run (data_batches: those that read rows). With
#   --seconds or --latency also "latency_ms":{"p50":..,"p99":..,"records":N}: per record,
#   from its Kafka timestamp to the end of the micro-batch that wrote its window's count,
#   over the steady state: records produced after the first batch with rows ended and
#   after a quarter of --seconds (see data_stream.py).
# Exit status: the job's (non-zero when it or Spark failed; its stderr says why).
set -euo pipefail
# shellcheck source=../../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/common.sh"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

job_args=() confs=()
bootstrap='' topic='' output_topic=''
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bootstrap) bootstrap=${2:?--bootstrap needs HOST:PORT} && shift 2 ;;
    --topic) topic=${2:?--topic needs a topic} && shift 2 ;;
    --output-topic) output_topic=${2:?--output-topic needs a topic} && shift 2 ;;
    --dlq-topic) job_args+=(--dlq-topic "${2:?--dlq-topic needs a topic}") && shift 2 ;;
    --trigger) job_args+=(--trigger "${2:?--trigger needs availableNow, default or an interval}") && shift 2 ;;
    --max-offsets) job_args+=(--max-offsets-per-trigger "${2:?--max-offsets needs N or unlimited}") && shift 2 ;;
    --conf)
      [[ ${2:-} == *=* ]] || die "--conf takes key=value, not '${2:-}'"
      confs+=(--conf "$2") && shift 2
      ;;
    --seconds) job_args+=(--seconds "${2:?--seconds needs a number}" --latency) && shift 2 ;;
    --checkpoint) job_args+=(--checkpoint "${2:?--checkpoint needs a directory}") && shift 2 ;;
    --latency) job_args+=(--latency) && shift ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ -n $bootstrap && -n $topic && -n $output_topic ]] || die "give --bootstrap, --topic and --output-topic (see --help)"
has_dlq=false
for arg in "${job_args[@]}"; do [[ $arg == --dlq-topic ]] && has_dlq=true; done
$has_dlq || job_args+=(--dlq-topic "$output_topic.dlq")

"$SPARK_DIR/setup.sh" --quiet

out=$(mktemp "${TMPDIR:-/tmp}/sfcrimed-spark-run.XXXXXX")
trap 'rm -f "$out"' EXIT
# The venv's Python for the driver and any Python worker: it is the one with pyspark.
export PYSPARK_PYTHON=$SPARK_VENV/bin/python PYSPARK_DRIVER_PYTHON=$SPARK_VENV/bin/python
# Spark binds its driver to the loopback (below); saying so sets it for its own checks too.
export SPARK_LOCAL_IP=127.0.0.1
# The project's defaults come first, so a --conf of the caller's overrides them. Loopback
# only (the machine may have no resolvable host name, and a benchmark needs no other
# address); no web UI (a port and a thread per run that nobody looks at).
status=0
"$SPARK_SUBMIT" --master 'local[*]' --name sfcrimed-spark-baseline \
  --jars "$(spark_jars)" \
  --driver-java-options "-Dlog4j2.configurationFile=file:$SPARK_DIR/log4j2.properties" \
  --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
  --conf spark.ui.enabled=false --conf spark.sql.session.timeZone=UTC \
  "${confs[@]}" \
  "$SPARK_DIR/data_stream.py" --bootstrap "$bootstrap" --topic "$topic" --output-topic "$output_topic" \
  "${job_args[@]}" >"$out" || status=$?
((status == 0)) || die "the Spark job failed (exit $status; its log is above); its stdout ended: $(tail -n 5 "$out")"
last=$(tail -n 1 "$out")
[[ $last == "{"* ]] || die "the Spark job ended without its JSON line; its stdout ended: $(tail -n 3 "$out")"
echo "$last"
