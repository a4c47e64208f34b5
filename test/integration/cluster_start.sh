#!/usr/bin/env bash
# Starts the three-node KRaft cluster that the failover tests share (replication factor 3,
# min.insync.replicas 2), on free ports, and writes their 200,000-call sample beside it.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
dir=${SFCRIMED_CLUSTER_DIR:?}
[[ ! -d $dir/data ]] || "$KAFKA_SH" stop --data-dir "$dir/data" --timeout 10 || true
rm -rf "$dir"
mkdir -p "$dir"
port=$(free_ports 6)
"$KAFKA_SH" start --brokers 3 --data-dir "$dir/data" --port "$port"
echo "localhost:$port,localhost:$((port + 1)),localhost:$((port + 2))" >"$dir/bootstrap"
"$BUILD_DIR/daemon/sfcrimed" sample --records 200000 --seed 21 --out "$dir/calls.json"
pass "three-node cluster at localhost:$port-$((port + 2)); sample of 200,000 calls"
