# Shared by the scripts in scripts/: paths, messages, versions. Source it, don't run it.
# shellcheck shell=bash

SFCRIMED_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SFCRIMED_CACHE=${SFCRIMED_CACHE:-$SFCRIMED_ROOT/.cache}
# Builds every clone on this machine shares (librdkafka), each keyed by its version.
SFCRIMED_CACHE_HOME=${SFCRIMED_CACHE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/sfcrimed}
SFCRIMED_POM=$SFCRIMED_ROOT/scripts/kafka/pom.xml
# Java the Kafka 4 broker needs at least (Kafka 3.9 and the tools need less).
SFCRIMED_MIN_JAVA=17

say() { echo "${0##*/}: $*" >&2; }
# header_help: the calling script's opening comment block (after the #! line), as its --help.
header_help() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
die() {
  say "error: $*"
  exit "${DIE_STATUS:-1}"
}

# build_preset PRESET [TARGET...]: configures the CMake preset and builds it (or the targets).
build_preset() {
  cmake --preset "$1" >/dev/null && cmake --build --preset "$1" ${2:+--target "${@:2}"}
}

# need_value OPTION ARGC: dies unless OPTION, with ARGC arguments left counting it, has a
# value after it.
need_value() { [[ $2 -ge 2 ]] || die "$1 needs a value (see ${0#"$SFCRIMED_ROOT"/} --help)"; }
# need_number OPTION VALUE MIN MAX: dies unless VALUE is a whole number from MIN to MAX.
need_number() {
  if [[ $2 =~ ^[0-9]{1,9}$ ]] && ((10#$2 >= $3 && 10#$2 <= $4)); then return; fi
  die "$1 must be a whole number from $3 to $4, not '$2'"
}

# pom_property NAME: a version pinned in scripts/kafka/pom.xml, the one place for them.
pom_property() {
  sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$SFCRIMED_POM"
}

# kafka_version MODE: the Kafka release a mode runs (kraft: 4.x; zookeeper: 3.9.x).
kafka_version() {
  case "$1" in
    kraft) pom_property kafka.version ;;
    zookeeper) pom_property kafka.legacy.version ;;
    *) die "unknown mode '$1' (use kraft or zookeeper)" ;;
  esac
}

# kafka_home MODE: where setup.sh assembles that mode's Kafka home (bin/, libs/, config/).
kafka_home() {
  echo "$SFCRIMED_CACHE/kafka/kafka-$(kafka_version "$1")"
}

# java_bin: the java that Kafka's launchers will use.
java_bin() {
  if [[ -n ${JAVA_HOME:-} ]]; then echo "$JAVA_HOME/bin/java"; else echo java; fi
}

# java_major: the major version of java_bin, or nothing when there is no Java.
java_major() {
  local v
  v=$("$(java_bin)" -version 2>&1 | sed -n 's/.*version "\([0-9._]*\).*/\1/p' | head -n 1) || return 0
  v=${v#1.} # 1.8.0 -> 8
  echo "${v%%.*}"
}

# require_java: dies with what to do unless a Java of at least SFCRIMED_MIN_JAVA is there.
require_java() {
  local major
  major=$(java_major)
  [[ -n $major ]] || die "Java not found ('$(java_bin)'); install OpenJDK $SFCRIMED_MIN_JAVA or newer (apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
  ((major >= SFCRIMED_MIN_JAVA)) || die "Java $major at '$(java_bin)' is too old: Kafka $(kafka_version kraft) needs Java $SFCRIMED_MIN_JAVA or newer; install openjdk-17-jre-headless or point JAVA_HOME at a newer JDK"
}

# port_user PORT: prints who listens on PORT (nothing when it is free).
port_user() {
  local line
  line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n 1) || true
  if [[ -z $line ]] && (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    line="an unknown process"
  fi
  [[ -z $line ]] && return 0
  local users
  users=$(sed -n 's/.*users:((\(.*\)))/\1/p' <<<"$line")
  echo "${users:-$line}"
}

# free_ports N: the first of N consecutive TCP ports on loopback that nothing uses now,
# below the kernel's ephemeral range: a client that keeps reconnecting to a stopped
# broker's port in that range can be given that very port as its own, connect to itself,
# and keep the broker from listening there again.
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral = int(f.read().split()[0])
except OSError:
    ephemeral = 32768
for _ in range(200):
    base = random.randrange(10000, ephemeral - n)
    socks = []
    try:
        for port in range(base, base + n):
            s = socket.socket()
            s.bind(("127.0.0.1", port))
            socks.append(s)
        print(base)
        sys.exit(0)
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
sys.exit("no free ports")
PY
}
