#!/usr/bin/env bash
# The architecture test must fail where it should: a tree with one allowed include and three
# forbidden ones (a lower layer including a higher one, an include not written from the root, a
# folder with no line in layers.txt) gives exactly those three, by file and line, and exit 1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/engine/game" "$tmp/engine/search" "$tmp/engine/mystery" "$tmp/evaluator" "$tmp/plugins"
printf '#pragma once\n#include "engine/search/search.h"\n' >"$tmp/engine/game/board.h"
printf '#include "engine/game/board.h"\n#include <vector>\n#include "evaluator/evaluator.h"\n' >"$tmp/engine/search/search.h"
printf '// x\n#include "search.h"\n' >"$tmp/engine/search/tree.cpp"
printf '#include "engine/game/board.h"\n' >"$tmp/engine/mystery/thing.cpp"
status=0
out=$("$here/check_layers.sh" "$tmp" "$here/layers.txt") || status=$?
fail() { echo "FAIL: $1"; echo "--- output:"; echo "$out"; exit 1; }
[ "$status" = 1 ] || fail "exit status $status, expected 1"
grep -q '^engine/game/board.h:2: engine/game may not include "engine/search/search.h"' <<<"$out" || fail "upward include not named"
grep -q '^engine/search/tree.cpp:2: include "search.h" is not written from the project root' <<<"$out" || fail "relative include not named"
grep -q '^engine/mystery/thing.cpp:1: engine/mystery has no line' <<<"$out" || fail "unknown folder not named"
grep -q 'search.h:[13]' <<<"$out" && fail "an allowed include was refused"
[ "$(grep -c '^engine/' <<<"$out")" = 3 ] || fail "expected exactly 3 violations"
# And the real tree passes.
"$here/check_layers.sh" "$here/../.." "$here/layers.txt"
echo "1 passed, 0 failed"
