#!/usr/bin/env bash
# sfcrimed on a secured cluster (the suite's one-node SASL_SSL broker: SCRAM-SHA-512 over
# TLS, ACLs enforced), with exactly the ACLs `scripts/kafka.sh grant` gives it (those of
# docs/security.md): the ingest and the pipeline drain a sample exactly; `sfcrimed stats`
# and `sfcrimed consume` read it with the same --config. Then what goes wrong, each with
# its message and exit status, in bounded time: no TLS, a wrong password, an unknown CA,
# a missing key file, and one ACL missing (the transactional ids).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
data=${SFCRIMED_SECURE_BROKER_DIR:?}/data
bootstrap=$(<"$SFCRIMED_SECURE_BROKER_DIR/bootstrap")
client=$data/client.ini
sfcrimed=$BUILD_DIR/daemon/sfcrimed
topic=secure-$$-$RANDOM
group=g-$topic

assert_status 0 "scripts/kafka.sh grant" "$KAFKA_SH" grant --data-dir "$data" --topic "$topic" --group "$group"
"$sfcrimed" sample --records 20000 --seed 17 --out "$SCRATCH/calls.json"

# --- the ingest and the pipeline over SASL_SSL, least privilege: exact.
FAIL_LOG=$SCRATCH/.stderr  # the daemon's, as assert_status keeps it
assert_status 0 "ingest and pipeline --drain over SASL_SSL" "$sfcrimed" --config "$client" --kafka.topic "$topic" \
  --kafka.partitions 3 --pipeline.group "$group" --ingest.file "$SCRATCH/calls.json" --metrics.listen "" --drain
assert_contains "$(tail -n 1 <<<"$stdout")" '"pipeline":{"consumed":20000,' "the drain's summary"
expect_exact_stats "$bootstrap" "$topic" "$SCRATCH/calls.json" --config "$client"
pass "ingest and pipeline over SASL_SSL with the documented ACLs alone: every count exact"
FAIL_LOG=

assert_status 0 "sfcrimed consume --config" "$sfcrimed" consume --config "$client" --topic "$topic" \
  --group "$group.consume" --from-beginning --max-messages 5 --timeout 60
[[ $(wc -l <<<"$stdout") -eq 5 ]] || fail "sfcrimed consume printed:"$'\n'"$stdout"
pass "sfcrimed consume reads the calls with the daemon's --config"

# --- bad input: a clear message and exit 69 in bounded time, never a hang.
# expect_refusal WHAT STATUS NEEDLE COMMAND...: exits STATUS within 150 s, saying NEEDLE.
expect_refusal() {
  local what=$1 status=$2 needle=$3 started=$SECONDS
  shift 3
  assert_status "$status" "$what" timeout 150 "$@"
  assert_contains "$output" "$needle" "$what"
  pass "$what: exit $status after $((SECONDS - started)) s: $(grep -m 1 -F -- "$needle" <<<"$output" | cut -c 1-300)"
}
pipeline_only=(--kafka.topic "$topic" --pipeline.group "$group" --ingest.enabled false --metrics.listen "" --drain)

expect_refusal "a plaintext client at the TLS listener" 69 "check [client] security.protocol" \
  "$sfcrimed" --kafka.bootstrap "$bootstrap" "${pipeline_only[@]}"

install -m 600 /dev/null "$SCRATCH/wrong-password.ini"
printf '[client]\nsasl.password = not-the-password\n' >"$SCRATCH/wrong-password.ini"
expect_refusal "a wrong password" 69 "Kafka refused sfcrimed's credentials" \
  "$sfcrimed" --config "$client" --config "$SCRATCH/wrong-password.ini" "${pipeline_only[@]}"

openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=another-ca -keyout "$SCRATCH/other-ca.key" \
  -out "$SCRATCH/other-ca.crt" 2>/dev/null
expect_refusal "a CA that did not sign the brokers' certificates" 69 "check [client] ssl.ca.location" \
  "$sfcrimed" --config "$client" --client.ssl.ca.location="$SCRATCH/other-ca.crt" "${pipeline_only[@]}"

expect_refusal "a key file that is not there" 78 "(--client.ssl.key.location): cannot read '$SCRATCH/none.key'" \
  "$sfcrimed" --config "$client" --client.ssl.key.location="$SCRATCH/none.key" "${pipeline_only[@]}" --check-config

expect_refusal "sfcrimed stats with a wrong password" 69 "Kafka refused sfcrimed's credentials" \
  "$sfcrimed" stats --config "$client" --config "$SCRATCH/wrong-password.ini" --topic "$topic" --timeout 120

# --- one ACL missing: the transactional ids of another group, never granted.
other=g2-$topic
admin=$data/admin.properties
bin=$(kafka_home kraft)/bin
for operation in Read Describe; do
  "$bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --command-config "$admin" --add --allow-principal User:sfcrimed \
    --operation "$operation" --group "$other" --resource-pattern-type prefixed >/dev/null
done
expect_refusal "the transactional ids not granted" 69 "grant it Write and Describe on the transactional ids with the prefix" \
  "$sfcrimed" --config "$client" --kafka.topic "$topic" --pipeline.group "$other" --ingest.enabled false \
  --metrics.listen "" --drain
