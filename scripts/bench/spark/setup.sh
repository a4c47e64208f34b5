#!/usr/bin/env bash
# Installs the Spark baseline's tools, once; a second run only checks and prints where they are.
#
#   .cache/spark-venv/   a Python virtual environment with PySpark from PyPI (which brings
#                        Spark itself: spark-submit and its jars)
#   .cache/spark-jars/   the Kafka connector for Structured Streaming and its dependencies
#                        from Maven Central (scripts/bench/spark/pom.xml), so that runs
#                        need no network
#
# Both follow spark.version in scripts/bench/spark/pom.xml, the one place it is pinned:
# PySpark and the connector must be the same Spark release.
#
# Usage: scripts/bench/spark/setup.sh [--quiet]
#   --quiet  print nothing but errors
# Needs python3 (with venv), Maven and Java 17 or newer (Spark 4's minimum).
set -euo pipefail
# shellcheck source=../../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/common.sh"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

quiet=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quiet) quiet=true && shift ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
note() { $quiet || say "$@"; }

require_java
mkdir -p "$SFCRIMED_CACHE"
command -v mvn >/dev/null || die "Maven not found; install it (apt-get install maven)"

# The venv counts as done only when it holds the pinned PySpark: a version bump in the
# pom replaces it instead of mixing releases.
if [[ $("$SPARK_VENV/bin/python" -c 'import pyspark; print(pyspark.__version__)' 2>/dev/null) != "$SPARK_VERSION" ]]; then
  note "PySpark $SPARK_VERSION: installing into $SPARK_VENV (about 450 MB from PyPI)"
  rm -rf "$SPARK_VENV"
  python3 -m venv "$SPARK_VENV" || die "python3 could not create a virtual environment (apt-get install python3-venv)"
  "$SPARK_VENV/bin/pip" install --quiet --disable-pip-version-check "pyspark==$SPARK_VERSION" >"$SPARK_CACHE_LOG" 2>&1 || {
    tail -n 20 "$SPARK_CACHE_LOG" >&2
    die "pip could not install pyspark==$SPARK_VERSION (above; full log $SPARK_CACHE_LOG); check the network to PyPI"
  }
fi

if [[ ! -f $SPARK_JARS/.complete || $(cat "$SPARK_JARS/.complete") != "$SPARK_VERSION" ]]; then
  note "Spark $SPARK_VERSION Kafka connector: resolving jars from Maven Central into $SPARK_JARS"
  rm -rf "$SPARK_JARS"
  mkdir -p "$SPARK_JARS"
  mvn -B -f "$SPARK_POM" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$SPARK_JARS" >"$SPARK_JARS/maven.log" 2>&1 || {
    tail -n 30 "$SPARK_JARS/maven.log" >&2
    die "Maven could not resolve the connector's jars (above; full log $SPARK_JARS/maven.log); check the network to Maven Central"
  }
  ls "$SPARK_JARS"/spark-sql-kafka-0-10_*.jar >/dev/null 2>&1 || die "Maven finished but no connector jar is in $SPARK_JARS"
  echo "$SPARK_VERSION" >"$SPARK_JARS/.complete"
fi

note "Spark $SPARK_VERSION: spark-submit $SPARK_SUBMIT"
note "Kafka connector jars: $(spark_jars)"
