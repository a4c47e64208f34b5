#!/usr/bin/env bash
# Starts the one-node SASL_SSL cluster (SCRAM-SHA-512 over TLS, ACLs enforced) that the
# "secure_broker" tests of this ctest run share, on free ports: its bootstrap address in
# $SFCRIMED_SECURE_BROKER_DIR/bootstrap, the clients' files (client.ini, admin.properties,
# guest.ini, ...) in $SFCRIMED_SECURE_BROKER_DIR/data. sfcrimed's user has no ACLs: each
# test grants what it needs (scripts/kafka.sh grant --data-dir ... --topic T --group G).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
fixture_start "${SFCRIMED_SECURE_BROKER_DIR:?}" 1 sasl_ssl
pass "secure broker at $(<"$SFCRIMED_SECURE_BROKER_DIR/bootstrap"), clients' files in $SFCRIMED_SECURE_BROKER_DIR/data"
