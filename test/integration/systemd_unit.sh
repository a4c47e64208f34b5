#!/usr/bin/env bash
# systemd/sfcrimed.service and its template systemd/sfcrimed@.service without systemd as
# init: `systemd-analyze verify` accepts both, `systemd-analyze security --offline=yes`
# scores each at most 1.1 with exactly the known checks failing (so weakening any line of
# the hardening fails this test), the lines the daemon's contract depends on are in both,
# the template's settings are the unit's but for the three that make it an instance, and
# the template's command line gives the daemon its instance name and options.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
source_unit=$ROOT/systemd/sfcrimed.service
source_template=$ROOT/systemd/sfcrimed@.service
# The exposure systemd-analyze printed for the unit as committed (scale 0-10; 1.1 "OK").
max_exposure=1.1

# verify checks that ExecStart's program exists. With --root= it would look inside a
# staged tree, but then it also wants sysinit.target and /bin/kill (ExecReload=) in there;
# so the copies verified here run the daemon of this build, and are otherwise the units as
# shipped. (install_destdir checks the ExecStart= that install.sh writes.)
unit=$SCRATCH/sfcrimed.service
template=$SCRATCH/sfcrimed@.service
# systemd-analyze takes a template only by an instance's name: for sfcrimed@a.service it
# loads sfcrimed@.service from the same directory, with %i = a.
instance=$SCRATCH/sfcrimed@a.service
for shipped in "$source_unit" "$source_template"; do
  sed "s|^ExecStart=/usr/bin/sfcrimed |ExecStart=$BUILD_DIR/daemon/sfcrimed |" "$shipped" >"$SCRATCH/$(basename "$shipped")"
done
exec_start="ExecStart=$BUILD_DIR/daemon/sfcrimed --config /etc/sfcrimed/sfcrimed.ini"
grep -qxF "$exec_start" "$unit" || fail "the unit's ExecStart= is not /usr/bin/sfcrimed --config /etc/sfcrimed/sfcrimed.ini"
# The same command, then the instance's name and options; install.sh's rewrite of the
# unit's ExecStart= fits it too. $SFCRIMED_OPTIONS is the unit's text, not the shell's.
# shellcheck disable=SC2016
grep -qxF "$exec_start"' --pipeline.instance %i $SFCRIMED_OPTIONS' "$template" ||
  fail "the template's ExecStart= is not the unit's followed by --pipeline.instance %i \$SFCRIMED_OPTIONS"
for checked in "$unit" "$instance"; do
  assert_status 0 "systemd-analyze verify $(basename "$checked")" systemd-analyze verify "$checked"
  [[ -z $output ]] || fail "systemd-analyze verify $(basename "$checked") had something to say:"$'\n'"$output"
done
pass "systemd-analyze verify: no complaint about sfcrimed.service or sfcrimed@a.service"

# security_report UNIT: the exposure score, then the checks it fails, one a line.
security_report() {
  local json text
  text=$(systemd-analyze security --offline=yes --no-pager "$1" 2>&1) || fail "systemd-analyze security failed:"$'\n'"$text"
  sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' <<<"$text"
  json=$(systemd-analyze security --offline=yes --json=short "$1")
  python3 -c 'import json, sys
for check in json.load(sys.stdin):
    if check["set"] is False:
        print(check["name"])' <<<"$json" | sort
}

# Each check the unit fails, and why it must.
expected_failing=$(sort <<'EOF'
DeviceAllow=
IPAddressDeny=
PrivateNetwork=
RestrictAddressFamilies=~AF_(INET|INET6)
RestrictAddressFamilies=~AF_UNIX
RootDirectory=/RootImage=
EOF
)
# DeviceAllow=: ProtectClock= itself allows reading the RTC.
# IPAddressDeny=, PrivateNetwork=, AF_INET: brokers may be anywhere; /metrics listens.
# AF_UNIX: the journal's stream and sd_notify's socket.
# RootDirectory=: it runs the host's libraries (librdkafka, Boost, OpenSSL).

for checked in "$unit" "$instance"; do
  report=$(security_report "$checked")
  exposure=$(head -n 1 <<<"$report")
  failing=$(tail -n +2 <<<"$report")
  name=$(basename "$checked")
  [[ -n $exposure ]] || fail "$name: no exposure level in systemd-analyze security's report"
  python3 -c "import sys; sys.exit(not float('$exposure') <= $max_exposure)" ||
    fail "$name: exposure $exposure, above $max_exposure: the hardening was weakened"
  [[ $failing == "$expected_failing" ]] ||
    fail "systemd-analyze security: the checks $name fails changed:"$'\n'"$(diff <(echo "$expected_failing") <(echo "$failing"))"
  pass "systemd-analyze security $name: exposure $exposure (at most $max_exposure), failing only the $(wc -l <<<"$failing") known checks"
done

