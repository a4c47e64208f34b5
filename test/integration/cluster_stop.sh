#!/usr/bin/env bash
# Stops the failover tests' cluster; nothing may be left running.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
fixture_stop "${SFCRIMED_CLUSTER_DIR:?}"
pass "three-node cluster stopped"
