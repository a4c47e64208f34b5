#!/usr/bin/env bash
# A local Kafka cluster for sfcrimed, from the project's own etc/kafka/*.properties, in
# the background, without juggling terminals.
#
# Usage:
#   scripts/kafka.sh start [--mode kraft|zookeeper] [--brokers N] [--port P]
#                          [--controller-port C] [--zk-port Z] [--data-dir DIR] [--timeout S]
#                          [--security plaintext|sasl_ssl|ssl]
#   scripts/kafka.sh stop [--data-dir DIR] [--timeout S]
#   scripts/kafka.sh status [--data-dir DIR]
#   scripts/kafka.sh grant [--data-dir DIR] [--user U] [--topic T] [--group G]
#   scripts/kafka.sh home [--mode kraft|zookeeper]
#
#   start   formats storage when needed, starts the processes and returns once the
#           cluster answers metadata requests (or fails with the end of the broker log).
#           In a DIR whose cluster is partly up it starts the nodes that are not running
#           (a broker that was killed), with the ports, size and security the cluster was
#           made with.
#           kraft (default): Kafka 4.x, each node broker and controller; brokers listen
#           on P..P+N-1 (default 9092), controllers on C..C+N-1 (default P+N).
#           zookeeper: Kafka 3.9.x brokers on P..P+N-1 with one ZooKeeper on Z (2181).
#           With N >= 3 new topics get 3 replicas and min.insync.replicas=2.
#           --security (KRaft only; default plaintext: no TLS, no authentication):
#             sasl_ssl  clients log in with SCRAM-SHA-512 over TLS
#             ssl       clients show a certificate (mutual TLS) whose CN is their user
#           Both put TLS on every listener (the controllers' too, where the nodes show
#           the broker certificate) and enforce ACLs (no ACL: denied). Users: admin
#           (super user), sfcrimed (no ACL until `grant`), guest (never any). Once per
#           DIR: a CA and certificates in DIR/tls/, SCRAM passwords in DIR/scram-passwords.
#           At each start, for clients, in DIR (mode 0600):
#             client.ini         sfcrimed as user sfcrimed: [kafka] bootstrap, [client]
#                                security; sfcrimed --config etc/sfcrimed.ini --config DIR/client.ini
#             client.properties  the same user, for Kafka's tools (--command-config FILE)
#             admin.properties   the super user admin, for Kafka's tools
#             guest.ini, guest.properties   the user guest, for tests of refusals
#   stop    stops what start started in DIR: SIGTERM, then SIGKILL after S seconds (30).
#   status  what runs in DIR, with pids and ports; exit 3 when nothing runs.
#   grant   gives user U (default sfcrimed) of the secured cluster in DIR the least that
#           sfcrimed needs for topic T (default sf.police.calls) and group G (default
#           sfcrimed), with kafka-acls.sh as admin; prints each command it runs. Topics
#           and transactional ids by prefix: T, T.dlq, T.stats, T.state, T.ingest-turn;
#           G and its members' groups; the ingest's group T.ingest; G.T.* transactions.
#   home    the Kafka home (with bin/ and config/) of a mode, for the classic commands:
#           $(scripts/kafka.sh home)/bin/kafka-topics.sh --bootstrap-server localhost:9092 --list
#
# DIR defaults to .run/kafka in the repository. Logs: DIR/node-N/logs/server.log.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  header_help
  exit "${1:-0}"
}

mode=
brokers=
port=
controller_port=
zk_port=
data_dir=$SFCRIMED_ROOT/.run/kafka
timeout=
security=
grant_user=sfcrimed
grant_topic=sf.police.calls
grant_group=sfcrimed
command=${1:-}
[[ -n $command ]] || usage 2
shift

while [[ $# -gt 0 ]]; do
  case "$1" in
    --mode) need_value "$1" $# && mode=$2 && shift 2 ;;
    --brokers) need_value "$1" $# && brokers=$2 && shift 2 ;;
    --port) need_value "$1" $# && port=$2 && shift 2 ;;
    --controller-port) need_value "$1" $# && controller_port=$2 && shift 2 ;;
    --zk-port) need_value "$1" $# && zk_port=$2 && shift 2 ;;
    --data-dir) need_value "$1" $# && data_dir=$2 && shift 2 ;;
    --timeout) need_value "$1" $# && timeout=$2 && shift 2 ;;
    --security) need_value "$1" $# && security=$2 && shift 2 ;;
    --user) need_value "$1" $# && grant_user=$2 && shift 2 ;;
    --topic) need_value "$1" $# && grant_topic=$2 && shift 2 ;;
    --group) need_value "$1" $# && grant_group=$2 && shift 2 ;;
    -h | --help) usage ;;
    *) say "unknown argument '$1'" && usage 2 ;;
  esac
