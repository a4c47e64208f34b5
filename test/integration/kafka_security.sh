#!/usr/bin/env bash
# scripts/kafka.sh start --security, used with Kafka's own tools as their users do: a
# three-node SASL_SSL cluster (SCRAM-SHA-512 over TLS) and a one-node mutual-TLS one. Each
# listener speaks TLS alone; sfcrimed's user may do nothing until `grant`, then round-trips
# records; the guest user, a plaintext client and a client without a certificate are
# refused; a restart keeps the security, another one or the ZooKeeper mode is refused.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

bin=$(kafka_home kraft)/bin

# bounded WHAT COMMAND...: runs COMMAND, which must end within 60 s (a refused client
# must not hang); its output is then in $output, its exit status in $status.
bounded() {
  local what=$1
  shift
  status=0
  output=$(timeout 60 "$@" 2>&1) || status=$?
  [[ $status -ne 124 ]] || fail "$what: still running after 60 s; output:"$'\n'"$output"
}

# expect_failure WHAT NEEDLE COMMAND...: COMMAND fails within 60 s, saying NEEDLE.
expect_failure() {
  local what=$1 needle=$2
  shift 2
  bounded "$what" "$@"
  [[ $status -ne 0 ]] || fail "$what: succeeded; output:"$'\n'"$output"
  assert_contains "$output" "$needle" "$what"
}

