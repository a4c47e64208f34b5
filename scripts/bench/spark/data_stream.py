"""The Spark Structured Streaming job sfcrimed replaces, kept as the benchmark's yardstick.

It does the daemon's work on the same calls topic: parse each value against the calls'
schema, send malformed ones to a dead-letter topic, drop duplicate crime_ids within the
watermark, count calls in 1-hour tumbling windows of event time per crime type and per
disposition (left-joined with the radio-code table for its description), and write the
counts to a Kafka topic. Run it the classic way (scripts/bench/spark/run.sh does):

    spark-submit --master 'local[*]' --jars <connector jars, comma-separated> data_stream.py \\
        --bootstrap localhost:9092 --topic calls --output-topic calls.spark.stats

Output topic: one message per changed count per micro-batch (update mode), key
["crime_type"|"disposition", window start, name], value
{"metric", "window_start", "window_end", "name", "description", "count"} (description:
the radio code's, null for crime types and for codes the table lacks). The latest
message per key is the count's truth, as in sfcrimed's stats topic, whose windows are
the same: event time is call_date_time as written (no time zone), so windows start on
the hours as written.

Dead letters go to --dlq-topic with the raw value and headers sfcrimed.reason,
sfcrimed.source.topic, .partition and .offset, as the daemon's do.

The last line on stdout is one JSON object: records read, dead letters, seconds (from
the start of the query to its end), rows_per_s, batches, and with --latency
latency_ms {p50, p99, records} (defined at measure_latency below).
"""

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

CALL_FIELDS = (
    "crime_id", "original_crime_type_name", "report_date", "call_date", "offense_date", "call_time",
    "call_date_time", "disposition", "address", "city", "state", "agency_id", "address_type", "common_location",
)
CORRUPT_FIELD = "_corrupt_record"
# The fields the daemon refuses a call without (missing, null or empty): it cannot count one.
REQUIRED_FIELDS = ("crime_id", "original_crime_type_name", "disposition", "call_date_time")
# call_date_time as the daemon reads it: minutes, optional seconds, optional fraction of 1-9
# digits (which it truncates; no window boundary lies within a second, so neither matters).
CALL_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm[:ss[.SSSSSSSSS]]"
WALL_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    parser.add_argument("--topic", required=True, help="the calls topic (read from its earliest offsets)")
    parser.add_argument("--output-topic", help="the counts topic (default: <topic>.spark.stats)")
    parser.add_argument("--dlq-topic", help="the dead-letter topic (default: <topic>.spark.dlq)")
    parser.add_argument("--radio-codes", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                              "..", "..", "..", "etc", "radio_codes.json"),
                        help="the radio-code table (the classic radio_code.json format)")
    parser.add_argument("--trigger", default="availableNow",
                        help="availableNow (everything in the topic now, then stop), default (micro-batches "
                             "one after the other) or a processing-time interval such as '1 second' or 1s")
    parser.add_argument("--max-offsets-per-trigger", default="unlimited",
                        help="records per micro-batch at most (Kafka source maxOffsetsPerTrigger), or unlimited")
    parser.add_argument("--seconds", type=float,
                        help="stop after this long (required unless --trigger availableNow)")
    parser.add_argument("--checkpoint", help="checkpoint directory (default: a new one, removed at the end, "
                                             "so every run starts from the topic's earliest offsets)")
    parser.add_argument("--latency", action="store_true",
                        help="also measure end-to-end latency per record (reads the topic once more at the end)")
    args = parser.parse_args(argv)
    args.output_topic = args.output_topic or f"{args.topic}.spark.stats"
    args.dlq_topic = args.dlq_topic or f"{args.topic}.spark.dlq"
    if args.trigger != "availableNow" and args.seconds is None:
        parser.error(f"--trigger {args.trigger} runs until stopped: give --seconds")
    if args.max_offsets_per_trigger != "unlimited" and not args.max_offsets_per_trigger.isdigit():
        parser.error("--max-offsets-per-trigger takes a number of records or unlimited")
    return args


def processing_interval(trigger):
    """'1s', '500ms', '2m' or Spark's own '1 second' form, as Spark's interval text."""
    units = {"ms": "milliseconds", "s": "seconds", "m": "minutes"}
    for suffix, unit in units.items():
        number = trigger[:-len(suffix)]
        if trigger.endswith(suffix) and number.replace(".", "", 1).isdigit():
            return f"{number} {unit}"
    return trigger


