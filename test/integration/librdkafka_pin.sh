#!/usr/bin/env bash
# The librdkafka pin: which version scripts/librdkafka/build.sh builds from what Debian's
# suites carry (the pinned one; else the newest at or above the minimum, said as a
# fallback; else none, with what to do), and CMake refusing a build below the minimum
# with a message that says so. No network, no build.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
build_sh=$ROOT/scripts/librdkafka/build.sh
# shellcheck source=../../scripts/librdkafka/pin.env
source "$ROOT/scripts/librdkafka/pin.env"

assert_status 0 "the pinned version among others" "$build_sh" choose --available \
  "2.15.0-1=sid $LIBRDKAFKA_VERSION=forky 2.8.0-1=trixie"
[[ $stdout == "$LIBRDKAFKA_VERSION forky pinned" ]] || fail "chose '$stdout', not the pinned version"
assert_status 0 "the pinned version gone" "$build_sh" choose --available "2.15.1-1=sid 2.15.0-2=forky 2.8.0-1=trixie"
[[ $stdout == "2.15.1-1 sid fallback" ]] || fail "chose '$stdout', not the newest at or above the minimum"
assert_status 1 "nothing at or above the minimum" "$build_sh" choose --available "2.8.0-1=trixie 2.0.2-1=bookworm"
assert_contains "$output" "none of '2.8.0-1=trixie 2.0.2-1=bookworm' is $LIBRDKAFKA_VERSION or at least $LIBRDKAFKA_MINIMUM" \
  "the refusal"
assert_status 1 "a bad argument" "$build_sh" --nonsense
pass "build.sh chooses the pinned version, else the newest at or above $LIBRDKAFKA_MINIMUM, else says what to do"

# A build below the minimum, as Debian 12's would be: CMake stops at once and says why.
old=$SCRATCH/librdkafka-2.0.2
mkdir -p "$old/include/librdkafka" "$old/lib/pkgconfig"
touch "$old/lib/librdkafka.a" "$old/lib/librdkafka++.a"
printf 'Name: librdkafka\nVersion: 2.0.2\nRequires.private: zlib\n' >"$old/lib/pkgconfig/rdkafka.pc"
assert_status 1 "configuring against librdkafka 2.0.2" cmake -S "$ROOT" -B "$SCRATCH/build" -G Ninja \
  -DSFCRIMED_RDKAFKA_PREFIX="$old" -DSFCRIMED_BUILD_TESTS=OFF
flat=$(tr -s ' \n' '  ' <<<"$output") # CMake wraps its messages
assert_contains "$flat" "librdkafka 2.0.2 at $old is older than the minimum $LIBRDKAFKA_MINIMUM" "CMake's refusal"
assert_contains "$flat" "run scripts/setup.sh" "CMake's refusal"
pass "CMake refuses librdkafka 2.0.2, below the minimum $LIBRDKAFKA_MINIMUM"