# roundtrip BOOTSTRAP CONFIG TOPIC GROUP: two keyed lines through the console producer,
# then read back by the console consumer in GROUP, both with --command-config CONFIG.
roundtrip() {
  local bootstrap=$1 config=$2 topic=$3 group=$4 read
  printf 'k1:first call\nk2:second call\n' |
    "$bin/kafka-console-producer.sh" --bootstrap-server "$bootstrap" --command-config "$config" --topic "$topic" \
      --reader-property parse.key=true --reader-property key.separator=: 2>"$SCRATCH/producer.log" ||
    fail "the console producer failed:"$'\n'"$(cat "$SCRATCH/producer.log")"
  read=$("$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --command-config "$config" --topic "$topic" \
    --group "$group" --from-beginning --max-messages 2 --timeout-ms 60000 --formatter-property print.key=true \
    2>"$SCRATCH/consumer.log" | sort)
  [[ $read == $'k1\tfirst call\nk2\tsecond call' ]] ||
    fail "the console consumer read back:"$'\n'"$read"$'\n'"$(cat "$SCRATCH/consumer.log")"
  pass "console producer -> consumer round trip on $bootstrap with ${config##*/}"
}

# assert_tls_only DATA PORT...: the cluster's brokers listen on exactly PORT..., and each
# one completes a TLS handshake with DATA's CA and the brokers' certificate (CN=broker,
# valid for localhost). openssl shows the admin's certificate: a port that requires one
# may otherwise end the session before openssl is done.
assert_tls_only() {
  local data=$1 file pid listening=
  shift
  for file in "$data"/node-*/kafka.pid; do
    pid=$(<"$file")
    listening+=$(ss -Hltnp | awk -v p="pid=$pid," 'index($0, p) { n = split($4, a, ":"); print a[n] }')$'\n'
  done
  [[ $(sort -n <<<"${listening%$'\n'}") == $(printf '%s\n' "$@" | sort -n) ]] ||
    fail "the brokers listen on:"$'\n'"$listening"$'\n'"expected exactly: $*"
  local port handshake
  for port in "$@"; do
    handshake=$(timeout 20 openssl s_client -connect "localhost:$port" -CAfile "$data/tls/ca.crt" \
      -cert "$data/tls/admin.crt" -key "$data/tls/admin.key" -verify_return_error -verify_hostname localhost </dev/null 2>&1) || fail "no TLS on port $port:"$'\n'"$handshake"
    assert_contains "$handshake" "Verify return code: 0 (ok)" "TLS on port $port"
    assert_contains "$handshake" "subject=CN = broker" "TLS on port $port"
  done
  pass "every port the brokers listen on ($*) speaks TLS with the cluster's certificate"
}

# assert_owner_only FILE...: mode 0600.
assert_owner_only() {
  local file
  for file in "$@"; do
    [[ $(stat -c %a "$file") == 600 ]] || fail "$file has mode $(stat -c %a "$file"), expected 600"
  done
}

# ---------------------------------------------------------------- 1. SASL_SSL, three nodes
data=$SCRATCH/sasl
port=$(free_ports 6)
bootstrap=localhost:$port,localhost:$((port + 1)),localhost:$((port + 2))
assert_status 0 "start --security sasl_ssl --brokers 3" "$KAFKA_SH" start --security sasl_ssl --brokers 3 \
  --data-dir "$data" --port "$port"
assert_contains "$output" "(kraft, 3 broker(s), sasl_ssl) is up: bootstrap localhost:$port-$((port + 2))" "start"
assert_contains "$output" "sfcrimed --config $data/client.ini" "start"
assert_contains "$(<"$data/cluster.env")" "state_security=sasl_ssl" "cluster.env"

assert_owner_only "$data"/{client.ini,guest.ini,client.properties,admin.properties,guest.properties,scram-passwords} \
  "$data"/tls/*.key
password=$(sed -n 's/^sfcrimed=//p' "$data/scram-passwords")
[[ $password =~ ^[0-9a-f]{48}$ ]] || fail "sfcrimed's password is '$password'"
ini=$(<"$data/client.ini")
for line in "[kafka]" "bootstrap = $bootstrap" "[client]" "security.protocol = SASL_SSL" \
  "ssl.ca.location = $data/tls/ca.crt" "sasl.mechanism = SCRAM-SHA-512" "sasl.username = sfcrimed" \
  "sasl.password = $password"; do
  grep -qxF -- "$line" <<<"$ini" || fail "client.ini has no line '$line':"$'\n'"$ini"
done
assert_contains "$(<"$data/guest.ini")" "sasl.username = guest" "guest.ini"
pass "client.ini, guest.ini and the tools' properties, mode 0600"

openssl verify -CAfile "$data/tls/ca.crt" "$data"/tls/{broker,admin,sfcrimed,guest}.crt >/dev/null ||
  fail "the certificates do not verify against the cluster's CA"
assert_contains "$(openssl x509 -in "$data/tls/broker.crt" -noout -ext subjectAltName)" \
  "DNS:localhost, IP Address:127.0.0.1" "the brokers' certificate"
assert_contains "$(openssl x509 -in "$data/tls/sfcrimed.crt" -noout -subject)" "subject=CN = sfcrimed" "sfcrimed's certificate"
for certificate in ca broker sfcrimed; do
  if ! openssl x509 -in "$data/tls/$certificate.crt" -noout -checkend $((824 * 86400)) >/dev/null ||
    openssl x509 -in "$data/tls/$certificate.crt" -noout -checkend $((826 * 86400)) >/dev/null; then
    fail "$certificate.crt is not valid for 825 days: $(openssl x509 -in "$data/tls/$certificate.crt" -noout -enddate)"
  fi
done
pass "a CA, the brokers' certificate (localhost, 127.0.0.1) and the users', valid 825 days"

assert_tls_only "$data" "$port" $((port + 1)) $((port + 2)) $((port + 3)) $((port + 4)) $((port + 5))

# sfcrimed's user starts with no ACL at all; grant gives it its topics, by prefix.
expect_failure "sfcrimed creating a topic before grant" "Authorization failed" \
  "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --command-config "$data/client.properties" \
  --create --topic sec.calls
pass "sfcrimed's user may not create a topic before grant"
assert_status 0 "grant" "$KAFKA_SH" grant --data-dir "$data" --topic sec.calls --group sec
assert_contains "$stdout" "kafka-acls.sh --bootstrap-server $bootstrap --command-config $data/admin.properties --add --allow-principal User:sfcrimed --operation Create --operation Describe --operation DescribeConfigs --operation Read --operation Write --topic sec.calls --resource-pattern-type prefixed" "grant"
assert_contains "$stdout" "--transactional-id sec.sec.calls. --resource-pattern-type prefixed" "grant"
assert_contains "$stdout" "--operation IdempotentWrite --cluster" "grant"
[[ $(grep -c '/kafka-acls.sh ' <<<"$stdout") -eq 5 ]] || fail "grant ran other than 5 kafka-acls.sh commands:"$'\n'"$stdout"
acls=$("$bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --command-config "$data/admin.properties" --list \
  --principal User:sfcrimed 2>&1)
assert_contains "$acls" "name=sec.calls.ingest, patternType=LITERAL" "the ACLs"
assert_contains "$acls" "name=sec, patternType=PREFIXED" "the ACLs"
pass "grant printed and added the 5 kafka-acls.sh commands"

assert_status 0 "sfcrimed creating its topic after grant" "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" \
  --command-config "$data/client.properties" --create --topic sec.calls --partitions 2
assert_status 0 "describe" "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" \
  --command-config "$data/client.properties" --describe --topic sec.calls
assert_contains "$stdout" "ReplicationFactor: 3" "the new topic"
pass "sfcrimed's user created sec.calls, with 3 replicas"
roundtrip "$bootstrap" "$data/client.properties" sec.calls sec.console

# (The console consumer logs the refusal, then exits 0.)
bounded "the guest user reading" \
  "$bin/kafka-console-consumer.sh" --bootstrap-server "$bootstrap" --command-config "$data/guest.properties" \
  --topic sec.calls --group sec.guest --from-beginning --max-messages 1 --timeout-ms 30000
assert_contains "$output" "TopicAuthorizationException: Not authorized to access topics: [sec.calls]" "the guest user reading"
assert_contains "$output" "Processed a total of 0 messages" "the guest user reading"
pass "the guest user is refused the topic"

# A plaintext client gets nothing from the TLS listener (Kafka's Java client gives up).
expect_failure "a plaintext client" "" "$bin/kafka-topics.sh" --bootstrap-server "localhost:$port" --list
[[ $output != *sec.calls* ]] || fail "a plaintext client listed the topics:"$'\n'"$output"
pass "a plaintext client is refused"

assert_status 0 "stop" "$KAFKA_SH" stop --data-dir "$data"
assert_contains "$output" "stopped 3 broker(s)" "stop"
assert_no_process_left "$data"
pass "the SASL_SSL cluster stopped, nothing left running"

# ---------------------------------------------------------------- 3a. another security refused
assert_status 1 "--security ssl on a sasl_ssl data directory" "$KAFKA_SH" start --security ssl --data-dir "$data"
assert_contains "$output" "$data holds a cluster with security sasl_ssl, not ssl; start it without --security (or with --security sasl_ssl)" "another security"
assert_no_process_left "$data"
pass "--security ssl is refused on a sasl_ssl data directory"

# ---------------------------------------------------------------- 2. mutual TLS, one node
data=$SCRATCH/mtls
port=$(free_ports 2)
assert_status 0 "start --security ssl" "$KAFKA_SH" start --security ssl --data-dir "$data" --port "$port"
assert_contains "$output" "(kraft, 1 broker(s), ssl) is up: bootstrap localhost:$port;" "start"
ini=$(<"$data/client.ini")
for line in "bootstrap = localhost:$port" "security.protocol = SSL" "ssl.ca.location = $data/tls/ca.crt" \
  "ssl.certificate.location = $data/tls/sfcrimed.crt" "ssl.key.location = $data/tls/sfcrimed.key"; do
  grep -qxF -- "$line" <<<"$ini" || fail "client.ini has no line '$line':"$'\n'"$ini"
done
[[ $ini != *sasl* && ! -e $data/scram-passwords ]] || fail "a mutual-TLS cluster got SASL settings:"$'\n'"$ini"
pass "client.ini names sfcrimed's certificate and key"
assert_tls_only "$data" "$port" $((port + 1))

assert_status 0 "grant" "$KAFKA_SH" grant --data-dir "$data" --topic mtls --group mtls
assert_status 0 "create the topic" "$bin/kafka-topics.sh" --bootstrap-server "localhost:$port" \
  --command-config "$data/client.properties" --create --topic mtls
roundtrip "localhost:$port" "$data/client.properties" mtls mtls.console

grep -v '^ssl.keystore' "$data/client.properties" >"$SCRATCH/no-certificate.properties"
expect_failure "a client without a certificate" "SslAuthenticationException" \
  "$bin/kafka-topics.sh" --bootstrap-server "localhost:$port" --command-config "$SCRATCH/no-certificate.properties" --list
pass "a client without a certificate is refused"
# The certificate's CN is the user: guest's certificate does not get sfcrimed's ACLs.
bounded "the guest certificate reading" \
  "$bin/kafka-console-consumer.sh" --bootstrap-server "localhost:$port" --command-config "$data/guest.properties" \
  --topic mtls --group mtls.guest --from-beginning --max-messages 1 --timeout-ms 30000
assert_contains "$output" "TopicAuthorizationException: Not authorized to access topics: [mtls]" "the guest certificate"
pass "the guest certificate is refused the topic"

# ---------------------------------------------------------------- 3b. a restart keeps it
assert_status 0 "stop" "$KAFKA_SH" stop --data-dir "$data"
assert_no_process_left "$data"
cp "$data/tls/ca.crt" "$SCRATCH/ca-before.crt"
assert_status 0 "restart without --security" "$KAFKA_SH" start --data-dir "$data"
assert_contains "$output" "(kraft, 1 broker(s), ssl) is up" "restart"
cmp -s "$data/tls/ca.crt" "$SCRATCH/ca-before.crt" || fail "the restart made a new CA"
read=$("$bin/kafka-console-consumer.sh" --bootstrap-server "localhost:$port" --command-config "$data/client.properties" \
  --topic mtls --group mtls.again --from-beginning --max-messages 2 --timeout-ms 60000 2>/dev/null | sort)
[[ $read == $'first call\nsecond call' ]] || fail "after the restart the topic holds:"$'\n'"$read"
assert_tls_only "$data" "$port" $((port + 1))
pass "a restart keeps the mutual TLS, its certificates and the data"
assert_status 0 "stop" "$KAFKA_SH" stop --data-dir "$data"
assert_no_process_left "$data"

# ---------------------------------------------------------------- 3c. bad requests
assert_status 1 "--security with --mode zookeeper" "$KAFKA_SH" start --security sasl_ssl --mode zookeeper \
  --data-dir "$SCRATCH/zk"
assert_contains "$output" "--security sasl_ssl needs KRaft mode" "zookeeper"
[[ ! -e $SCRATCH/zk ]] || fail "a refused start made $SCRATCH/zk"
assert_status 1 "bad --security" "$KAFKA_SH" start --security tls --data-dir "$SCRATCH/bad"
assert_contains "$output" "--security must be plaintext, sasl_ssl or ssl, not 'tls'" "bad --security"
assert_status 1 "grant without a cluster" "$KAFKA_SH" grant --data-dir "$SCRATCH/none"
assert_contains "$output" "no cluster in $SCRATCH/none" "grant without a cluster"
assert_status 1 "grant to a stopped cluster" "$KAFKA_SH" grant --data-dir "$data"
assert_contains "$output" "is not running" "grant to a stopped cluster"
pass "--security with ZooKeeper, a bad mode and grant without a running cluster are refused"
