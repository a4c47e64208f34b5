#!/usr/bin/env bash
# The one launcher of a Kafka home that scripts/setup.sh assembles under .cache/kafka/.
#
# Installed as <home>/bin/kafka-run-class.sh; every other <home>/bin/*.sh is a symlink
# to it, and the name it was called by picks the Java main class, so the commands
# behave as Kafka users know them:
#   kafka-run-class.sh CLASS [ARGS...]       run any main class on the home's jars
#   kafka-server-start.sh [-daemon] server.properties [--override key=value ...]
#   kafka-topics.sh --bootstrap-server localhost:9092 --list
#   ...
# Environment, as in the Kafka distribution: JAVA_HOME, KAFKA_HEAP_OPTS, KAFKA_OPTS,
# KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS, LOG_DIR (server logs; default <home>/logs).
set -euo pipefail

bin_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
home=$(dirname "$bin_dir")
name=$(basename "$0")
kafka_version=$(cat "$home/VERSION")

die() {
  echo "$name: $*" >&2
  exit 1
}

java=java
[[ -n ${JAVA_HOME:-} ]] && java=$JAVA_HOME/bin/java
command -v "$java" >/dev/null 2>&1 || die "no Java found (looked for '$java'); install OpenJDK 17 or set JAVA_HOME"

# Kafka 4 logs through Log4j 2, Kafka 3.x and ZooKeeper through reload4j (Log4j 1 API).
if compgen -G "$home/libs/log4j-core-*.jar" >/dev/null; then
  log_config() { echo "-Dlog4j2.configurationFile=$home/config/$1-log4j2.properties"; }
else
  log_config() { echo "-Dlog4j.configuration=file:$home/config/$1-log4j.properties"; }
fi

# Main classes that moved between 3.x and 4.x are listed as "4.x-class 3.x-class".
role=tool
case "$name" in
  kafka-run-class.sh)
    [[ $# -ge 1 ]] || die "usage: $name CLASS [ARGS...]"
    main=$1
    shift
    ;;
  kafka-server-start.sh) main=kafka.Kafka role=server ;;
  zookeeper-server-start.sh) main=org.apache.zookeeper.server.quorum.QuorumPeerMain role=server ;;
  kafka-storage.sh) main=kafka.tools.StorageTool ;;
  kafka-topics.sh) main=org.apache.kafka.tools.TopicCommand ;;
  kafka-console-producer.sh) main="org.apache.kafka.tools.ConsoleProducer kafka.tools.ConsoleProducer" ;;
  kafka-console-consumer.sh) main=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  kafka-producer-perf-test.sh) main=org.apache.kafka.tools.ProducerPerformance ;;
  kafka-consumer-perf-test.sh) main=org.apache.kafka.tools.ConsumerPerformance ;;
  kafka-consumer-groups.sh) main=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  kafka-get-offsets.sh) main=org.apache.kafka.tools.GetOffsetShell ;;
  kafka-transactions.sh) main=org.apache.kafka.tools.TransactionsCommand ;;
  kafka-acls.sh) main="org.apache.kafka.tools.AclCommand kafka.admin.AclCommand" ;;
  kafka-broker-api-versions.sh) main="org.apache.kafka.tools.BrokerApiVersionsCommand kafka.admin.BrokerApiVersionsCommand" ;;
  kafka-server-stop.sh | zookeeper-server-stop.sh)
    # Stop every server of this home (as Kafka's own stop scripts do, by command line).
    pattern=kafka.Kafka
    [[ $name == zookeeper-* ]] && pattern=QuorumPeerMain
    pids=$(pgrep -f -- "$home/libs.* $pattern" || true)
    [[ -n $pids ]] || die "no server of $home is running"
    # shellcheck disable=SC2086 # one pid per word
    kill -TERM $pids
    exit 0
    ;;
  *) die "unknown launcher name (add it to $home/bin/kafka-run-class.sh)" ;;
esac
read -r main_4 main_3 <<<"$main"
main=$main_4
[[ $kafka_version == 4.* || -z ${main_3:-} ]] || main=$main_3

daemon=false
if [[ $role == server ]]; then
  if [[ ${1:-} == -daemon ]]; then
    daemon=true
    shift
  fi
  [[ $# -ge 1 ]] || die "usage: $name [-daemon] FILE.properties [--override key=value ...]"
  [[ -r $1 ]] || die "cannot read the configuration file '$1'"
  heap=${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}
  perf=${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true}
  log4j=${KAFKA_LOG4J_OPTS:-$(log_config server)}
else
  # Short-lived tools: small heap, quick start (C1 only), warnings only on the console.
  heap=${KAFKA_HEAP_OPTS:--Xmx512m}
  perf=${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true}
  log4j=${KAFKA_LOG4J_OPTS:-$(log_config tools)}
fi
log_dir=${LOG_DIR:-$home/logs}
mkdir -p "$log_dir"

# shellcheck disable=SC2206 # option strings are word lists, as in Kafka's scripts
cmd=("$java" $heap $perf "-Dkafka.logs.dir=$log_dir" $log4j ${KAFKA_OPTS:-} -cp "$home/libs/*" "$main" "$@")
if $daemon; then
  nohup "${cmd[@]}" >"$log_dir/${name%.sh}.out" 2>&1 </dev/null &
  exit 0
fi
exec "${cmd[@]}"
