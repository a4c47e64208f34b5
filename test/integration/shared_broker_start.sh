#!/usr/bin/env bash
# Starts the one KRaft broker that the "broker" tests of this ctest run share, on free
# ports, and records its bootstrap address in $SFCRIMED_SHARED_BROKER_DIR/bootstrap.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
fixture_start "${SFCRIMED_SHARED_BROKER_DIR:?}" 1
pass "shared broker at $(<"$SFCRIMED_SHARED_BROKER_DIR/bootstrap")"
