#!/usr/bin/env bash
# The live page of a running daemon, replaying a sample into the shared broker:
#   - in headless Chromium (Debian's, driven by playwright-core from npm), the page connects
#     to its event stream and shows non-zero counts that then grow, its charts and tables
#     drawn, no error logged (test/browser/live_page.mjs); a screenshot in the build tree;
#   - once the replay is counted, /api/stats equals `sfcrimed stats --json`, the totals
#     read back from the stats and dead-letter topics;
#   - the daemon then stops on SIGTERM with status 0, its page's stream closed.
# All of it through HTTPS and basic authentication (metrics.tls_certificate, metrics.users),
# as on a network: the browser with its credentials, and without them it gets 401.
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
endpoint_tls "$SCRATCH/tls"
user=watcher
password="live page $RANDOM$RANDOM"
endpoint_user "$SCRATCH/users" "$user" "$password"
"$sfcrimed" --kafka.bootstrap "$bootstrap" --kafka.topic "$topic" --pipeline.group "g-$topic" \
  --ingest.file "$SCRATCH/calls.json" --ingest.rate 250 --pipeline.commit_interval 200ms \
  --pipeline.emit_interval 1s --metrics.listen "127.0.0.1:$port" --metrics.tls_certificate "$SCRATCH/tls/server.crt" \
  --metrics.tls_key "$SCRATCH/tls/server.key" --metrics.users "$SCRATCH/users" \
  >"$SCRATCH/daemon.out" 2>"$SCRATCH/daemon.err" &
daemon=$!
stop_on_exit "$daemon"
base=https://127.0.0.1:$port
# For live.py (Python's urllib) and live_page.mjs (Chromium): the name and password.
export LIVE_CA=$SCRATCH/tls/ca.crt LIVE_USER=$user LIVE_PASSWORD=$password

cat >"$SCRATCH/live.py" <<'PY'
"""live.py BASE --ready SECONDS: waits until BASE/readyz answers 200.
live.py BASE --counted N SECONDS SFCRIMED BOOTSTRAP TOPIC: waits until the page's state has
consumed N records with no lag, then until /api/stats equals `sfcrimed stats --json`.
Over HTTPS, trusting the authority LIVE_CA, as LIVE_USER with LIVE_PASSWORD."""
import base64, json, os, ssl, subprocess, sys, time, urllib.error, urllib.request

base, what = sys.argv[1], sys.argv[2]
tls = ssl.create_default_context(cafile=os.environ["LIVE_CA"])
credentials = base64.b64encode(("%s:%s" % (os.environ["LIVE_USER"], os.environ["LIVE_PASSWORD"])).encode()).decode()

def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Basic " + credentials})
    with urllib.request.urlopen(request, timeout=5, context=tls) as answer:
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
assert_status 0 "the page is served" curl -fsS --cacert "$LIVE_CA" -u "$user:$password" "$base/"
assert_contains "$stdout" '<script src="/live.js">' "the page"
for path in / /live.js /api/live /api/stats /api/events /metrics /healthz /readyz /nope; do
  status=$(http_status "$base$path" --cacert "$LIVE_CA" --max-time 5)
  [[ $status == 401 ]] || fail "$path without credentials: $status, expected 401"
  status=$(http_status "$base$path" --cacert "$LIVE_CA" --max-time 5 -u "$user:wrong")
  [[ $status == 401 ]] || fail "$path with a wrong password: $status, expected 401"
done
assert_contains "$(cat "$SCRATCH/daemon.err")" "the live page: $base/" "the daemon's start-up line"
pass "HTTPS with basic authentication: every path 401 without the password or with a wrong one"

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
