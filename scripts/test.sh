#!/usr/bin/env bash
# Builds and runs every test of sfcrimed, installing what is missing first (setup.sh):
#   debug   all tests: unit, the shared-broker tests, and the cluster tests: scripts/kafka.sh
#           (KRaft, ZooKeeper, three nodes, bad input), the demo, health with a frozen
#           broker, and the failover tests on a shared three-node cluster
#   asan    AddressSanitizer + UndefinedBehaviorSanitizer: unit and shared-broker tests
#   tsan    ThreadSanitizer: unit and shared-broker tests
# With the debug build, scripts/lint.sh, 60 s of scripts/fuzz.sh (the call parser under
# libFuzzer) and the release build of the daemon (what demo.sh runs: optimisation brings
# warnings of its own) too. Warnings are errors in every build. Real Kafka processes run on free
# ports and are stopped at the end, also on failure.
#
# Only the debug build comes first. What needs the CPU and no broker (the release build,
# the lint, the fuzzing, the sanitizer builds) then runs at the lowest priority while the
# debug build's tests run at normal priority, so that they get the CPU whenever they want
# it; those steps use what the tests leave idle. On 2 cores that is little (measured: the
# release build, of the 2,600 CPU seconds the steps need, during the 21 min of tests).
# Its log: build/checks.log.
#
# Usage: scripts/test.sh [--preset debug|asan|tsan]...   (default: all three)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

presets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --preset)
      [[ $# -ge 2 ]] || die "--preset needs a name: debug, asan or tsan"
      presets+=("$2")
      shift 2
      ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1' (see scripts/test.sh --help)" ;;
  esac
done
[[ ${#presets[@]} -gt 0 ]] || presets=(debug asan tsan)

# checks_without_brokers PRESET...: the release build, the lint, the fuzzing and the
# builds of the presets, each failure a line of build/checks.failed.
checks_without_brokers() {
  renice -n 19 "$BASHPID" >/dev/null
  build_preset release sfcrimed || echo release-build >>build/checks.failed
  "$SFCRIMED_ROOT/scripts/lint.sh" || echo lint >>build/checks.failed
  "$SFCRIMED_ROOT/scripts/fuzz.sh" --seconds 60 || echo fuzz >>build/checks.failed
  local preset
  for preset in "$@"; do
    build_preset "$preset" || echo "$preset-build" >>build/checks.failed
  done
}

start=$(date +%s)
cd "$SFCRIMED_ROOT"
passed=0 failed=0 skipped=0 failures=()
checks=
first=("${presets[@]}") later=()
if [[ " ${presets[*]} " == *" debug "* ]]; then
  first=(debug)
  for preset in "${presets[@]}"; do [[ $preset == debug ]] || later+=("$preset"); done
fi
setup_args=()
for preset in "${first[@]}"; do setup_args+=(--preset "$preset"); done
"$SFCRIMED_ROOT/scripts/setup.sh" "${setup_args[@]}"
if [[ ${first[*]} == debug ]]; then
  mkdir -p build && rm -f build/checks.failed
  say "the release build, lint, fuzzing${later[*]:+ and the ${later[*]} builds} at low priority (build/checks.log)"
  checks_without_brokers "${later[@]}" >build/checks.log 2>&1 &
  checks=$!
  trap '[[ -z $checks ]] || { pkill -P "$checks" 2>/dev/null; kill "$checks" 2>/dev/null; } || true' EXIT
fi

# wait_for_checks: the background checks' end, their failures counted, their log's end shown.
wait_for_checks() {
  [[ -n $checks ]] || return 0
  say "waiting for the release build, lint, fuzzing and builds (build/checks.log)"
  wait "$checks" || true
  checks=
  if [[ -s build/checks.failed ]]; then
    grep -vE '^\[[0-9]+/[0-9]+\] ' build/checks.log | tail -n 80 # without ninja's progress lines
    mapfile -t -O "${#failures[@]}" failures <build/checks.failed
  else
    say "release build, lint, fuzzing and builds: passed"
  fi
}

for preset in "${presets[@]}"; do
  [[ $preset == debug ]] || wait_for_checks
  # The sanitizer builds skip the cluster tests: most test scripts/kafka.sh, and the
  # failover tests' 200,000-call runs on three brokers would take a sanitizer build many
  # times as long; the debug build has run them.
  filter=()
  [[ $preset == debug ]] || filter=(--label-exclude cluster)
  say "ctest --preset $preset ${filter[*]}"
  log=build/$preset/ctest.log
  status=0
  ctest --preset "$preset" --parallel 2 "${filter[@]}" 2>&1 | tee "$log" || status=$?
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [[ -z $summary ]]; then
    failures+=("$preset (ctest did not finish: exit $status)")
    failed=$((failed + 1))
    continue
  fi
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
  bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$summary")
  # ctest counts a skipped test (one that needs ../shared where it is absent) as passed.
  not_run=$(grep -cE '^\s+[0-9]+ - .* \(Skipped\)$' "$log" || true)
  passed=$((passed + total - bad - not_run))
  failed=$((failed + bad))
  skipped=$((skipped + not_run))
  ((bad == 0 && status == 0)) || failures+=("$preset")
done

wait_for_checks

# Each failed test's own words (its FAIL line and what follows it), where the end of the
# output, which CI shows first, has them.
for preset in "${presets[@]}"; do
  grep -h -A 12 '^FAIL (' "build/$preset/ctest.log" 2>/dev/null | head -n 40 | sed "s/^/$preset| /" || true
done
say "finished in $(($(date +%s) - start)) s: presets ${presets[*]}"
[[ ${#failures[@]} -eq 0 ]] || say "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[[ ${#failures[@]} -eq 0 ]]
