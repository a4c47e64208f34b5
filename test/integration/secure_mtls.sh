#!/usr/bin/env bash
# sfcrimed on three nodes that take only mutual TLS (scripts/kafka.sh start --security ssl
# --brokers 3: every listener TLS, clients known by their certificate's CN, ACLs
# enforced), with the ACLs `grant` gives: the ingest and the pipeline drain a sample
# exactly over the replicated topics, and `sfcrimed stats` reads it back with the same
# --config. A client certificate that has expired is refused with exit 69, saying so.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
data=$SCRATCH/cluster
port=$(free_ports 6)
assert_status 0 "scripts/kafka.sh start --security ssl --brokers 3" "$KAFKA_SH" start --security ssl --brokers 3 \
  --data-dir "$data" --port "$port"
client=$data/client.ini
bootstrap=localhost:$port
sfcrimed=$BUILD_DIR/daemon/sfcrimed
topic=mtls-calls
group=mtls
assert_status 0 "scripts/kafka.sh grant" "$KAFKA_SH" grant --data-dir "$data" --topic "$topic" --group "$group"

"$sfcrimed" sample --records 20000 --seed 23 --out "$SCRATCH/calls.json"
FAIL_LOG=$SCRATCH/.stderr  # the daemon's, as assert_status keeps it
assert_status 0 "ingest and pipeline --drain over mutual TLS" "$sfcrimed" --config "$client" --kafka.topic "$topic" \
  --kafka.partitions 6 --pipeline.group "$group" --pipeline.threads 3 --ingest.file "$SCRATCH/calls.json" \
  --metrics.listen "" --drain
assert_contains "$(tail -n 1 <<<"$stdout")" '"pipeline":{"consumed":20000,' "the drain's summary"
expect_exact_stats "$bootstrap" "$topic" "$SCRATCH/calls.json" --config "$client"
replicas=$("$(kafka_home kraft)/bin/kafka-topics.sh" --bootstrap-server "localhost:$port" --command-config \
  "$data/admin.properties" --describe --topic "$topic.state" | grep -c 'Replicas: [0-9],[0-9],[0-9]' || true)
[[ $replicas -eq 6 ]] || fail "the state topic's partitions with 3 replicas: $replicas of 6"
pass "ingest and pipeline over mutual TLS on three nodes, the documented ACLs alone: every count exact"
FAIL_LOG=

# A certificate of the cluster's own CA, for sfcrimed's user, whose time is over.
tls=$data/tls
mkdir -p "$SCRATCH/ca"
touch "$SCRATCH/ca/index.txt"
echo 1000 >"$SCRATCH/ca/serial"
cat >"$SCRATCH/ca/ca.cnf" <<EOF
[ca]
default_ca = expired
[expired]
database = $SCRATCH/ca/index.txt
new_certs_dir = $SCRATCH/ca
serial = $SCRATCH/ca/serial
default_md = sha256
policy = anything
[anything]
commonName = supplied
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=sfcrimed \
  -keyout "$SCRATCH/expired.key" -out "$SCRATCH/expired.csr" 2>/dev/null
openssl ca -batch -config "$SCRATCH/ca/ca.cnf" -cert "$tls/ca.crt" -keyfile "$tls/ca.key" -in "$SCRATCH/expired.csr" \
  -out "$SCRATCH/expired.crt" -startdate 20200101000000Z -enddate 20200201000000Z -notext 2>/dev/null ||
  fail "openssl ca could not make the expired certificate"
started=$SECONDS
assert_status 69 "an expired client certificate" timeout 150 "$sfcrimed" --config "$client" \
  --client.ssl.certificate.location="$SCRATCH/expired.crt" --client.ssl.key.location="$SCRATCH/expired.key" \
  --kafka.topic "$topic" --pipeline.group "$group" --ingest.enabled false --metrics.listen "" --drain
assert_contains "$output" "giving up: " "an expired client certificate"
assert_contains "$output" "did not accept sfcrimed's client certificate" "an expired client certificate"
pass "an expired client certificate: exit 69 after $((SECONDS - started)) s: $(grep -m 1 -F 'giving up: ' <<<"$output" | cut -c 1-300)"

assert_status 0 "scripts/kafka.sh stop" "$KAFKA_SH" stop --data-dir "$data"
assert_no_process_left "$data"
pass "stopped, nothing left running"
