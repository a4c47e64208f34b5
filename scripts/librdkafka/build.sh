#!/usr/bin/env bash
# Builds librdkafka (C and C++ libraries, with SSL, SASL SCRAM/OAUTHBEARER/GSSAPI, zstd, lz4
# and libcurl) from Debian's source package into a cache outside the clone, once per
# version and build flags, and selects it for CMake. scripts/setup.sh runs it.
#
# Usage: scripts/librdkafka/build.sh [--offline]
#        scripts/librdkafka/build.sh choose --available "VERSION[=SUITE] ..."
#
#   (no command)  the version pinned in scripts/librdkafka/pin.env, built unless the cache
#                 has it. apt fetches the source package through a private deb-src list
#                 and state directory (the machine's own apt sources are never touched);
#                 the files are checked against the .dsc's SHA-256 sums before they are
#                 unpacked. When the pinned version has left every suite searched, the
#                 newest one at or above LIBRDKAFKA_MINIMUM is built instead, and said.
#                 --offline: use what the cache has (the pinned build, else the newest at
#                 or above the minimum), never the network.
#   choose        prints the version that would be built from those available, and why.
#
# The cache: $SFCRIMED_CACHE_HOME (default ${XDG_CACHE_HOME:-~/.cache}/sfcrimed)/librdkafka/
#   VERSION-FLAVOUR/   one build: include/, lib/ (static libraries), BUILD-INFO
#   current            the build CMake uses (a symbolic link to one of them)
#   apt/               the private apt state (source indexes of the suites)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
# shellcheck source=pin.env
source "$here/pin.env"

# Build flags: a change here is a new flavour, built beside the old ones.
# --disable-c11threads: librdkafka's own threads on POSIX threads, which every sanitizer
# sees (glibc's C11 <threads.h> calls are invisible to GCC 12's ThreadSanitizer).
configure_flags=(--enable-ssl --enable-gssapi --enable-zstd --enable-lz4-ext
  --enable-curl --enable-zlib --disable-c11threads --disable-syslog)
# What a build holds (static and shared libraries) is part of the flavour too.
layout=2
# Fixes of our own for librdkafka bugs that sfcrimed meets and no release has fixed yet,
# applied to the unpacked source (each patch's header says which bug); part of the flavour.
patches=("$here"/patches/*.patch)
flavour=$({
  printf '%s\n' "layout $layout" "${configure_flags[@]}"
  cat "${patches[@]}"
} | sha256sum | cut -c1-8)
cache=$SFCRIMED_CACHE_HOME/librdkafka

# upstream VERSION: 2.14.2-1 -> 2.14.2 (an epoch, if any, dropped too).
upstream() {
  local v=${1#*:}
  echo "${v%-*}"
}

# choose_version AVAILABLE...: each VERSION or VERSION=SUITE; prints "VERSION SUITE REASON".
# The pinned version when it is there; else the newest at or above the minimum.
choose_version() {
  local item version suite best='' best_suite=''
  for item in "$@"; do
    version=${item%%=*}
    suite=${item#*=}
    [[ $suite != "$item" ]] || suite="?"
    if [[ $version == "$LIBRDKAFKA_VERSION" ]]; then
      echo "$version $suite pinned"
      return 0
    fi
    dpkg --compare-versions "$(upstream "$version")" ge "$LIBRDKAFKA_MINIMUM" || continue
    if [[ -z $best ]] || dpkg --compare-versions "$version" gt "$best"; then
      best=$version best_suite=$suite
    fi
  done
  [[ -n $best ]] || return 1
  echo "$best $best_suite fallback"
}

apt_options() {
  local state=$cache/apt
  echo "-o Dir::Etc::SourceList=$state/sources.list -o Dir::Etc::SourceParts=/dev/null" \
    "-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null" \
    "-o Dir::State=$state -o Dir::State::Lists=$state/lists -o Dir::Cache=$state/cache" \
    "-o Debug::NoLocking=1 -o APT::Sandbox::User=$(id -un)"
}

# available_versions: "VERSION=SUITE" for each librdkafka source package in the suites.
available_versions() {
  local state=$cache/apt suite
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
  : >"$state/sources.list"
  for suite in $LIBRDKAFKA_SUITES; do
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >>"$state/sources.list"
  done
  # shellcheck disable=SC2046 # the options are words
  apt-get $(apt_options) -qq update >"$state/update.log" 2>&1 || {
    tail -n 20 "$state/update.log" >&2
    die "apt could not read the source indexes of $LIBRDKAFKA_SUITES (above; $state/update.log)"
  }
  # shellcheck disable=SC2046
  apt-cache $(apt_options) madison librdkafka |
    awk -F'|' '$3 ~ /Sources/ { gsub(/ /, "", $2); split($3, where, " "); sub(/\/.*/, "", where[2]); print $2 "=" where[2] }'
}

