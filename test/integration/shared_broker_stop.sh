#!/usr/bin/env bash
# Stops the shared broker of this ctest run; nothing may be left running.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
fixture_stop "${SFCRIMED_SHARED_BROKER_DIR:?}"
pass "shared broker stopped"
