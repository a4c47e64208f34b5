#!/usr/bin/env bash
# systemd/sfcrimed.service without systemd as init: `systemd-analyze verify` accepts it,
# `systemd-analyze security --offline=yes` scores its exposure at most 1.1 with exactly
# the known checks failing (so weakening any line of the hardening fails this test), and
# the lines the daemon's contract depends on are there.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
source_unit=$ROOT/systemd/sfcrimed.service
# The exposure systemd-analyze printed for the unit as committed (scale 0-10; 1.1 "OK").
max_exposure=1.1

# verify checks that ExecStart's program exists. With --root= it would look inside a
# staged tree, but then it also wants sysinit.target and /bin/kill (ExecReload=) in there;
# so the copy verified here runs the daemon of this build, and is otherwise the unit as
# shipped. (install_destdir checks the ExecStart= that install.sh writes.)
unit=$SCRATCH/sfcrimed.service
sed "s|^ExecStart=/usr/bin/sfcrimed |ExecStart=$BUILD_DIR/daemon/sfcrimed |" "$source_unit" >"$unit"
grep -q "^ExecStart=$BUILD_DIR/daemon/sfcrimed --config " "$unit" || fail "the unit's ExecStart= is not /usr/bin/sfcrimed --config ..."
assert_status 0 "systemd-analyze verify" systemd-analyze verify "$unit"
[[ -z $output ]] || fail "systemd-analyze verify had something to say:"$'\n'"$output"
pass "systemd-analyze verify: no complaint"

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

report=$(security_report "$unit")
exposure=$(head -n 1 <<<"$report")
failing=$(tail -n +2 <<<"$report")
[[ -n $exposure ]] || fail "no exposure level in systemd-analyze security's report"
python3 -c "import sys; sys.exit(not float('$exposure') <= $max_exposure)" ||
  fail "exposure $exposure, above $max_exposure: the hardening was weakened"
[[ $failing == "$expected_failing" ]] ||
  fail "systemd-analyze security: the checks the unit fails changed:"$'\n'"$(diff <(echo "$expected_failing") <(echo "$failing"))"
pass "systemd-analyze security: exposure $exposure (at most $max_exposure), failing only the $(wc -l <<<"$failing") known checks"

# The check bites: the same unit without two of its lines fails it.
sed '/^MemoryDenyWriteExecute=/d; /^ProtectKernelTunables=/d' "$unit" >"$SCRATCH/weakened.service"
weakened=$(security_report "$SCRATCH/weakened.service" | tail -n +2)
[[ $weakened != "$expected_failing" ]] || fail "removing MemoryDenyWriteExecute= and ProtectKernelTunables= went unnoticed"
assert_contains "$weakened" "MemoryDenyWriteExecute=" "the weakened unit's failing checks"
pass "a weakened copy is caught ($(wc -l <<<"$weakened") failing checks)"

# What the daemon's behaviour relies on, which neither tool checks. $MAINPID is the
# literal text of the unit, not a shell variable.
# shellcheck disable=SC2016
for line in 'Type=notify' 'NotifyAccess=main' 'Restart=on-failure' 'KillMode=mixed' \
  'ExecReload=/bin/kill -HUP $MAINPID' 'StateDirectory=sfcrimed' 'LogsDirectory=sfcrimed' \
  'DynamicUser=yes' 'SyslogLevelPrefix=yes' 'WantedBy=multi-user.target' \
  'After=network-online.target' 'Wants=network-online.target'; do
  grep -qxF -- "$line" "$unit" || fail "the unit lacks '$line'"
done
grep -qE '^RestartPreventExitStatus=(.* )?78( |$)' "$unit" || fail "the unit would restart on exit 78 (a bad configuration)"
# The daemon bounds its graceful stop at 20 s; systemd must wait longer before SIGKILL.
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
[[ -n $stop && $stop -gt 20 ]] || fail "TimeoutStopSec=${stop:-?}s does not exceed the daemon's 20 s graceful stop"
pass "notify, restart, stop and directory settings as the daemon expects"
