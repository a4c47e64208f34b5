#!/usr/bin/env bash
# The live page of a running daemon, replaying a sample into the shared broker:
#   - in headless Chromium (Debian's, driven by playwright-core from npm), the page connects
#     to its event stream and shows non-zero counts that then grow, its charts and tables
#     drawn, no error logged (test/browser/live_page.mjs); a screenshot in the build tree;
#   - once the replay is counted, /api/stats equals `sfcrimed stats --json`, the totals
#     read back from the stats and dead-letter topics;
#   - the daemon then stops on SIGTERM with status 0, its page's stream closed.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bootstrap=$(<"${SFCRIMED_SHARED_BROKER_DIR:?}/bootstrap")
sfcrimed=$BUILD_DIR/daemon/sfcrimed
topic=live-page-$$-$RANDOM
records=4000
chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || fail "no $chromium (scripts/setup.sh installs Debian's chromium)"

# The browser's driver, from npm into the build tree: once, and from npm's cache after.
driver=$BUILD_DIR/browser-test
if ! cmp -s "$ROOT/test/browser/package-lock.json" "$driver/package-lock.json" ||
  [[ ! -d $driver/node_modules/playwright-core ]]; then
  rm -rf "$driver" && mkdir -p "$driver"
  cp "$ROOT/test/browser/package.json" "$ROOT/test/browser/package-lock.json" "$driver/"
  (cd "$driver" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error) ||
    fail "npm ci of test/browser (playwright-core) failed"
fi
cp "$ROOT/test/browser/live_page.mjs" "$driver/"  # where Node finds playwright-core

# 4,000 calls at 250/s: 16 s of replay, so the page sees the counts grow.
"$sfcrimed" sample --records "$records" --seed 11 --out "$SCRATCH/calls.json" >/dev/null
port=$(free_ports 1)
"$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --pipeline.group "g-$topic" \
  --ingest.file "$SCRATCH/calls.json" --ingest.rate 250 --pipeline.commit_interval 200ms \
  --pipeline.emit_interval 1s --metrics.listen "127.0.0.1:$port" >"$SCRATCH/daemon.out" 2>"$SCRATCH/daemon.err" &
daemon=$!
stop_on_exit "$daemon"
base=http://127.0.0.1:$port

cat >"$SCRATCH/live.py" <<'PY'
"""live.py BASE --ready SECONDS: waits until BASE/readyz answers 200.
live.py BASE --counted N SECONDS SFCRIMED BOOTSTRAP TOPIC: waits until the page's state has
consumed N records with no lag, then until /api/stats equals `sfcrimed stats --json`."""
import json, subprocess, sys, time, urllib.error, urllib.request

base, what = sys.argv[1], sys.argv[2]

def get(path):
    with urllib.request.urlopen(base + path, timeout=5) as answer:
        return answer.read().decode()

def until(seconds, done, describe):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if done():
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    sys.exit("after %s s: %s" % (seconds, describe()))

if what == "--ready":
    until(float(sys.argv[3]), lambda: get("/readyz") == "ready\n", lambda: "not ready")
    sys.exit(0)

n, seconds, sfcrimed, bootstrap, topic = int(sys.argv[3]), float(sys.argv[4]), *sys.argv[5:8]
state = {}
def counted():
    state.update(json.loads(get("/api/live")))
    p = state["pipeline"]
    return p["consumed"] >= n and p["lag"] == 0
until(seconds, counted, lambda: "the page's state: %s" % json.dumps(state.get("pipeline")))

last = {}
def equal():
    page = json.loads(get("/api/stats"))
    topics = json.loads(subprocess.run([sfcrimed, "stats", "--bootstrap", bootstrap, "--topic", topic, "--json"],
                                       check=True, capture_output=True, text=True).stdout)
    last.update(page=page, topics=topics)
    return page == topics
until(30, equal, lambda: "/api/stats and sfcrimed stats differ:\n%s\n%s" % (
    json.dumps(last.get("page"))[:2000], json.dumps(last.get("topics"))[:2000]))
page = last["page"]
if page["calls"] < n * 0.9:
    sys.exit("only %d calls counted of %d" % (page["calls"], n))
print("/api/stats equals sfcrimed stats: %d calls, %d crime types, %d dispositions, %d malformed"
      % (page["calls"], len(page["crime_types"]), len(page["dispositions"]), page["malformed"]))
PY

python3 "$SCRATCH/live.py" "$base" --ready 60 ||
  fail "the daemon was not ready; its log ends:"$'\n'"$(tail -n 5 "$SCRATCH/daemon.err")"
assert_status 0 "the page is served" python3 -c "import urllib.request as u; print(u.urlopen('$base/').read().decode())"
assert_contains "$stdout" '<script src="/live.js">' "the page"

screenshot=$BUILD_DIR/live_page.png
CHROMIUM=$chromium assert_status 0 "the page in headless Chromium" node "$driver/live_page.mjs" "$base/" "$screenshot"
pass "in Chromium: $(tr '\n' ' ' <<<"$stdout")"

assert_status 0 "the page's totals against the topics'" \
  python3 "$SCRATCH/live.py" "$base" --counted "$records" 90 "$sfcrimed" "$bootstrap" "$topic"
pass "$stdout"

kill -TERM "$daemon"
status=0
wait "$daemon" || status=$?
[[ $status -eq 0 ]] || fail "the daemon exited $status on SIGTERM; its log ends:"$'\n'"$(tail -n 5 "$SCRATCH/daemon.err")"
pass "the daemon stopped on SIGTERM with status 0"
