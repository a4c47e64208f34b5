#!/usr/bin/env bash
# Style and static checks, as scripts/test.sh runs them: clang-format (no diff allowed),
# clang-tidy (.clang-tidy; no warning allowed) on the C++ sources, shellcheck on the
# shell scripts. Needs a configured build/debug (for compile_commands.json).
#
# Usage: scripts/lint.sh [--fix]   (--fix: let clang-format rewrite the files)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SFCRIMED_ROOT"

fix=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --fix) fix=true && shift ;;
    -h | --help) header_help && exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

mapfile -t cxx < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.hpp' '*.c')
mapfile -t shell < <(git ls-files --cached --others --exclude-standard -- '*.sh' .ci/run)
failed=()

if $fix; then
  clang-format -i "${cxx[@]}"
fi
clang-format --dry-run -Werror "${cxx[@]}" || failed+=(clang-format)

[[ -f build/debug/compile_commands.json ]] || die "no build/debug/compile_commands.json; run scripts/setup.sh --preset debug first"
mapfile -t units < <(printf '%s\n' "${cxx[@]}" | grep -E '\.cpp$')
# About 10 s a unit on each core; units found clean before with the same text, flags and
# checks are not checked again (the cache is outside the clone: scripts/lib/clang_tidy_cached.py).
python3 scripts/lib/clang_tidy_cached.py "$SFCRIMED_ROOT" build/debug "$SFCRIMED_CACHE_HOME/clang-tidy" "${units[@]}" ||
  failed+=(clang-tidy)

shellcheck "${shell[@]}" || failed+=(shellcheck)

[[ ${#failed[@]} -eq 0 ]] || die "lint failed: ${failed[*]}"
say "clang-format, clang-tidy and shellcheck: clean (${#cxx[@]} C/C++ files, ${#shell[@]} shell scripts)"