def ensure_topics(spark, bootstrap, source_topic, topics):
    """Creates the output topics when missing, with the calls topic's partition count: the
    project's brokers do not create topics on first use (auto.create.topics.enable=false).
    kafka-clients' Admin is on the class path already, with the connector."""
    jvm = spark.sparkContext._jvm
    props = jvm.java.util.Properties()
    props.put("bootstrap.servers", bootstrap)
    admin = jvm.org.apache.kafka.clients.admin.Admin.create(props)
    try:
        existing = set(admin.listTopics().names().get())
        if source_topic not in existing:
            sys.exit(f"data_stream.py: the calls topic '{source_topic}' does not exist on {bootstrap}")
        described = admin.describeTopics(jvm.java.util.List.of(source_topic)).allTopicNames().get()
        partitions = described.get(source_topic).partitions().size()
        missing = [t for t in topics if t not in existing]
        if missing:
            new_topics = jvm.java.util.ArrayList()
            for topic in missing:
                new_topics.add(jvm.org.apache.kafka.clients.admin.NewTopic(
                    topic, jvm.java.util.Optional.of(partitions), jvm.java.util.Optional.empty()))
            admin.createTopics(new_topics).all().get()
    finally:
        admin.close()


def radio_codes(spark, path):
    with open(path, encoding="utf-8") as f:
        table = json.load(f)
    rows = [(entry["disposition_code"], entry["description"]) for entry in table]
    # One row per code, or the left join would count a call once per matching row.
    if len({code for code, _ in rows}) != len(rows):
        sys.exit(f"data_stream.py: {path} describes a disposition code twice")
    return spark.createDataFrame(rows, "disposition_code string, description string")


def build_query(spark, args):
    source = (spark.readStream.format("kafka")
              .option("kafka.bootstrap.servers", args.bootstrap)
              .option("subscribe", args.topic)
              .option("startingOffsets", "earliest"))
    if args.max_offsets_per_trigger != "unlimited":
        source = source.option("maxOffsetsPerTrigger", args.max_offsets_per_trigger)
    raw = source.load()

    # The extra field catches what is not JSON at all: from_json (PERMISSIVE) then gives a
    # row of nulls with the text here, rather than a null row.
    schema = T.StructType([T.StructField(name, T.StringType()) for name in CALL_FIELDS + (CORRUPT_FIELD,)])
    text = F.col("value").cast("string")
    parsed = raw.select(
        "value", "topic", "partition", "offset",
        F.from_json(text, schema, {"columnNameOfCorruptRecord": CORRUPT_FIELD}).alias("call"),
    ).select("value", "topic", "partition", "offset", "call", "call.*")
    # try_: Spark 4 runs ANSI SQL, where to_timestamp fails the query on a bad date.
    parsed = parsed.withColumn("event_time", F.try_to_timestamp("call_date_time", F.lit(CALL_TIME_FORMAT)))

    reason = F.when(F.col("value").isNull(), F.lit("no value"))
    reason = reason.when(F.col("call").isNull() | F.col(CORRUPT_FIELD).isNotNull(), F.lit("not a JSON object"))
    for field in REQUIRED_FIELDS:
        reason = reason.when(F.coalesce(F.col(field), F.lit("")) == "", F.lit(f"no {field}"))
    reason = reason.when(F.col("event_time").isNull(), F.lit("call_date_time is not a date-time"))
    parsed = parsed.withColumn("reason", reason).observe(
        "input", F.sum(F.col("reason").isNotNull().cast("long")).alias("malformed"))

    def header(key, value):
        return F.struct(F.lit(key).alias("key"), value.cast("string").cast("binary").alias("value"))

    # Dead letters and counts go out through one Kafka sink (the topic is a column), so the
    # job reads the calls topic once, in one query, as the daemon does.
    dead_letters = parsed.where(F.col("reason").isNotNull()).select(
        F.lit(args.dlq_topic).alias("topic"),
        F.lit(None).cast("binary").alias("key"),
        F.col("value"),
        F.array(header("sfcrimed.reason", F.col("reason")),
                header("sfcrimed.source.topic", F.col("topic")),
                header("sfcrimed.source.partition", F.col("partition")),
                header("sfcrimed.source.offset", F.col("offset"))).alias("headers"),
    )

    calls = (parsed.where(F.col("reason").isNull())
             .select("event_time", "crime_id", "original_crime_type_name", "disposition")
             .withWatermark("event_time", "1 hour")
             .dropDuplicatesWithinWatermark(["crime_id"]))
    described = calls.join(F.broadcast(radio_codes(spark, args.radio_codes)),
                           calls.disposition == F.col("disposition_code"), "left")
    # One row per call and metric, so one aggregation (one state store) counts both.
    metrics = described.select("event_time", F.explode(F.array(
        F.struct(F.lit("crime_type").alias("metric"), F.col("original_crime_type_name").alias("name"),
                 F.lit(None).cast("string").alias("description")),
        F.struct(F.lit("disposition").alias("metric"), F.col("disposition").alias("name"),
                 F.col("description")),
    )).alias("m"))
    counts = metrics.groupBy(F.window("event_time", "1 hour").alias("window"),
                             "m.metric", "m.name", "m.description").count()
    start = F.date_format("window.start", WALL_TIME_FORMAT)
    count_messages = counts.select(
        F.lit(args.output_topic).alias("topic"),
        F.to_json(F.array(F.col("metric"), start, F.col("name"))).cast("binary").alias("key"),
        F.to_json(F.struct(
            F.col("metric"), start.alias("window_start"),
            F.date_format("window.end", WALL_TIME_FORMAT).alias("window_end"),
            F.col("name"), F.col("description"), F.col("count"),
        ), {"ignoreNullFields": "false"}).cast("binary").alias("value"),
        F.lit(None).cast("array<struct<key:string,value:binary>>").alias("headers"),
    )

    # update: each micro-batch writes the counts it changed, so the last windows' counts
    # are out when an availableNow run ends (append would hold them until the watermark
    # passes their end, which it never does once the calls stop).
    writer = (count_messages.unionByName(dead_letters).writeStream
              .format("kafka")
              .option("kafka.bootstrap.servers", args.bootstrap)
              .option("checkpointLocation", args.checkpoint)
              .outputMode("update")
              .queryName("sfcrimed_spark_baseline"))
    if args.trigger == "availableNow":
        writer = writer.trigger(availableNow=True)
    elif args.trigger != "default":
        writer = writer.trigger(processingTime=processing_interval(args.trigger))
    return writer


