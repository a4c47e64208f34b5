#!/usr/bin/env bash
# Starts the three-node KRaft cluster that the failover tests share (replication factor 3,
# min.insync.replicas 2), on free ports, and writes their 200,000-call sample beside it.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
dir=${SFCRIMED_CLUSTER_DIR:?}
fixture_start "$dir" 3
"$BUILD_DIR/daemon/sfcrimed" sample --records 200000 --seed 21 --out "$dir/calls.json"
pass "three-node cluster at $(<"$dir/bootstrap"); sample of 200,000 calls"
