#!/usr/bin/env bash
# check.sh - hygiene a contributor runs before pushing.
#
#   bash tools/dev/check.sh            check the whole tree
#   bash tools/dev/check.sh --fix      reformat instead of reporting
#
# 1. Formatting: every C/C++ source is clang-format clean (.clang-format:
#    LLVM style). Generated and vendored files are not ours to format.
# 2. Duplication: tools/dev/find_duplicates.py lists places that share six
#    or more lines (normalized: names and numbers kept, whitespace ignored)
#    so that copy-paste is seen before it lands. It reports; a reviewer
#    decides.
# Exit status: 0 clean, 1 formatting problems (or a missing clang-format).
set -euo pipefail
cd "$(dirname "$0")/../.."

fix=0
[ "${1:-}" = "--fix" ] && fix=1

CLANG_FORMAT=${CLANG_FORMAT:-$(command -v clang-format || true)}
if [ -z "$CLANG_FORMAT" ]; then
  echo "check: clang-format not found (tools/dev/setup.sh installs it)" >&2
  exit 1
fi

mapfile -t sources < <(git ls-files '*.c' '*.cpp' '*.h' | grep -v '^test/fuzz/seeds/')
status=0
if [ $fix -eq 1 ]; then
  "$CLANG_FORMAT" -i "${sources[@]}"
  echo "check: formatted ${#sources[@]} files"
else
  bad=()
  for f in "${sources[@]}"; do
    "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -ne 0 ]; then
    echo "check: ${#bad[@]} file(s) need clang-format (bash tools/dev/check.sh --fix):"
    printf '  %s\n' "${bad[@]}"
    status=1
  else
    echo "check: formatting ok (${#sources[@]} files)"
  fi
fi

python3 tools/dev/find_duplicates.py "${sources[@]}"
exit $status