# The check bites: the same unit without two of its lines fails it.
sed '/^MemoryDenyWriteExecute=/d; /^ProtectKernelTunables=/d' "$unit" >"$SCRATCH/weakened.service"
weakened=$(security_report "$SCRATCH/weakened.service" | tail -n +2)
[[ $weakened != "$expected_failing" ]] || fail "removing MemoryDenyWriteExecute= and ProtectKernelTunables= went unnoticed"
assert_contains "$weakened" "MemoryDenyWriteExecute=" "the weakened unit's failing checks"
pass "a weakened copy is caught ($(wc -l <<<"$weakened") failing checks)"

# What the daemon's behaviour relies on, which neither tool checks. $MAINPID is the
# literal text of the unit, not a shell variable.
for checked in "$unit" "$template"; do
  name=$(basename "$checked")
  # shellcheck disable=SC2016
  for line in 'Type=notify' 'NotifyAccess=main' 'Restart=on-failure' 'KillMode=mixed' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'StateDirectory=sfcrimed' 'LogsDirectory=sfcrimed' \
    'DynamicUser=yes' 'SyslogLevelPrefix=yes' 'WantedBy=multi-user.target' \
    'After=network-online.target' 'Wants=network-online.target'; do
    grep -qxF -- "$line" "$checked" || fail "$name lacks '$line'"
  done
  grep -qE '^RestartPreventExitStatus=(.* )?78( |$)' "$checked" || fail "$name would restart on exit 78 (a bad configuration)"
  # The daemon bounds its graceful stop at 20 s; systemd must wait longer before SIGKILL.
  stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$checked")
  [[ -n $stop && $stop -gt 20 ]] || fail "$name: TimeoutStopSec=${stop:-?}s does not exceed the daemon's 20 s graceful stop"
done
pass "notify, restart, stop and directory settings as the daemon expects, in both units"

# The template repeats the unit's settings (systemd has no include): the same lines in the
# same sections and order, comments aside, but for the three that make it an instance.
settings() { grep -Ev '^(#|$)|^(Description|EnvironmentFile|ExecStart)=' "$1"; }
[[ $(settings "$source_template") == "$(settings "$source_unit")" ]] ||
  fail "sfcrimed@.service's settings are no longer sfcrimed.service's (< the unit, > the template):"$'\n'"$(
    diff <(settings "$source_unit") <(settings "$source_template"))"
! grep -q '^EnvironmentFile=' "$source_unit" || fail "sfcrimed.service reads an EnvironmentFile="
for key in Description EnvironmentFile ExecStart; do
  [[ $(grep -c "^$key=" "$source_template") -eq 1 ]] || fail "sfcrimed@.service has not exactly one $key="
done
grep -qxF 'EnvironmentFile=/etc/sfcrimed/instances/%i.env' "$source_template" ||
  fail "sfcrimed@.service does not read /etc/sfcrimed/instances/%i.env: $(grep '^EnvironmentFile=' "$source_template")"
assert_contains "$(grep '^Description=' "$source_template")" "%i" "the template's Description="
pass "sfcrimed@.service has sfcrimed.service's $(settings "$source_unit" | wc -l) other lines, the same, in the same order"

# The command systemd runs for sfcrimed@b, given the instance file systemd/README.md
# shows (one more port, no ingest): %i replaced by the instance name, $SFCRIMED_OPTIONS by
# its words, the ini by the tree's. The options override the shared ini's settings.
printf '%s\n' '# sfcrimed@b only counts' 'SFCRIMED_OPTIONS=--metrics.listen 127.0.0.1:9466 --ingest.enabled false' \
  >"$SCRATCH/b.env"
read -r -a options < <(sed -n 's/^SFCRIMED_OPTIONS=//p' "$SCRATCH/b.env")
read -r -a command < <(sed -n 's/^ExecStart=//p' "$template")
words=()
# shellcheck disable=SC2016 # the unit's $SFCRIMED_OPTIONS, as written
for word in "${command[@]}"; do
  case "$word" in
    %i) words+=(b) ;;
    /etc/sfcrimed/sfcrimed.ini) words+=("$ROOT/etc/sfcrimed.ini") ;;
    '$SFCRIMED_OPTIONS') words+=("${options[@]}") ;;
    *) words+=("$word") ;;
  esac
done
assert_status 0 "sfcrimed@b's command line with --print-config" "${words[@]}" --print-config
effective=$stdout
for expected in '[pipeline] instance = b' '[metrics] listen = 127.0.0.1:9466' '[ingest] enabled = false'; do
  section=${expected%% *}
  awk -v s="$section" '/^\[/ { in_s = ($0 == s) } in_s' <<<"$effective" | grep -qxF -- "${expected#* }" ||
    fail "sfcrimed@b's effective configuration lacks $expected:"$'\n'"$effective"
done
assert_status 0 "sfcrimed@b's command line with --check-config" "${words[@]}" --check-config
pass "sfcrimed@b's command line: instance b, its own port, no ingest; the configuration is valid"
