#!/usr/bin/env bash
# Stops the secured broker of this ctest run; nothing may be left running.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
fixture_stop "${SFCRIMED_SECURE_BROKER_DIR:?}"
pass "secure broker stopped"