# fetch_and_check VERSION DIR: the source package's files in DIR, each checked against the
# SHA-256 sums of its .dsc (apt has checked the .dsc against the suite's signed index).
fetch_and_check() {
  local version=$1 dir=$2 dsc line sum size file
  # shellcheck disable=SC2046
  (cd "$dir" && apt-get $(apt_options) -qq source --download-only "librdkafka=$version" >"$dir/fetch.log" 2>&1) || {
    tail -n 20 "$dir/fetch.log" >&2
    die "apt could not fetch the librdkafka $version source package (above)"
  }
  dsc=$dir/librdkafka_${version#*:}.dsc
  [[ -f $dsc ]] || die "no $dsc after apt-get source"
  local checked=0
  while read -r line; do
    read -r sum size file <<<"$line"
    [[ $(stat -c %s "$dir/$file") == "$size" ]] || die "$file: size differs from the .dsc's ($size bytes)"
    echo "$sum  $dir/$file" | sha256sum --check --quiet - || die "$file: SHA-256 differs from the .dsc's"
    checked=$((checked + 1))
  done < <(awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 } on && NF == 3' "$dsc")
  ((checked > 0)) || die "$dsc lists no SHA-256 sums"
  say "librdkafka $version: $checked file(s) match the SHA-256 sums of $(basename "$dsc")"
}

# apply_patches DIR: each of our patches, unless DIR (a newer release) has its fix already.
apply_patches() {
  local patch
  for patch in "${patches[@]}"; do
    if patch -d "$1" -p1 --dry-run --silent <"$patch" >/dev/null 2>&1; then
      patch -d "$1" -p1 --silent <"$patch"
      say "librdkafka: applied $(basename "$patch")"
    elif patch -d "$1" -p1 -R --dry-run --silent <"$patch" >/dev/null 2>&1; then
      say "librdkafka: $(basename "$patch") is in this release already"
    else
      die "$patch does not apply to this librdkafka release: see whether the release fixes its bug, then update or remove the patch"
    fi
  done
}

# build VERSION SUITE: unpacks, configures, builds and installs into the cache.
build() {
  local version=$1 suite=$2 work prefix=$cache/$1-$flavour
  work=$(mktemp -d "$cache/.build.XXXXXX")
  # shellcheck disable=SC2064 # the directory is known now
  trap "rm -rf '$work'" EXIT
  fetch_and_check "$version" "$work"
  # Debian's patches only switch to Debian's separately packaged cJSON, nanopb and
  # OpenTelemetry definitions; the upstream tree builds with its own copies.
  (cd "$work" && dpkg-source --skip-patches -x "librdkafka_${version#*:}.dsc" src >"$work/unpack.log" 2>&1) ||
    die "dpkg-source could not unpack librdkafka $version ($work/unpack.log)"
  apply_patches "$work/src"
  say "librdkafka $version: configure and build (about a minute on 2 cores)"
  local start=$SECONDS
  (
    cd "$work/src"
    ./configure --prefix="$prefix" "${configure_flags[@]}" >"$work/build.log" 2>&1
    make -j"$(nproc)" libs >>"$work/build.log" 2>&1
    make install-subdirs DESTDIR="$work/stage" >>"$work/build.log" 2>&1
  ) || {
    tail -n 30 "$work/build.log" >&2
    die "building librdkafka $version failed (above); are scripts/setup.sh's packages installed?"
  }
  # The daemon links the static libraries (without their dependencies: those are Debian's
  # shared ones, updated by Debian) and needs nothing from the cache at run time, where an
  # installed service could not read a build user's home. The shared ones are for the
  # ThreadSanitizer build's tests alone (see cmake/librdkafka.cmake). The bundle of the
  # dependencies' static libraries is not wanted at all.
  local installed=$work/stage$prefix
  rm -f "$installed/lib/librdkafka-static.a" "$installed/lib/pkgconfig/"*-static.pc
  cat >"$installed/BUILD-INFO" <<EOF
librdkafka=$(upstream "$version")
debian_version=$version
suite=$suite
choice=$3
dsc_sha256=$(sha256sum "$work/librdkafka_${version#*:}.dsc" | cut -d' ' -f1)
configure=${configure_flags[*]}
patches=${patches[*]##*/}
built=$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $(gcc -dumpfullversion 2>/dev/null || echo gcc)
EOF
  rm -rf "$prefix"
  mv "$installed" "$prefix"
  say "librdkafka $version: built in $((SECONDS - start)) s into $prefix"
}

# select_build DIR: CMake uses it from now on.
select_build() {
  ln -sfn "$(basename "$1")" "$cache/current"
  say "librdkafka $(sed -n 's/^debian_version=//p' "$1/BUILD-INFO") ($(sed -n 's/^suite=//p' "$1/BUILD-INFO")): $1"
}

# newest_cached: the newest complete build of this flavour at or above the minimum.
newest_cached() {
  local dir items=()
  for dir in "$cache"/*-"$flavour"; do
    [[ -f $dir/BUILD-INFO ]] && items+=("$(sed -n 's/^debian_version=//p' "$dir/BUILD-INFO")")
  done
  ((${#items[@]} > 0)) || return 1
  local chosen
  chosen=$(LIBRDKAFKA_VERSION=none choose_version "${items[@]}") || return 1
  echo "$cache/${chosen%% *}-$flavour"
}

main() {
  local offline=false
  case "${1:-}" in
    choose)
      [[ ${2:-} == --available && $# -ge 3 ]] || die "choose needs --available \"VERSION[=SUITE] ...\""
      # shellcheck disable=SC2086 # a list of words
      choose_version $3 || die "none of '$3' is $LIBRDKAFKA_VERSION or at least $LIBRDKAFKA_MINIMUM"
      return
      ;;
    --offline) offline=true ;;
    -h | --help) header_help && return ;;
    "") ;;
    *) die "unknown argument '$1' (see scripts/librdkafka/build.sh --help)" ;;
  esac
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock 9 # another clone's set-up may be building the same version
  local pinned=$cache/$LIBRDKAFKA_VERSION-$flavour
  if [[ -f $pinned/BUILD-INFO ]]; then
    select_build "$pinned"
    return
  fi
  if $offline; then
    local found
    found=$(newest_cached) || die "--offline: the cache ($cache) has no build of librdkafka $LIBRDKAFKA_VERSION or of one at or above $LIBRDKAFKA_MINIMUM"
    say "--offline: librdkafka $LIBRDKAFKA_VERSION is not in the cache; using the newest build at or above $LIBRDKAFKA_MINIMUM"
    select_build "$found"
    return
  fi
  local available choice version suite how
  mapfile -t available < <(available_versions)
  choice=$(choose_version "${available[@]}") ||
    die "Debian's suites ($LIBRDKAFKA_SUITES) carry librdkafka ${available[*]:-nothing}: neither the pinned $LIBRDKAFKA_VERSION nor any at or above $LIBRDKAFKA_MINIMUM; update scripts/librdkafka/pin.env"
  read -r version suite how <<<"$choice"
  if [[ $how == fallback ]]; then
    say "warning: the pinned librdkafka $LIBRDKAFKA_VERSION has left $LIBRDKAFKA_SUITES (they carry ${available[*]}); building $version from $suite instead, the newest at or above $LIBRDKAFKA_MINIMUM. Pin it in scripts/librdkafka/pin.env once tested."
  fi
  local dir=$cache/$version-$flavour
  [[ -f $dir/BUILD-INFO ]] || build "$version" "$suite" "$how"
  select_build "$dir"
}

main "$@"