def stop_between_batches(query, patience=60.0):
    """Stops the query once its running micro-batch (if any) has ended: stopping one
    mid-way cancels its tasks and leaves its records out of the figures. Waits at most
    `patience` seconds for a gap."""
    deadline = time.monotonic() + patience
    while query.status["isTriggerActive"] and time.monotonic() < deadline:
        time.sleep(0.01)
    query.stop()


def epoch_ms(spark_timestamp):
    """Progress timestamps ('2025-01-02T03:04:05.678Z', UTC) as epoch milliseconds."""
    when = datetime.datetime.fromisoformat(spark_timestamp.replace("Z", "+00:00"))
    return int(when.timestamp() * 1000)


def as_object(offsets):
    """A progress event's offsets: JSON text in the listener's events, already parsed in
    the query's recentProgress JSON; null for the first batch's start."""
    return json.loads(offsets) if isinstance(offsets, str) else offsets


def offset_ranges(progress, topic):
    """(partition, first offset, end offset, batch end ms) of each micro-batch that read rows."""
    ranges = []
    for event in progress:
        if event["numInputRows"] == 0:
            continue
        end_ms = epoch_ms(event["timestamp"]) + event["durationMs"]["triggerExecution"]
        source = event["sources"][0]
        start_offsets = as_object(source["startOffset"]) or {}
        for partition, end in as_object(source["endOffset"])[topic].items():
            begin = start_offsets.get(topic, {}).get(partition, 0)
            if end > begin:
                ranges.append((int(partition), begin, end, end_ms))
    return ranges


