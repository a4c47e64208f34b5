# Where the Spark baseline's tools live, shared by setup.sh and run.sh. Source it after
# scripts/lib/common.sh, don't run it.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this

SPARK_DIR=$SFCRIMED_ROOT/scripts/bench/spark
SPARK_POM=$SPARK_DIR/pom.xml
SPARK_VERSION=$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' "$SPARK_POM")
SPARK_VENV=$SFCRIMED_CACHE/spark-venv
SPARK_JARS=$SFCRIMED_CACHE/spark-jars
SPARK_CACHE_LOG=$SFCRIMED_CACHE/spark-venv.pip.log
# The venv's spark-submit: PySpark's wheel carries the launcher and Spark's jars.
SPARK_SUBMIT=$SPARK_VENV/bin/spark-submit

# spark_jars: the connector's jars, comma-separated, as --jars takes them.
spark_jars() {
  local jars=("$SPARK_JARS"/*.jar)
  local IFS=,
  echo "${jars[*]}"
}
