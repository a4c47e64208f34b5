#!/usr/bin/env bash
# Installs sfcrimed as a systemd service: builds the release preset when needed
# (scripts/setup.sh), runs `cmake --install`, then fits the installed unit and ini to the
# prefix and points the ini's [ingest] file at /var/lib/sfcrimed/calls.json (the unit's
# StateDirectory). Where things go (PREFIX /usr | other, the GNU convention otherwise):
#   the daemon          PREFIX/bin/sfcrimed
#   the configuration   /etc/sfcrimed/sfcrimed.ini | PREFIX/etc/sfcrimed/sfcrimed.ini
#   its credentials     credentials.ini beside it (mode 0600, empty; never overwritten)
#   the unit            /lib/systemd/system/ | PREFIX/lib/systemd/system/sfcrimed.service
#   and its template    the same directory: sfcrimed@.service (several instances a host)
#   data                PREFIX/share/sfcrimed/ (radio_codes.json, prometheus/)
#   documentation       PREFIX/share/doc/sfcrimed/
# Running it again gives the same result; an ini edited since the last install is kept,
# and the new one is put beside it as sfcrimed.ini.dist.
#
# Usage: scripts/install.sh [--prefix P] [--destdir D] [--preset NAME] [--build-dir DIR]
#   --prefix P       installation prefix (default /usr/local)
#   --destdir D      stage everything under D (for packaging or testing); nothing is
#                    installed on this machine and no root is needed
#   --preset NAME    the CMake preset to build and install from (default release)
#   --build-dir DIR  install from this build directory, built already, instead of
#                    building a preset (default: $SFCRIMED_BUILD_DIR when set)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  header_help
  exit "${1:-0}"
}

prefix=/usr/local
destdir=
preset=release
build_dir=${SFCRIMED_BUILD_DIR:-}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix | --destdir | --preset | --build-dir)
      [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see scripts/install.sh --help)"
      case "$1" in
        --prefix) prefix=$2 ;;
        --destdir) destdir=$2 ;;
        --preset) preset=$2 ;;
        --build-dir) build_dir=$2 ;;
      esac
      shift 2
      ;;
    -h | --help) usage ;;
    *) say "unknown argument '$1'" && usage 2 ;;
  esac
