#!/usr/bin/env bash
# Stops the shared broker of this ctest run; nothing may be left running.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
dir=${SFCRIMED_SHARED_BROKER_DIR:?}
"$KAFKA_SH" stop --data-dir "$dir/data"
assert_no_process_left "$dir/data"
rm -rf "$dir"
pass "shared broker stopped"
