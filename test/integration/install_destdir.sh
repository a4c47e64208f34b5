#!/usr/bin/env bash
# scripts/install.sh staged into a DESTDIR, from this build (no release build, no root):
# every file lands where systemd/README.md says, the installed daemon runs and accepts the
# installed ini, the unit and its template start the installed daemon with that ini (the
# template's instances with their files in the prefix's configuration), a second run changes
# nothing, an edited ini survives a re-install, and a user who cannot write the prefix is
# refused before anything is built or written.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
install_sh=$ROOT/scripts/install.sh
stage=$SCRATCH/stage

# listing DIR: the files under DIR, relative to it, sorted.
listing() { (cd "$1" && find . -type f | sed 's|^\./||' | sort); }

# --- prefix /usr: the configuration in /etc, the unit in systemd's own directory.
assert_status 0 "install.sh --prefix /usr" "$install_sh" --prefix /usr --destdir "$stage" --build-dir "$BUILD_DIR"
unit_dir=$(pkg-config --variable=systemdsystemunitdir systemd)
unit_dir=${unit_dir#/}
expected="etc/sfcrimed/credentials.ini
etc/sfcrimed/sfcrimed.ini
$unit_dir/sfcrimed.service
$unit_dir/sfcrimed@.service
usr/bin/sfcrimed
usr/share/doc/sfcrimed/README.md
$(cd "$ROOT" && for doc in docs/*.md; do echo "usr/share/doc/sfcrimed/$doc"; done)
usr/share/doc/sfcrimed/systemd/README.md
usr/share/doc/sfcrimed/third-party/uPlot.LICENSE
usr/share/sfcrimed/radio_codes.json
$(cd "$ROOT/etc" && if [[ -d prometheus ]]; then find prometheus -type f | sed 's|^|usr/share/sfcrimed/|'; fi)"
expected=$(sed '/^$/d' <<<"$expected" | sort)
actual=$(listing "$stage")
[[ $actual == "$expected" ]] || fail "files staged for prefix /usr:"$'\n'"$actual"$'\n'"expected:"$'\n'"$expected"
pass "prefix /usr: $(wc -l <<<"$actual") files where documented"
# The data and documents are the tree's own, byte for byte.
cmp -s "$ROOT/etc/radio_codes.json" "$stage/usr/share/sfcrimed/radio_codes.json" || fail "radio_codes.json differs from etc/"
cmp -s "$ROOT/systemd/README.md" "$stage/usr/share/doc/sfcrimed/systemd/README.md" || fail "systemd/README.md differs"
[[ -x $stage/usr/bin/sfcrimed ]] || fail "the installed daemon is not executable"

unit=$stage/$unit_dir/sfcrimed.service
ini=$stage/etc/sfcrimed/sfcrimed.ini
exec_start=$(grep '^ExecStart=' "$unit")
[[ $exec_start == "ExecStart=/usr/bin/sfcrimed --config /etc/sfcrimed/sfcrimed.ini" ]] ||
  fail "prefix /usr: the unit says $exec_start"
# The template as shipped: its ExecStart= the unit's, then the instance's name and options
# ($SFCRIMED_OPTIONS is the unit's text, not the shell's).
template=$stage/$unit_dir/sfcrimed@.service
# shellcheck disable=SC2016
[[ $(grep '^ExecStart=' "$template") == "$exec_start"' --pipeline.instance %i $SFCRIMED_OPTIONS' ]] ||
  fail "prefix /usr: the template says $(grep '^ExecStart=' "$template")"
[[ $(grep '^EnvironmentFile=' "$template") == "EnvironmentFile=/etc/sfcrimed/instances/%i.env" ]] ||
  fail "prefix /usr: the template says $(grep '^EnvironmentFile=' "$template")"
ingest_file=$(awk '/^\[/ { s = $0 } s == "[ingest]" && /^file[ \t]*=/' "$ini")
[[ $ingest_file == "file = /var/lib/sfcrimed/calls.json" ]] || fail "the installed ini's [ingest] file: '$ingest_file'"
for file in "$unit" "$template"; do
  grep -qxF "LoadCredential=credentials.ini:/etc/sfcrimed/credentials.ini" "$file" ||
    fail "prefix /usr: $(basename "$file") says $(grep '^LoadCredential=' "$file")"
done
[[ $(stat -c %a "$stage/etc/sfcrimed/credentials.ini") == 600 ]] ||
  fail "the credentials file is mode $(stat -c %a "$stage/etc/sfcrimed/credentials.ini"), not 600"
pass "prefix /usr: ExecStart, the template's EnvironmentFile, LoadCredential (a 0600 file) and [ingest] file point where the service expects them"

# --- the default prefix, /usr/local: everything under it (the GNU convention), and the
# unit names the installed daemon and ini.
stage=$SCRATCH/stage-local
assert_status 0 "install.sh, default prefix" "$install_sh" --destdir "$stage" --build-dir "$BUILD_DIR"
assert_contains "$output" "/usr/local/bin/sfcrimed" "install.sh's list of what it installed"
for file in usr/local/bin/sfcrimed usr/local/etc/sfcrimed/sfcrimed.ini usr/local/lib/systemd/system/sfcrimed.service \
  usr/local/lib/systemd/system/sfcrimed@.service usr/local/share/sfcrimed/radio_codes.json \
  usr/local/share/doc/sfcrimed/systemd/README.md; do
  [[ -f $stage/$file ]] || fail "prefix /usr/local: /$file not installed; staged: $(listing "$stage")"
done
! listing "$stage" | grep -qv '^usr/local/' || fail "prefix /usr/local put files outside it: $(listing "$stage")"
unit=$stage/usr/local/lib/systemd/system/sfcrimed.service
ini=$stage/usr/local/etc/sfcrimed/sfcrimed.ini
binary=$stage/usr/local/bin/sfcrimed
read -r -a exec_start < <(sed -n 's/^ExecStart=//p' "$unit")
[[ ${exec_start[*]} == "/usr/local/bin/sfcrimed --config /usr/local/etc/sfcrimed/sfcrimed.ini" ]] ||
  fail "prefix /usr/local: ExecStart=${exec_start[*]}"
assert_contains "$(grep '^Documentation=' "$unit")" "file:/usr/local/share/doc/sfcrimed/systemd/README.md" "the unit's Documentation="
# The template: the same daemon and ini, and its instances' files under the prefix too.
template=$stage/usr/local/lib/systemd/system/sfcrimed@.service
read -r -a template_start < <(sed -n 's/^ExecStart=//p' "$template")
# shellcheck disable=SC2016
[[ ${template_start[*]} == "${exec_start[*]}"' --pipeline.instance %i $SFCRIMED_OPTIONS' ]] ||
  fail "prefix /usr/local: the template's ExecStart=${template_start[*]}"
[[ $(grep '^EnvironmentFile=' "$template") == "EnvironmentFile=/usr/local/etc/sfcrimed/instances/%i.env" ]] ||
  fail "prefix /usr/local: the template says $(grep '^EnvironmentFile=' "$template")"
assert_contains "$(grep '^Documentation=' "$template")" "file:/usr/local/share/doc/sfcrimed/systemd/README.md" "the template's Documentation="
grep -qxF "LoadCredential=credentials.ini:/usr/local/etc/sfcrimed/credentials.ini" "$template" ||
  fail "prefix /usr/local: the template says $(grep '^LoadCredential=' "$template")"
pass "prefix /usr/local: ExecStart=${exec_start[*]}; the template's instances read /usr/local/etc/sfcrimed/instances/%i.env"

# The installed daemon runs; ExecStart's command line, read from the unit and moved into
# the stage, accepts the installed ini once its calls file exists.
assert_status 0 "installed sfcrimed --version" "$binary" --version
assert_contains "$stdout" "sfcrimed " "--version"
assert_status 0 "installed sfcrimed sample" "$binary" sample --records 10 --out "$SCRATCH/calls.json"
assert_status 0 "the unit's command line with --check-config" "$stage${exec_start[0]}" "${exec_start[1]}" \
  "$stage${exec_start[2]}" --ingest.file "$SCRATCH/calls.json" --check-config
assert_contains "$stdout" "configuration is valid" "--check-config"
# The template's too, for sfcrimed@a, its instance file's options in place of $SFCRIMED_OPTIONS.
assert_status 0 "sfcrimed@a's command line with --check-config" "$stage${template_start[0]}" "${template_start[1]}" \
  "$stage${template_start[2]}" "${template_start[3]}" a --metrics.listen 127.0.0.1:9465 \
  --ingest.file "$SCRATCH/calls.json" --check-config
assert_contains "$stdout" "configuration is valid" "sfcrimed@a's --check-config"
# Without the override it names the calls file the operator has yet to put in place:
# the exit status systemd must not restart on (RestartPreventExitStatus=).
assert_status 78 "--check-config without the calls file" "$binary" --config "$ini" --check-config
assert_contains "$output" "/var/lib/sfcrimed/calls.json" "--check-config without the calls file"
grep -qE '^RestartPreventExitStatus=.*\b78\b' "$unit" || fail "the unit restarts on exit status 78"
pass "the installed daemon runs and accepts the installed ini, by the unit's and sfcrimed@a's command lines; a missing calls file is exit 78"

# --- a second run changes nothing; an edited ini is kept, the new one put beside it.
before=$(cd "$stage" && find . -type f -exec md5sum {} + | sort)
assert_status 0 "install.sh, again" "$install_sh" --destdir "$stage" --build-dir "$BUILD_DIR"
after=$(cd "$stage" && find . -type f -exec md5sum {} + | sort)
[[ $after == "$before" ]] || fail "a second install changed the stage:"$'\n'"$(diff <(echo "$before") <(echo "$after"))"
echo "bootstrap = broker.example:9092 # edited" >>"$ini"
assert_status 0 "install.sh over an edited ini" "$install_sh" --destdir "$stage" --build-dir "$BUILD_DIR"
assert_contains "$output" "kept your edited /usr/local/etc/sfcrimed/sfcrimed.ini" "re-install over an edited ini"
[[ $(tail -n 1 "$ini") == "bootstrap = broker.example:9092 # edited" ]] || fail "the edited ini was overwritten"
grep -q '^file = /var/lib/sfcrimed/calls.json$' "$ini.dist" || fail "no rewritten $ini.dist beside the edited ini"
credentials=$stage/usr/local/etc/sfcrimed/credentials.ini
printf '[client]\nsasl.password = kept\n' >"$credentials"
assert_status 0 "install.sh over a filled-in credentials file" "$install_sh" --destdir "$stage" --build-dir "$BUILD_DIR"
[[ $(<"$credentials") == *"sasl.password = kept"* ]] || fail "a re-install overwrote the credentials file"
# Under systemd the daemon reads the credential after its --config files.
assert_status 0 "the credential read from \$CREDENTIALS_DIRECTORY" env CREDENTIALS_DIRECTORY="$(dirname "$credentials")" \
  "$binary" --config "$ini.dist" --ingest.file "$SCRATCH/calls.json" --print-config
assert_contains "$stdout" "(from $ini.dist, $credentials)" "--print-config under systemd"
assert_contains "$stdout" "sasl.password = ********" "--print-config under systemd"
pass "a second run changes nothing; an edited ini is kept (the new one as sfcrimed.ini.dist), and credentials.ini too"

# --- refusals: a bad argument, and a user who cannot write the prefix (as nobody when
# this runs as root, who can write anywhere).
assert_status 2 "install.sh --bogus" "$install_sh" --bogus
assert_contains "$output" "unknown argument '--bogus'" "install.sh --bogus"
# A prefix under /usr: only root may create it (and this test never does as root).
unwritable=/usr/lib/sfcrimed-install-test.$$
as_user=()
refused=$install_sh
if [[ $(id -u) -eq 0 ]]; then
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  # nobody may not reach this tree (a clone in a `mktemp -d` directory is private to its
  # owner): the two scripts the refusal runs, copied where nobody can read them.
  chmod 711 "$SCRATCH"
  mkdir -p "$SCRATCH/readable/scripts/lib"
  cp "$install_sh" "$SCRATCH/readable/scripts/"
  cp "$ROOT/scripts/lib/common.sh" "$SCRATCH/readable/scripts/lib/"
  chmod -R a+rX "$SCRATCH/readable"
  refused=$SCRATCH/readable/scripts/install.sh
fi
assert_status 1 "install.sh into a prefix it cannot write" "${as_user[@]}" env -u SFCRIMED_BUILD_DIR \
  bash "$refused" --prefix "$unwritable"
assert_contains "$output" "cannot write $unwritable (/usr/lib is not writable by" "the refusal"
assert_contains "$output" "run as root" "the refusal"
[[ ! -e $unwritable ]] || fail "the refused install created $unwritable"
pass "refused without root or DESTDIR, naming the directory and what to do"