done
[[ -z $mode || $mode == kraft || $mode == zookeeper ]] || die "--mode must be kraft or zookeeper, not '$mode'"
[[ -z $brokers ]] || need_number --brokers "$brokers" 1 9
[[ -z $port ]] || need_number --port "$port" 1 65535
[[ -z $zk_port ]] || need_number --zk-port "$zk_port" 1 65535
[[ -z $controller_port ]] || need_number --controller-port "$controller_port" 1 65535
[[ -z $timeout ]] || need_number --timeout "$timeout" 1 3600
[[ -z $security || $security =~ ^(plaintext|sasl_ssl|ssl)$ ]] ||
  die "--security must be plaintext, sasl_ssl or ssl, not '$security'"
# Names that Kafka takes as topics, and that stay one word in the ACL commands printed.
for name in user topic group; do
  declare -n value=grant_$name
  [[ $value =~ ^[A-Za-z0-9._-]{1,200}$ ]] || die "--$name must be letters, digits, '.', '_' or '-', not '$value'"
done
unset -n value
mkdir -p "$(dirname "$data_dir")"
data_dir=$(cd "$(dirname "$data_dir")" && pwd)/$(basename "$data_dir")
state_file=$data_dir/cluster.env
# A secured cluster's certificates and SCRAM passwords, made once per data directory.
tls_dir=$data_dir/tls
password_file=$data_dir/scram-passwords
# The users of a secured cluster: admin is a super user, sfcrimed gets what `grant`
# gives it, guest never gets anything (for tests of refusals).
secure_users=(admin sfcrimed guest)

# ---------------------------------------------------------------- processes and ports

