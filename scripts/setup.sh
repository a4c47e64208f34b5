#!/usr/bin/env bash
# Installs and builds everything sfcrimed needs on a fresh Debian 12 machine, idempotently:
#   1. Debian packages: compilers' libraries (simdjson, Boost, prometheus-cpp, Catch2, ...),
#      Java, Maven, Node.js and Chromium (the live page's chart library comes from npm at
#      build time; its test runs in a headless Chromium);
#   2. librdkafka, built from Debian's source package of a newer release into a cache
#      outside the clone, once per version (scripts/librdkafka/build.sh);
#   3. the Kafka 4.x (KRaft) and Kafka 3.9.x + ZooKeeper (legacy) jars from Maven Central,
#      assembled into Kafka homes under .cache/kafka/ with Kafka-style bin/ launchers;
#   4. the C++ build (CMake preset, default "release").
# A second run finds everything in place and only rebuilds what changed.
#
# Usage: scripts/setup.sh [--preset NAME]... [--no-build]
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  header_help
  exit "${1:-0}"
}

presets=()
build=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    --preset)
      [[ $# -ge 2 ]] || die "--preset needs a name (see CMakePresets.json)"
      presets+=("$2")
      shift 2
      ;;
    --no-build) build=false && shift ;;
    -h | --help) usage ;;
    *) say "unknown argument '$1'" && usage 2 ;;
  esac
done
[[ ${#presets[@]} -gt 0 ]] || presets=(release)

# Debian packages, one line a purpose. Versions in Debian 12 are listed in the README.
debian_packages=(
  build-essential cmake ninja-build pkg-config        # toolchain
  ccache                                              # compiled objects kept for fresh clones
  libssl-dev libsasl2-dev libzstd-dev liblz4-dev      # librdkafka's build (from Debian's source
  libcurl4-openssl-dev dpkg-dev                       #   package, see build_librdkafka)
  libsimdjson-dev                                     # JSON parsing (On-Demand)
  libboost1.81-dev libboost-program-options1.81-dev   # Asio, Beast; Program_options
  prometheus-cpp-dev                                  # metrics (core, pull)
  catch2                                              # unit tests (v2)
  libsystemd-dev                                      # sd_notify
  libcrypt-dev openssl curl                           # HTTP passwords (bcrypt); tests: certificates, requests
  zlib1g-dev libbz2-dev                               # .gz and .bz2 input
  openjdk-17-jre-headless maven                       # Kafka, ZooKeeper and their tools
  procps iproute2 python3                             # pgrep, ss, test helpers
  systemd                                             # systemd-analyze: the unit's tests
  clang-format clang-tidy shellcheck                  # scripts/lint.sh
  clang-14 libclang-rt-14-dev                         # scripts/fuzz.sh (libFuzzer)
  prometheus                                          # etc/prometheus: promtool checks, scrape test
  chromium fonts-liberation                           # the live page's test in a headless browser
)
# Node.js and npm: the live page's chart library and the browser test's driver come from
# npm. Debian's own only where there is none (NodeSource's nodejs carries npm, and
# conflicts with Debian's npm package).
command -v npm >/dev/null || debian_packages+=(nodejs npm)

install_debian_packages() {
  local missing=() pkg
  for pkg in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    say "Debian packages: all ${#debian_packages[@]} present"
    return
  fi
  say "Debian packages: installing ${missing[*]}"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# assemble_kafka_home MODE: resolves the mode's jars into <home>/libs (once) and (re)writes
# its bin/ launchers and config/ link, which are cheap and follow the project's sources.
assemble_kafka_home() {
  local mode=$1 home version profile
  home=$(kafka_home "$mode")
  version=$(kafka_version "$mode")
  profile=$mode
  if [[ ! -f $home/libs/.complete ]]; then
    say "Kafka $version ($mode): resolving jars from Maven Central into $home/libs"
    rm -rf "$home/libs"
    mkdir -p "$home/libs"
    mvn -B -f "$SFCRIMED_POM" -P "$profile" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$home/libs" >"$home/maven.log" 2>&1 || {
      tail -n 30 "$home/maven.log" >&2
      die "Maven could not resolve the Kafka $version jars (above; full log $home/maven.log); check the network to Maven Central"
    }
    touch "$home/libs/.complete"
  fi
  echo "$version" >"$home/VERSION"
  mkdir -p "$home/bin"
  install -m 0755 "$SFCRIMED_ROOT/scripts/kafka/kafka-run-class.sh" "$home/bin/kafka-run-class.sh"
  local launcher
  for launcher in kafka-server-start kafka-server-stop kafka-storage kafka-topics \
    kafka-console-producer kafka-console-consumer kafka-producer-perf-test \
    kafka-consumer-perf-test kafka-consumer-groups kafka-get-offsets kafka-transactions kafka-acls \
    kafka-broker-api-versions zookeeper-server-start zookeeper-server-stop; do
    ln -sfn kafka-run-class.sh "$home/bin/$launcher.sh"
  done
  ln -sfn "$SFCRIMED_ROOT/etc/kafka" "$home/config"
  say "Kafka $version ($mode): $home"
}

build_presets() {
  local preset
  for preset in "$@"; do
    say "building preset '$preset' in build/$preset"
    build_preset "$preset"
  done
}

start=$(date +%s)
install_debian_packages
"$SFCRIMED_ROOT/scripts/librdkafka/build.sh"
require_java
assemble_kafka_home kraft
assemble_kafka_home zookeeper
$build && build_presets "${presets[@]}"
say "done in $(($(date +%s) - start)) s"
