#!/usr/bin/env bash
# Fuzzes the call parser with libFuzzer under ASan and UBSan for a bounded time, and fails
# on a crash, a hang, a sanitizer report or a decision that simdjson's DOM reading of the
# message contradicts (test/fuzz/call_parser_fuzz.cpp says what is checked). Builds the
# target with clang++-14 into build/fuzz/ when a source is newer, seeds it with
# well-formed calls and every kind of test/lib/malformed_calls.hpp, and keeps what it
# finds in build/fuzz/corpus/ for the next run. A failing input is saved in
# build/fuzz/artifacts/; `build/fuzz/call_parser_fuzz FILE` replays it.
#
# Usage: scripts/fuzz.sh [--seconds N]   (default 60; scripts/test.sh runs 60)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

seconds=60
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds)
      [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--seconds needs a whole number of seconds, at least 1"
      seconds=$2
      shift 2
      ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1' (see scripts/fuzz.sh --help)" ;;
  esac
done

cd "$SFCRIMED_ROOT"
cxx=clang++-14
command -v "$cxx" >/dev/null || die "$cxx not found; install clang-14 and libclang-rt-14-dev (scripts/setup.sh does)"
[[ -f $("$cxx" -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a ]] ||
  die "libFuzzer's runtime is missing; install libclang-rt-14-dev (scripts/setup.sh does)"

out=build/fuzz
bin=$out/call_parser_fuzz
sources=(test/fuzz/call_parser_fuzz.cpp lib/core/src/call_parser.cpp lib/core/src/record.cpp)
inputs=("${sources[@]}" lib/core/include/sfcrimed/call_parser.hpp lib/core/include/sfcrimed/record.hpp
  test/lib/malformed_calls.hpp CMakeLists.txt scripts/fuzz.sh)
# The CPU flags of the CMake build (SFCRIMED_ARCH_FLAGS' default), so that the fuzzer runs
# the simdjson kernel that sfcrimed runs.
read -ra arch_flags <<<"$(sed -n 's/^set(SFCRIMED_ARCH_FLAGS "\([^"]*\)".*/\1/p' CMakeLists.txt | tr ';' ' ')"

mkdir -p "$out/corpus" "$out/artifacts"
if [[ ! -x $bin || -n $(find "${inputs[@]}" -newer "$bin" -print -quit) ]]; then
  say "building $bin with $cxx"
  "$cxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Werror "${arch_flags[@]}" \
    -Ilib/core/include "${sources[@]}" -lsimdjson -o "$bin.new"
  mv "$bin.new" "$bin"
fi

rm -rf "$out/seeds"
"$bin" --write-seeds "$out/seeds"

log=$out/fuzz.log
say "fuzzing the call parser for $seconds s (log: $log)"
status=0
# -max_len: a call is about 500 bytes; room for several, and the seeds beyond it are cut.
"$bin" -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/" "$out/corpus" "$out/seeds" >"$log" 2>&1 || status=$?
if ((status != 0)); then
  grep -v '^#[0-9]' "$log" | tail -n 40 >&2
  artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
  die "the fuzzer failed (exit $status)${artifact:+; the input is $artifact, replay it with $bin $artifact}"
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
[[ -n $runs ]] || die "the fuzzer printed no final statistics; see $log"
say "no failure in $runs runs ($((runs / seconds)) per second); corpus: $(find "$out/corpus" -type f | wc -l) inputs"