done
[[ $prefix == /* ]] || die "--prefix must be an absolute path, not '$prefix'"
prefix=${prefix%/}
[[ -n $prefix ]] || die "--prefix / would put the daemon in /bin; use --prefix /usr"
if [[ -n $destdir ]]; then
  mkdir -p "$destdir"
  destdir=$(cd "$destdir" && pwd)
fi

# The directories this run writes, as the system will see them.
if [[ $prefix == /usr ]]; then sysconf_dir=/etc/sfcrimed; else sysconf_dir=$prefix/etc/sfcrimed; fi
state_dir=/var/lib/sfcrimed

# existing_ancestor PATH: PATH or its nearest parent that exists.
existing_ancestor() {
  local path=$1
  while [[ ! -e $path ]]; do path=$(dirname "$path"); done
  echo "$path"
}

# Without DESTDIR this writes into the system: refuse before building anything unless
# every place it writes can be written.
if [[ -z $destdir && $(id -u) -ne 0 ]]; then
  for dir in "$prefix" "$sysconf_dir"; do
    ancestor=$(existing_ancestor "$dir")
    [[ -w $ancestor ]] || die "cannot write $dir ($ancestor is not writable by $(id -un)): run as root (sudo scripts/install.sh ...), choose a --prefix you can write, or stage with --destdir"
  done
fi

# The build to install from.
if [[ -n $build_dir ]]; then
  [[ -x $build_dir/daemon/sfcrimed ]] || die "no built daemon in $build_dir (expected $build_dir/daemon/sfcrimed); build it first or drop --build-dir"
else
  build_dir=$SFCRIMED_ROOT/build/$preset
  if [[ -x $build_dir/daemon/sfcrimed ]]; then
    # Brings an existing build up to date; quick when it is.
    cmake --build "$build_dir" >"$build_dir/install-build.log" 2>&1 ||
      die "building $build_dir failed; see $build_dir/install-build.log"
  else
    "$SFCRIMED_ROOT/scripts/setup.sh" --preset "$preset"
  fi
fi
build_dir=$(cd "$build_dir" && pwd)

# An ini the operator has edited survives: set it aside now, put it back afterwards.
kept_ini=
if [[ -f $destdir$sysconf_dir/sfcrimed.ini ]]; then
  kept_ini=$(mktemp)
  cp -p "$destdir$sysconf_dir/sfcrimed.ini" "$kept_ini"
fi
trap '[[ -z $kept_ini ]] || rm -f "$kept_ini"' EXIT

say "installing from $build_dir into ${destdir:+$destdir (DESTDIR) + }$prefix"
DESTDIR=$destdir cmake --install "$build_dir" --prefix "$prefix" >"$build_dir/install.log" ||
  die "cmake --install failed; its output is in $build_dir/install.log"

# Where cmake put each file, as the system will see it (install_manifest.txt lists them
# without DESTDIR), so the rewrites follow the build's GNUInstallDirs settings rather than
# assume them.
manifest=$build_dir/install_manifest.txt
installed() { # installed SUFFIX: the one installed path that ends in SUFFIX
  local path
  path=$(grep -E -- "$1\$" "$manifest" | head -n 1)
  [[ -n $path ]] || die "cmake --install did not install *$1 (see $manifest)"
  echo "$path"
}
binary_path=$(installed /bin/sfcrimed)
unit_path=$(installed /sfcrimed.service)
template_path=$(installed /sfcrimed@.service)
ini_path=$(installed /sfcrimed.ini)
doc_dir=$(dirname "$(dirname "$(installed /systemd/README.md)")")
[[ $ini_path == "$sysconf_dir/sfcrimed.ini" ]] || die "the ini went to $ini_path, expected $sysconf_dir/sfcrimed.ini"
# And where they are now.
unit=$destdir$unit_path
template=$destdir$template_path
ini=$destdir$ini_path

# The units as shipped name /usr/bin/sfcrimed, /etc/sfcrimed/sfcrimed.ini and
# /usr/share/doc/sfcrimed, and the template its instances' files in /etc/sfcrimed/instances;
# make them this prefix's. The template's ExecStart= is the unit's, then its instance's
# name and options, which the rewrite keeps.
for file in "$unit" "$template"; do
  sed -i -e "s|^ExecStart=/usr/bin/sfcrimed --config /etc/sfcrimed/sfcrimed.ini|ExecStart=$binary_path --config $ini_path|" \
    -e "s|^EnvironmentFile=/etc/sfcrimed/|EnvironmentFile=$sysconf_dir/|" \
    -e "s|^LoadCredential=credentials.ini:/etc/sfcrimed/|LoadCredential=credentials.ini:$sysconf_dir/|" \
    -e "s|file:/usr/share/doc/sfcrimed/|file:$doc_dir/|g" "$file"
done
grep -qxF "ExecStart=$binary_path --config $ini_path" "$unit" ||
  die "could not set ExecStart in $unit: systemd/sfcrimed.service and this script disagree"
{ grep -q "^ExecStart=$binary_path --config $ini_path --pipeline\.instance %i " "$template" &&
  grep -qxF "EnvironmentFile=$sysconf_dir/instances/%i.env" "$template"; } ||
  die "could not set ExecStart and EnvironmentFile in $template: systemd/sfcrimed@.service and this script disagree"
for file in "$unit" "$template"; do
  grep -qxF "LoadCredential=credentials.ini:$sysconf_dir/credentials.ini" "$file" ||
    die "could not set LoadCredential in $file: systemd/$(basename "$file") and this script disagree"
done

# [ingest] file: the calls file in the service's state directory. Only that section's
# `file =`: any other section's (an optional log file) is left as shipped.
awk -v file="$state_dir/calls.json" '
  /^\[/ { section = $0 }
  section == "[ingest]" && /^file[ \t]*=/ { $0 = "file = " file }
  { print }' "$ini" >"$ini.tmp" && mv "$ini.tmp" "$ini"
chmod 0644 "$ini"
grep -qxF "file = $state_dir/calls.json" "$ini" || die "could not set [ingest] file in $ini"

if [[ -n $kept_ini ]] && ! cmp -s "$kept_ini" "$ini"; then
  cp "$ini" "$ini.dist"
  cp -p "$kept_ini" "$ini"
  say "kept your edited $ini_path; this version's is beside it as $ini_path.dist (compare them)"
fi

say "installed${destdir:+ (under $destdir)}:"
awk '{ print "  " $0 }' "$manifest" >&2

unit_dir=$(dirname "$unit_path")
if [[ -n $destdir ]]; then
  say "staged under $destdir: copy that tree onto the target machine (or package it), then follow systemd/README.md"
  exit 0
fi
case "$unit_dir" in
  /lib/systemd/system | /usr/lib/systemd/system | /usr/local/lib/systemd/system | /etc/systemd/system) ;;
  *) say "note: systemd does not look in $unit_dir; link the units first: systemctl link $unit_dir/sfcrimed.service $unit_dir/sfcrimed@.service" ;;
esac
cat >&2 <<EOF
Next steps:
  1. set [kafka] bootstrap in $ini_path (check it: $binary_path --config $ini_path --check-config)
  2. put the calls to replay in $state_dir/calls.json, e.g.
       install -d $state_dir && $binary_path sample --records 100000 --out $state_dir/calls.json
  3. systemctl daemon-reload
  4. systemctl enable --now sfcrimed
  5. systemctl status sfcrimed;  journalctl -u sfcrimed  (-p warning: problems only)
Or several instances in one group (sfcrimed@a, sfcrimed@b, ...), each with its options in
$sysconf_dir/instances/NAME.env: see "Several instances on one host" in
$doc_dir/systemd/README.md.
EOF
