#!/usr/bin/env bash
# Starts the one KRaft broker that the "broker" tests of this ctest run share, on free
# ports, and records its bootstrap address in $SFCRIMED_SHARED_BROKER_DIR/bootstrap.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
dir=${SFCRIMED_SHARED_BROKER_DIR:?}

# A run that died may have left one behind.
[[ ! -d $dir/data ]] || "$KAFKA_SH" stop --data-dir "$dir/data" --timeout 10 || true
rm -rf "$dir"
mkdir -p "$dir"
port=$(free_ports 2)
"$KAFKA_SH" start --data-dir "$dir/data" --port "$port"
echo "localhost:$port" >"$dir/bootstrap"
pass "shared broker at localhost:$port"
