#!/usr/bin/env bash
# Stops the failover tests' cluster; nothing may be left running.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
dir=${SFCRIMED_CLUSTER_DIR:?}
"$KAFKA_SH" stop --data-dir "$dir/data"
assert_no_process_left "$dir/data"
rm -rf "$dir"
pass "three-node cluster stopped"