def measure_latency(spark, args, progress, query_start_ms):
    """Per-record end-to-end latency: from the record's Kafka timestamp (the producer's
    create time) to the end of the micro-batch that read it. With update output a batch
    writes the counts of every window its records changed, and the Kafka sink flushes its
    producer before the batch ends, so at that moment the record's window count (and its
    dead letter) is in the output topic: that is the latency a reader of the counts sees.
    Batch end = the progress event's timestamp (the trigger) + its triggerExecution.

    Measured after the run, outside the timed part: each batch's offset range per
    partition comes from its progress event, and the records' timestamps from reading the
    calls topic once more. Only the steady state counts, as in scripts/bench/lib.sh's
    daemon_latency: records produced after the first batch that read rows has ended (the
    backlog of the query's start, the JVM warming up, the state stores created) and, with
    --seconds, after the first quarter of the run."""
    ranges = offset_ranges(progress, args.topic)
    if not ranges:
        return {"p50": None, "p99": None, "records": 0}
    steady_from_ms = min(end_ms for _, _, _, end_ms in ranges)
    if args.seconds is not None:
        steady_from_ms = max(steady_from_ms, query_start_ms + int(args.seconds * 1000 / 4))
    batches = spark.createDataFrame(ranges, "b_partition int, b_begin long, b_end long, b_end_ms long")
    records = (spark.read.format("kafka")
               .option("kafka.bootstrap.servers", args.bootstrap)
               .option("subscribe", args.topic)
               .option("startingOffsets", "earliest")
               .option("endingOffsets", "latest")
               .load()
               .select("partition", "offset", (F.unix_millis("timestamp")).alias("produced_ms")))
    # records["offset"], not records.offset: DataFrame.offset is a method.
    joined = records.join(F.broadcast(batches),
                          (records["partition"] == batches["b_partition"])
                          & (records["offset"] >= batches["b_begin"]) & (records["offset"] < batches["b_end"]))
    latencies = joined.where(F.col("produced_ms") >= steady_from_ms).select(
        (F.col("b_end_ms") - F.col("produced_ms")).alias("latency_ms"))
    row = latencies.agg(F.percentile("latency_ms", F.lit(0.5)).alias("p50"),
                        F.percentile("latency_ms", F.lit(0.99)).alias("p99"),
                        F.count(F.lit(1)).alias("records")).first()
    return {"p50": row["p50"], "p99": row["p99"], "records": row["records"]}


def main(argv):
    args = parse_args(argv)
    own_checkpoint = args.checkpoint is None
    if own_checkpoint:
        args.checkpoint = tempfile.mkdtemp(prefix="sfcrimed-spark-checkpoint.")
    spark = SparkSession.builder.appName("sfcrimed-spark-baseline").getOrCreate()
    try:
        # Windows are wall-clock hours as written: with UTC as the session's zone the
        # parsed wall-clock time and the window start format back to the same hours.
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        # Every batch's progress is kept, for the batch count and the latency.
        spark.conf.set("spark.sql.streaming.numRecentProgressUpdates", "10000000")
        ensure_topics(spark, args.bootstrap, args.topic, [args.output_topic, args.dlq_topic])
        writer = build_query(spark, args)

        started = time.monotonic()
        query_start_ms = int(time.time() * 1000)
        query = writer.start()
        if args.seconds is None:
            query.awaitTermination()
        elif not query.awaitTermination(args.seconds):
            stop_between_batches(query)
        seconds = time.monotonic() - started
        if query.exception() is not None:
            sys.exit(f"data_stream.py: the query failed: {query.exception()}")

        progress = [json.loads(p.json) for p in query.recentProgress]
        # Records from the offsets, not numInputRows: Spark reads the source once per branch
        # of the union (counts and dead letters), so numInputRows is twice the records.
        records = sum(end - begin for _, begin, end, _ in offset_ranges(progress, args.topic))
        # Malformed records, counted as they pass (observe() puts them in each batch's progress).
        dead_letters = sum(int(p.get("observedMetrics", {}).get("input", {}).get("malformed") or 0) for p in progress)
        summary = {
            "engine": "spark",
            "spark": spark.version,
            "trigger": args.trigger,
            "max_offsets_per_trigger": args.max_offsets_per_trigger,
            "shuffle_partitions": int(spark.conf.get("spark.sql.shuffle.partitions")),
            "records": records,
            "rows_read": sum(p["numInputRows"] for p in progress),
            "dead_letters": dead_letters,
            "seconds": round(seconds, 3),
            "rows_per_s": round(records / seconds, 1) if seconds > 0 else None,
            "batches": len(progress),
            "data_batches": sum(1 for p in progress if p["numInputRows"] > 0),
        }
        if args.latency:
            summary["latency_ms"] = measure_latency(spark, args, progress, query_start_ms)
        print(json.dumps(summary), flush=True)
    finally:
        spark.stop()
        if own_checkpoint:
            shutil.rmtree(args.checkpoint, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
