#!/usr/bin/env bash
# scripts/demo.sh as a newcomer runs it, on free ports and a scratch run directory:
#   - with --duration 60 it replays, logs progress and closed windows, serves the live page,
#     stops after 60 s, exits 0 and leaves no process behind;
#   - a second run right after works, and Ctrl-C (SIGINT to its process group, as a
#     terminal sends it) stops it cleanly: exit 0, says so, no process left.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
demo=$ROOT/scripts/demo.sh
run_dir=$SCRATCH/demo
port=$(free_ports 3)
http_port=$((port + 2))
args=(--records 20000 --port "$port" --http-port "$http_port" --build-dir "$BUILD_DIR" --run-dir "$run_dir")

assert_status 0 "demo.sh --duration 60" timeout 300 "$demo" --duration 60 "${args[@]}"
assert_contains "$output" "the live page: http://127.0.0.1:$http_port/" "demo.sh's output"
assert_contains "$output" "<6>progress: input" "demo.sh's output"
assert_contains "$output" "<6>window: window 2018-" "demo.sh's output"
assert_contains "$output" "demo stopped after 60 s: nothing it started is running" "demo.sh's output"
assert_contains "$output" "Top 5 crime types" "demo.sh's output"
assert_no_process_left "$run_dir"
[[ -z $(port_user "$http_port") && -z $(port_user "$port") ]] || fail "a port of the demo is still taken"
pass "demo.sh --duration 60: exit 0, live page announced, progress and windows logged, nothing left running"

# Ctrl-C: the demo in a process group of its own, which the signal goes to, as from a
# terminal. (A script's background command ignores SIGINT, and bash cannot trap a signal
# ignored on entry: Python restores the default before starting it.)
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' \
  "$demo" "${args[@]}" >"$SCRATCH/ctrl-c.out" 2>&1 &
group=$!
stop_on_exit "$group"
for _ in {1..120}; do
  python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$http_port/readyz', timeout=2)" 2>/dev/null && break
  sleep 1
done
python3 -c "import urllib.request as u; assert b'<html' in u.urlopen('http://127.0.0.1:$http_port/').read()" ||
  fail "the second run's live page is not served; its output:"$'\n'"$(tail -n 20 "$SCRATCH/ctrl-c.out")"
kill -INT -- "-$group"
status=0
wait "$group" || status=$?
output=$(<"$SCRATCH/ctrl-c.out")
[[ $status -eq 0 ]] || fail "demo.sh exited $status on Ctrl-C; its output:"$'\n'"$(tail -n 20 <<<"$output")"
assert_contains "$output" "demo stopped by Ctrl-C: nothing it started is running" "demo.sh's output on Ctrl-C"
assert_contains "$output" "sfcrimed: exiting with status 0" "the daemon's log on Ctrl-C"
assert_no_process_left "$run_dir"
pass "a second run right after: Ctrl-C stops the daemon and the broker, exit 0"
