#!/usr/bin/env bash
# The project's librdkafka client against the shared broker: every message acknowledged
# and read back intact. Runs in every build, so the sanitizer builds check the client too.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
cpp_roundtrip "$bootstrap" "roundtrip-$$-$RANDOM" 2000
