#!/usr/bin/env python3
"""clang-tidy over the given translation units, skipping those found clean before.

scripts/lint.sh runs it. A unit's key is the SHA-256 of clang-tidy's version, every
.clang-tidy file of the clone and the unit's preprocessed text (its compile command from
compile_commands.json with -E -P, paths taken relative to the clone), so any change to
the unit, a header it includes, a flag or a check runs it again. Only clean results are
kept: a unit with a warning is checked on every run. The cache lives outside the clone
($SFCRIMED_CACHE_HOME/clang-tidy), so that a fresh clone of the same sources reuses it.

Usage: clang_tidy_cached.py ROOT BUILD_DIR CACHE_DIR UNIT...
Prints clang-tidy's output for the units it ran; exits 1 when any has a warning or error.
"""

import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys

JOBS = 2  # the machine's cores; clang-tidy takes about 10 s a unit


def checks_fingerprint(root):
    digest = hashlib.sha256(subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True).stdout.encode())
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in (".git", "build", ".cache", ".run", "node_modules"))
        if ".clang-tidy" in files:
            path = os.path.join(folder, ".clang-tidy")
            digest.update(os.path.relpath(path, root).encode())
            digest.update(open(path, "rb").read())
    return digest.hexdigest()


def preprocess_command(entry, root):
    args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-o", "-MF", "-MT", "-MQ"):  # the object and the depfile: not ours to write
            skip = True
        elif arg not in ("-c", "-MD", "-MMD"):
            out.append(arg)
    return out + ["-E", "-P", f"-fmacro-prefix-map={root}=.", "-o", "-"]


def unit_key(entry, root, fingerprint):
    text = subprocess.run(preprocess_command(entry, root), cwd=entry["directory"], capture_output=True, check=True).stdout
    text = text.replace(root.encode(), b".")  # paths that reach the text otherwise (include names)
    return hashlib.sha256(fingerprint.encode() + os.path.relpath(entry["file"], root).encode() + text).hexdigest()


def tidy(unit, build_dir):
    done = subprocess.run(["clang-tidy", "-p", build_dir, "--quiet", unit], capture_output=True, text=True)
    return done.stdout


def main():
    root, build_dir, cache_dir, units = os.path.realpath(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    entries = {os.path.realpath(e["file"]): e for e in json.load(open(os.path.join(build_dir, "compile_commands.json")))}
    fingerprint = checks_fingerprint(root)
    os.makedirs(cache_dir, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
        keyed = {u: pool.submit(unit_key, entries[os.path.realpath(u)], root, fingerprint)
                 for u in units if os.path.realpath(u) in entries}
        keys = {u: f.result() for u, f in keyed.items()}
        todo = [u for u in units if u not in keys or not os.path.exists(os.path.join(cache_dir, keys[u]))]
        outputs = dict(zip(todo, pool.map(lambda u: tidy(u, build_dir), todo)))
    failed = False
    for unit, output in outputs.items():
        if re.search(r"(warning|error):", output):
            sys.stdout.write(output)
            failed = True
        elif unit in keys:
            open(os.path.join(cache_dir, keys[unit]), "w").close()
    print(f"clang-tidy: {len(todo)} of {len(units)} units checked, {len(units) - len(todo)} found clean before "
          f"({cache_dir})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