# owned_pid FILE: the pid in FILE when that process runs and is one of DIR's; a pid file
# naming a dead or foreign process is stale: it is removed, and said so.
owned_pid() {
  local file=$1 pid
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  if [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$data_dir/"; then
    echo "$pid"
    return 0
  fi
  say "removed stale pid file $file (pid '$pid' is not a running process of $data_dir)"
  rm -f "$file"
  return 1
}

pid_files() {
  compgen -G "$data_dir/node-*/kafka.pid" || true
  [[ ! -f $data_dir/zookeeper/zookeeper.pid ]] || echo "$data_dir/zookeeper/zookeeper.pid"
}

require_free_port() {
  local user
  user=$(port_user "$1")
  [[ -z $user ]] || die "port $1 ($2) is already in use by $user; stop that process or choose other ports (--port, --controller-port, --zk-port)"
}

# stop_pids TIMEOUT NAME PID...: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
stop_pids() {
  local wait_s=$1 what=$2
  shift 2
  [[ $# -gt 0 ]] || return 0
  kill -TERM "$@" 2>/dev/null || true
  local deadline=$((SECONDS + wait_s)) pid alive
  while :; do
    alive=()
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    [[ ${#alive[@]} -gt 0 ]] || break
    if ((SECONDS >= deadline)); then
      say "$what did not stop within ${wait_s} s: killing pid ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.3
  done
}

# ---------------------------------------------------------------- configuration

# load_state: the state_* variables of the cluster in DIR; false when there is none.
state_mode='' state_version='' state_brokers='' state_port='' state_controller_port='' state_zk_port='' state_cluster_id=''
state_security=''
load_state() {
  [[ -f $state_file ]] || return 1
  # shellcheck disable=SC1090 # written by write_state below
  source "$state_file"
  # Data directories made before --security existed are plaintext ones.
  state_security=${state_security:-plaintext}
}

write_state() {
  cat >"$state_file" <<EOF
# Written by scripts/kafka.sh start; read by stop and status.
state_mode=$mode
state_version=$(kafka_version "$mode")
state_brokers=$brokers
state_port=$port
state_controller_port=$controller_port
state_zk_port=$zk_port
state_cluster_id=$cluster_id
state_security=$security
EOF
}

# bootstrap_servers: localhost:P,localhost:P+1,... of the cluster's brokers.
bootstrap_servers() {
  local i list=
  for ((i = 0; i < brokers; i++)); do list+="${list:+,}localhost:$((port + i))"; done
  echo "$list"
}

# node_properties NODE: the project's properties file with this node's values appended
# (for a repeated key, the last line wins when Java reads a properties file).
write_node_properties() {
  local node=$1 file=$data_dir/node-$1/server.properties i voters=
  local broker_port=$((port + node - 1)) listener=${security^^}
  mkdir -p "$data_dir/node-$node/data" "$data_dir/node-$node/logs"
  if [[ $mode == kraft ]]; then
    for ((i = 1; i <= brokers; i++)); do voters+="${voters:+,}$i@localhost:$((controller_port + i - 1))"; done
    cat "$SFCRIMED_ROOT/etc/kafka/server.properties" - >"$file" <<EOF

############################# Set by scripts/kafka.sh for node $node #############################
node.id=$node
listeners=$listener://localhost:$broker_port,CONTROLLER://localhost:$((controller_port + node - 1))
advertised.listeners=$listener://localhost:$broker_port
controller.quorum.voters=$voters
log.dirs=$data_dir/node-$node/data
EOF
    # The properties hold the admin's password (sasl_ssl): for the owner's eyes alone.
    [[ $security == plaintext ]] || { security_properties >>"$file" && chmod 600 "$file"; }
  else
    cat "$SFCRIMED_ROOT/etc/kafka/server-zookeeper.properties" - >"$file" <<EOF

############################# Set by scripts/kafka.sh for broker $node #############################
broker.id=$node
listeners=PLAINTEXT://localhost:$broker_port
advertised.listeners=PLAINTEXT://localhost:$broker_port
zookeeper.connect=localhost:$zk_port
log.dirs=$data_dir/node-$node/data
EOF
  fi
  if ((brokers > 1)); then
    local rf=$((brokers < 3 ? brokers : 3))
    local isr=$((rf - 1))
    cat >>"$file" <<EOF
# $brokers brokers: new and internal topics get $rf replicas, $isr of them in sync to accept acks=all.
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
EOF
  fi
}

write_zookeeper_properties() {
  mkdir -p "$data_dir/zookeeper/data" "$data_dir/zookeeper/logs"
  cat "$SFCRIMED_ROOT/etc/kafka/zookeeper.properties" - >"$data_dir/zookeeper/zookeeper.properties" <<EOF

# Set by scripts/kafka.sh
dataDir=$data_dir/zookeeper/data
clientPort=$zk_port
EOF
}

# ---------------------------------------------------------------- security

# openssl_step WHAT ARGS...: runs openssl; its messages go to tls/openssl.log, which a
# failure names.
openssl_step() {
  local what=$1
  shift
  openssl "$@" >>"$tls_dir/openssl.log" 2>&1 ||
    die "openssl failed making $what (see $tls_dir/openssl.log); is openssl installed? remove $tls_dir to start over"
}

# sign_certificate NAME EXTENSIONS: tls/NAME.key and NAME.crt (CN=NAME, signed by the
# CA, with EXTENSIONS), and NAME.pem, key and chain in one file as Kafka's PEM keystores
# take them. EC (P-256) keys: made in milliseconds, where RSA keys take a while.
sign_certificate() {
  local name=$1 extensions=$2
  openssl_step "the key of $name" req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=$name" -keyout "$tls_dir/$name.key" -out "$tls_dir/$name.csr"
  printf '%s\n' "$extensions" >"$tls_dir/$name.ext"
  openssl_step "the certificate of $name" x509 -req -in "$tls_dir/$name.csr" -CA "$tls_dir/ca.crt" \
    -CAkey "$tls_dir/ca.key" -set_serial "0x$(openssl rand -hex 16)" -days 825 -extfile "$tls_dir/$name.ext" \
    -out "$tls_dir/$name.crt"
  cat "$tls_dir/$name.key" "$tls_dir/$name.crt" "$tls_dir/ca.crt" >"$tls_dir/$name.pem"
  rm -f "$tls_dir/$name.csr" "$tls_dir/$name.ext"
}

# make_certificates: a CA of this data directory, the brokers' certificate (one for all
# nodes, valid for localhost) and a client certificate per user, valid 825 days (the
# longest some TLS clients, Apple's, accept). Made again only when tls/ is incomplete.
make_certificates() {
  rm -rf "$tls_dir"
  mkdir -m 700 "$tls_dir"
  openssl_step "the CA" req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=sfcrimed local Kafka CA" -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  local leaf='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature'
  # The brokers connect to each other and to the controllers with it too: clientAuth.
  sign_certificate broker "$leaf
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"
  local user
  for user in "${secure_users[@]}"; do sign_certificate "$user" "$leaf"$'\n'"extendedKeyUsage=clientAuth"; done
  touch "$tls_dir/.complete"
}

# make_passwords: a random SCRAM password per user, kept for the data directory's life
# (the brokers' metadata holds their hashes from the storage format on).
make_passwords() {
  local user
  {
    echo "# SCRAM-SHA-512 passwords of the users of the cluster in $data_dir (scripts/kafka.sh)."
    for user in "${secure_users[@]}"; do echo "$user=$(openssl rand -hex 24)"; done
  } >"$password_file.new"
  mv "$password_file.new" "$password_file"
}

# password_of USER
password_of() {
  sed -n "s/^$1=//p" "$password_file"
}

# jaas_login USER: the SCRAM login of Kafka's Java clients (and of the brokers' own).
jaas_login() {
  echo "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$1\" password=\"$(password_of "$1")\";"
}

# scram_format_arguments: kafka-storage.sh format's arguments that put the users' SCRAM
# credentials into the new cluster's first metadata, so that the brokers can log in to
# each other before anyone could have created a user.
scram_format_arguments() {
  [[ $security == sasl_ssl ]] || return 0
  local user
  for user in "${secure_users[@]}"; do echo "--add-scram"$'\n'"SCRAM-SHA-512=[name=$user,password=$(password_of "$user")]"; done
}

# security_properties: what a node of a secured cluster adds to its properties.
security_properties() {
  local listener=${security^^}
  cat <<EOF

# --security $security: every listener takes TLS alone, and ACLs are enforced.
listener.security.protocol.map=CONTROLLER:SSL,$listener:$listener
inter.broker.listener.name=$listener
ssl.keystore.type=PEM
ssl.keystore.location=$tls_dir/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls_dir/ca.crt
# Controllers ask for a certificate: the nodes show the broker's, and are User:broker.
listener.name.controller.ssl.client.auth=required
# A certificate's user is its CN (CN=sfcrimed is User:sfcrimed, as with SCRAM).
ssl.principal.mapping.rules=RULE:^CN=([^,]+).*\$/\$1/,DEFAULT
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:broker;User:admin
EOF
  if [[ $security == sasl_ssl ]]; then
    cat <<EOF
sasl.enabled.mechanisms=SCRAM-SHA-512
# Brokers replicate to each other as the super user admin.
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$(jaas_login admin)
EOF
  else
    echo "ssl.client.auth=required"
  fi
}

# write_tool_properties USER FILE: USER's login for Kafka's own tools (--command-config).
write_tool_properties() {
  local user=$1 file=$2
  {
    echo "# Kafka's tools as user $user of the $security cluster in $data_dir:"
    echo "#   kafka-topics.sh --bootstrap-server $(bootstrap_servers) --command-config $file --list"
    echo "# Written by scripts/kafka.sh start."
    echo "security.protocol=${security^^}"
    echo "ssl.truststore.type=PEM"
    echo "ssl.truststore.location=$tls_dir/ca.crt"
    if [[ $security == sasl_ssl ]]; then
      echo "sasl.mechanism=SCRAM-SHA-512"
      echo "sasl.jaas.config=$(jaas_login "$user")"
    else
      echo "ssl.keystore.type=PEM"
      echo "ssl.keystore.location=$tls_dir/$user.pem"
    fi
  } >"$file"
  chmod 600 "$file"
}

# write_client_ini USER FILE: sfcrimed's settings for connecting as USER (its ini format).
write_client_ini() {
  local user=$1 file=$2
  {
    echo "# sfcrimed as user $user of the $security cluster in $data_dir (written by"
    echo "# scripts/kafka.sh start). Give it after sfcrimed's own ini (a later --config"
    echo "# overrides an earlier one): sfcrimed --config etc/sfcrimed.ini --config $file"
    if [[ $user == guest ]]; then
      echo "# The user guest has no ACLs: every request but logging in is refused."
    else
      echo "# What $user may do: scripts/kafka.sh grant --data-dir $data_dir --user $user"
    fi
    echo
    echo "[kafka]"
    echo "bootstrap = $(bootstrap_servers)"
    echo
    echo "[client]"
    echo "# librdkafka properties of every Kafka client of sfcrimed."
    echo "security.protocol = ${security^^}"
    echo "ssl.ca.location = $tls_dir/ca.crt"
    if [[ $security == sasl_ssl ]]; then
      echo "sasl.mechanism = SCRAM-SHA-512"
      echo "sasl.username = $user"
      echo "sasl.password = $(password_of "$user")"
    else
      echo "ssl.certificate.location = $tls_dir/$user.crt"
      echo "ssl.key.location = $tls_dir/$user.key"
    fi
  } >"$file"
  chmod 600 "$file"
}

# prepare_security: certificates and passwords (once), and the clients' files (at each
# start, so that they follow this script), all readable by their owner alone.
prepare_security() {
  [[ $security != plaintext ]] || return 0
  local saved_umask
  saved_umask=$(umask)
  umask 077
  chmod 700 "$data_dir"
  [[ -f $tls_dir/.complete ]] || make_certificates
  [[ $security != sasl_ssl || -f $password_file ]] || make_passwords
  write_client_ini sfcrimed "$data_dir/client.ini"
  write_client_ini guest "$data_dir/guest.ini"
  write_tool_properties sfcrimed "$data_dir/client.properties"
  write_tool_properties admin "$data_dir/admin.properties"
  write_tool_properties guest "$data_dir/guest.properties"
  umask "$saved_umask"
}

# admin_config: the arguments that make a Kafka tool the super user admin, when the
# cluster is a secured one.
admin_config() {
  [[ $security == plaintext ]] || printf '%s\n' --command-config "$data_dir/admin.properties"
}

# ---------------------------------------------------------------- start

# fail_start WHAT LOG: prints the end of LOG, stops whatever started, and dies.
fail_start() {
  local what=$1 log=$2
  say "$what; the last lines of $log:"
  tail -n 25 "$log" >&2 2>/dev/null || true
  do_stop 10 >/dev/null 2>&1 || true
  die "Kafka did not start (full logs in $data_dir)"
}

# wait_for_log PID LOG PATTERN WHAT [SKIP]: waits until LOG, past its first SKIP lines,
# matches PATTERN while PID lives.
wait_for_log() {
  local pid=$1 log=$2 pattern=$3 what=$4 skip=${5:-0} deadline=$((SECONDS + ${timeout:-120}))
  until tail -n +"$((skip + 1))" "$log" 2>/dev/null | grep -qE -- "$pattern"; do
    kill -0 "$pid" 2>/dev/null || fail_start "$what exited during start-up" "$log"
    ((SECONDS < deadline)) || fail_start "$what did not start within ${timeout:-120} s" "$log"
    sleep 0.3
  done
}

start_zookeeper() {
  local dir=$data_dir/zookeeper pid
  LOG_DIR=$dir/logs KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx256m} \
    setsid nohup "$home/bin/zookeeper-server-start.sh" "$dir/zookeeper.properties" >"$dir/console.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/zookeeper.pid"
  wait_for_log "$pid" "$dir/logs/server.log" "binding to port|Started AdminServer|ZooKeeper audit is" "ZooKeeper (pid $pid)"
  local deadline=$((SECONDS + ${timeout:-120}))
  until [[ $( (exec 3<>"/dev/tcp/127.0.0.1/$zk_port" && echo ruok >&3 && timeout 2 cat <&3) 2>/dev/null) == imok ]]; do
    kill -0 "$pid" 2>/dev/null || fail_start "ZooKeeper (pid $pid) exited during start-up" "$dir/logs/server.log"
    ((SECONDS < deadline)) || fail_start "ZooKeeper did not answer on port $zk_port" "$dir/logs/server.log"
    sleep 0.3
  done
}

start_broker() {
  local node=$1 dir=$data_dir/node-$1 pid
  LOG_DIR=$dir/logs setsid nohup "$home/bin/kafka-server-start.sh" "$dir/server.properties" >"$dir/console.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/kafka.pid"
}

# cluster_answers: the brokers that answer an ApiVersions/Metadata round trip.
brokers_answering() {
  local config
  mapfile -t config < <(admin_config)
  "$home/bin/kafka-broker-api-versions.sh" --bootstrap-server "localhost:$port" "${config[@]}" 2>/dev/null |
    grep -cE '^localhost:[0-9]+ \(id: [0-9]+' || true
}

# resolve_layout: the cluster's mode, size, ports and security: those DIR's cluster was
# made with (asking for others is refused), or the options' and the defaults.
resolve_layout() {
  if load_state; then
    [[ -z $mode || $mode == "$state_mode" ]] ||
      die "$data_dir holds a $state_mode-mode cluster (Kafka $state_version), not a $mode one; start it with --mode $state_mode, or use another --data-dir"
    mode=$state_mode
  elif [[ -d $data_dir && -n $(ls -A "$data_dir" 2>/dev/null) ]]; then
    die "$data_dir is not empty and was not made by scripts/kafka.sh; choose an empty or new --data-dir"
  fi
  mode=${mode:-kraft}
  [[ $mode == kraft || ${security:-plaintext} == plaintext ]] ||
    die "--security $security needs KRaft mode: the ZooKeeper mode (Kafka $(kafka_version zookeeper)) runs plaintext only; leave out --mode zookeeper$([[ -f $state_file ]] && echo ", and use another --data-dir than this ZooKeeper-mode one")"
  if [[ -f $state_file ]]; then
    # What the cluster was made with holds: asking for another layout is a mistake.
    local given name
    for name in brokers port controller_port zk_port security; do
      local -n value=$name stated=state_$name
      given=$value
      [[ -z $given || -z $stated || $given == "$stated" ]] ||
        die "$data_dir holds a cluster with ${name//_/-} $stated, not $given; start it without --${name//_/-} (or with --${name//_/-} $stated), or use another --data-dir"
      value=${given:-$stated}
    done
    cluster_id=$state_cluster_id
  fi
  brokers=${brokers:-1}
  port=${port:-9092}
  zk_port=${zk_port:-2181}
  controller_port=${controller_port:-$((port + brokers))}
  security=${security:-plaintext}
}

# format_storage NODE: a KRaft node's storage, once (with the users' SCRAM credentials
# in a sasl_ssl cluster).
format_storage() {
  local i=$1 scram
  [[ ! -f $data_dir/node-$i/data/meta.properties ]] || return 0
  mapfile -t scram < <(scram_format_arguments)
  LOG_DIR=$data_dir/node-$i/logs "$home/bin/kafka-storage.sh" format -t "$cluster_id" \
    -c "$data_dir/node-$i/server.properties" "${scram[@]}" >"$data_dir/node-$i/logs/format.log" 2>&1 ||
    { cat "$data_dir/node-$i/logs/format.log" >&2; die "formatting the storage of node $i failed (above)"; }
}

# wait_until_up NODE...: each NODE's new start line in its log, then every broker of the
# cluster answering metadata requests.
wait_until_up() {
  # The log of a node started again keeps its earlier lines: wait for a new start line.
  local -A log_lines=()
  local i
  for i in "$@"; do
    log_lines[$i]=$( { wc -l <"$data_dir/node-$i/logs/server.log"; } 2>/dev/null || echo 0)
    start_broker "$i"
  done
  for i in "$@"; do
    wait_for_log "$(<"$data_dir/node-$i/kafka.pid")" "$data_dir/node-$i/logs/server.log" \
      'Kafka Server started|\] started \(kafka\.server\.KafkaServer\)' "broker $i (pid $(<"$data_dir/node-$i/kafka.pid"))" \
      "${log_lines[$i]}"
  done
  local deadline=$((SECONDS + ${timeout:-120})) answering=0
  while answering=$(brokers_answering) && ((answering < brokers)); do
    ((SECONDS < deadline)) || fail_start "only $answering of $brokers broker(s) answer metadata requests on localhost:$port" "$data_dir/node-1/logs/server.log"
    sleep 1
  done
}

say_started() {
  local last=$((port + brokers - 1))
  say "Kafka $(kafka_version "$mode") ($mode, $brokers broker(s)$([[ $security == plaintext ]] || echo ", $security")) is up: bootstrap localhost:$port$( ((brokers > 1)) && echo "-$last")$([[ $mode == zookeeper ]] && echo ", ZooKeeper localhost:$zk_port"); data and logs in $data_dir"
  if [[ $security != plaintext ]]; then
    say "clients: sfcrimed --config $data_dir/client.ini (user sfcrimed); Kafka's tools --command-config $data_dir/client.properties, or admin.properties (super user admin); guest.ini, guest.properties (user guest, no ACLs)"
    say "sfcrimed has no ACLs yet: scripts/kafka.sh grant --data-dir $data_dir [--topic T] [--group G]"
  fi
  say "tools: $home/bin/   stop: scripts/kafka.sh stop --data-dir $data_dir"
}

do_start() {
  resolve_layout
  home=$(kafka_home "$mode")
  require_java
  [[ -x $home/bin/kafka-server-start.sh ]] || die "no Kafka home at $home; run scripts/setup.sh first"

  # Nodes already running stay as they are: start brings back the ones that are not (a
  # broker killed in a test, or one stopped by hand), or the whole cluster.
  local i pid missing=() running=()
  for ((i = 1; i <= brokers; i++)); do
    if pid=$(owned_pid "$data_dir/node-$i/kafka.pid"); then running+=("$pid"); else missing+=("$i"); fi
  done
  local zk_running=false
  [[ $mode == kraft ]] || ! owned_pid "$data_dir/zookeeper/zookeeper.pid" >/dev/null || zk_running=true
  if [[ ${#missing[@]} -eq 0 ]] && { [[ $mode == kraft ]] || $zk_running; }; then
    say "already running in $data_dir (pid ${running[*]}); see scripts/kafka.sh status --data-dir $data_dir"
    exit 0
  fi
  [[ ${#running[@]} -eq 0 ]] || say "broker(s) ${missing[*]} of $brokers not running: starting them"

  for i in "${missing[@]}"; do
    require_free_port $((port + i - 1)) "broker $i"
    [[ $mode == zookeeper ]] || require_free_port $((controller_port + i - 1)) "controller $i"
  done
  [[ $mode == kraft ]] || $zk_running || require_free_port "$zk_port" "ZooKeeper"

  mkdir -p "$data_dir"
  if [[ -z ${cluster_id:-} ]]; then
    cluster_id=$("$home/bin/kafka-storage.sh" random-uuid 2>/dev/null) || die "kafka-storage.sh random-uuid failed; is the Kafka home at $home complete?"
  fi
  write_state
  prepare_security
  for i in "${missing[@]}"; do write_node_properties "$i"; done

  if [[ $mode == kraft ]]; then
    for i in "${missing[@]}"; do format_storage "$i"; done
  elif ! $zk_running; then
    write_zookeeper_properties
    start_zookeeper
  fi
  wait_until_up "${missing[@]}"
  say_started
}

# ---------------------------------------------------------------- stop and status

do_stop() {
  local wait_s=${1:-${timeout:-30}} file pid brokers_pids=() zk_pids=()
  while read -r file; do
    [[ -n $file ]] || continue
    pid=$(owned_pid "$file") || continue
    if [[ $file == */zookeeper.pid ]]; then zk_pids+=("$pid"); else brokers_pids+=("$pid"); fi
  done < <(pid_files)
  if [[ ${#brokers_pids[@]} -eq 0 && ${#zk_pids[@]} -eq 0 ]]; then
    say "nothing is running in $data_dir"
    return 0
  fi
  # All brokers at once: a KRaft node stopping alone waits for a controller quorum
  # that its peers, stopping one by one, would no longer give it.
  stop_pids "$wait_s" "Kafka" "${brokers_pids[@]}"
  stop_pids "$wait_s" "ZooKeeper" "${zk_pids[@]}"
  rm -f "$data_dir"/node-*/kafka.pid "$data_dir/zookeeper/zookeeper.pid"
  say "stopped ${#brokers_pids[@]} broker(s)$( ((${#zk_pids[@]})) && echo " and ZooKeeper") in $data_dir"
}

do_status() {
  if ! load_state; then
    say "no cluster in $data_dir (start one with scripts/kafka.sh start --data-dir $data_dir)"
    exit 3
  fi
  echo "data dir:  $data_dir"
  echo "cluster:   Kafka $state_version, $state_mode mode, $state_brokers broker(s), id $state_cluster_id"
  echo "security:  $state_security$([[ $state_security == plaintext ]] || echo " (clients: $data_dir/client.ini, client.properties, admin.properties)")"
  echo "home:      $(kafka_home "$state_mode")"
  local i pid any_running=false
  if [[ $state_mode == zookeeper ]]; then
    if pid=$(owned_pid "$data_dir/zookeeper/zookeeper.pid"); then
      echo "zookeeper: running, pid $pid, port $state_zk_port" && any_running=true
    else
      echo "zookeeper: stopped"
    fi
  fi
  for ((i = 1; i <= state_brokers; i++)); do
    local ports="port $((state_port + i - 1))"
    [[ $state_mode == zookeeper ]] || ports+=", controller $((state_controller_port + i - 1))"
    if pid=$(owned_pid "$data_dir/node-$i/kafka.pid"); then
      echo "broker $i:  running, pid $pid, $ports" && any_running=true
    else
      echo "broker $i:  stopped ($ports)"
    fi
  done
  $any_running || exit 3
}

# ---------------------------------------------------------------- grant

# shell_words WORD...: the words as one could paste them into a shell (quoted only where
# they need it, so that the printed commands read as typed).
shell_words() {
  local word line=
  for word in "$@"; do
    [[ $word =~ ^[A-Za-z0-9._/:,=@+-]+$ ]] || word="'${word//\'/\'\\\'\'}'"
    line+="${line:+ }$word"
  done
  echo "$line"
}

# acl_command ARGS...: runs kafka-acls.sh as admin to allow grant_user ARGS, printing the
# command first (docs/security.md shows these commands).
acl_command() {
  local acl=("$home/bin/kafka-acls.sh" --bootstrap-server "$(bootstrap_servers)"
    --command-config "$data_dir/admin.properties" --add --allow-principal "User:$grant_user" "$@")
  local out
  shell_words "${acl[@]}"
  out=$("${acl[@]}" 2>&1) || { printf '%s\n' "$out" >&2; die "kafka-acls.sh failed (above); is the cluster in $data_dir up? (scripts/kafka.sh status --data-dir $data_dir)"; }
}

# do_grant: the least privilege sfcrimed needs for its topics and group (docs/security.md).
do_grant() {
  load_state || die "no cluster in $data_dir; start one with scripts/kafka.sh start --security sasl_ssl --data-dir $data_dir"
  [[ $state_security != plaintext ]] ||
    die "the cluster in $data_dir is a plaintext one, with no authorizer: ACLs need a cluster started with --security sasl_ssl or ssl (in another --data-dir)"
  mode=$state_mode brokers=$state_brokers port=$state_port security=$state_security
  home=$(kafka_home "$mode")
  [[ -x $home/bin/kafka-acls.sh ]] || die "no kafka-acls.sh in $home/bin; run scripts/setup.sh --no-build to add it"
  local i up=false
  for ((i = 1; i <= brokers; i++)); do owned_pid "$data_dir/node-$i/kafka.pid" >/dev/null && up=true; done
  $up || die "the cluster in $data_dir is not running; start it with scripts/kafka.sh start --data-dir $data_dir"
  local topic=$grant_topic group=$grant_group
  # The calls topic and every topic named after it: .dlq, .stats, .state, .ingest-turn.
  acl_command --operation Create --operation Describe --operation DescribeConfigs --operation Read \
    --operation Write --topic "$topic" --resource-pattern-type prefixed
  # The pipeline's group and the groups named after it (sfcrimed consume's, say).
  acl_command --operation Read --operation Describe --group "$group" --resource-pattern-type prefixed
  # The ingest's turn: the group that lets one instance at a time replay the calls.
  acl_command --operation Read --operation Describe --group "$topic.ingest" --resource-pattern-type literal
  # Each pipeline thread's transactional producer, <group>.<topic>.<instance>.<thread>, and
  # the windows stage's, <group>.<topic>.<instance>.windows.
  acl_command --operation Write --operation Describe --transactional-id "$group.$topic." --resource-pattern-type prefixed
  # The ingest's idempotent producer.
  acl_command --operation IdempotentWrite --cluster
  say "User:$grant_user may now use the topics $topic*, the groups $group* and $topic.ingest, and the transactional ids $group.$topic.* of the cluster in $data_dir"
}

case "$command" in
  start) do_start ;;
  grant) do_grant ;;
  stop) do_stop ;;
  status) do_status ;;
  home) kafka_home "${mode:-kraft}" ;;
  -h | --help | help) usage ;;
  *) say "unknown command '$command'" && usage 2 ;;
esac
