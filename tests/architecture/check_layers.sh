#!/usr/bin/env bash
# The architecture test: every `#include "..."` of engine/, evaluator/ and plugins/ must be allowed
# by layers.txt (beside this script, or the file given second). Prints each violation as
# FILE:LINE: FOLDER may not include HEADER, and exits 1 if there is one.
# Usage: check_layers.sh PROJECT_ROOT [LAYERS_FILE]
set -euo pipefail
root=${1:?usage: check_layers.sh PROJECT_ROOT [LAYERS_FILE]}
layers=${2:-$(dirname "$0")/layers.txt}
[ -r "$layers" ] || { echo "check_layers: cannot read $layers" >&2; exit 2; }

declare -A allowed=()
while IFS= read -r line; do
  line=${line%%#*}
  [[ $line =~ ^[[:space:]]*$ ]] && continue
  folder=${line%%:*}
  folder=${folder//[[:space:]]/}
  allowed[$folder]=${line#*:}
done <"$layers"

# The longest folder of layers.txt that holds `path`; "" if none.
layer_of() {
  local path=$1 best="" f
  for f in "${!allowed[@]}"; do
    if [[ $path == "$f"/* && ${#f} -gt ${#best} ]]; then best=$f; fi
  done
  printf '%s' "$best"
}

violations=0
files=0
cd "$root"
while IFS= read -r file; do
  files=$((files + 1))
  layer=$(layer_of "$file")
  folder=$layer
  [ -n "$folder" ] || folder=$(dirname "$file")
  n=0
  while IFS= read -r text; do
    n=$((n + 1))
    [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
    inc=${BASH_REMATCH[1]}
    case $inc in engine/* | evaluator/* | plugins/* | tests/*) ;; *)
      echo "$file:$n: include \"$inc\" is not written from the project root"
      violations=$((violations + 1)); continue ;;
    esac
    [[ $inc == "$folder"/* ]] && continue
    ok=0
    if [ -n "$layer" ]; then
      for a in ${allowed[$layer]}; do
        if [[ $inc == "$a" || $inc == "$a"/* ]]; then ok=1; break; fi
      done
    fi
    if [ $ok = 0 ]; then
      if [ -n "$layer" ]; then
        echo "$file:$n: $layer may not include \"$inc\" (allowed: $(echo ${allowed[$layer]:-nothing outside itself}); tests/architecture/layers.txt)"
      else
        echo "$file:$n: $folder has no line in tests/architecture/layers.txt, so it may not include \"$inc\""
      fi
      violations=$((violations + 1))
    fi
  done <"$file"
done < <(find engine evaluator plugins -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.cu' \) | sort)

if [ $violations -gt 0 ]; then
  echo "check_layers: $violations forbidden include(s) in $files files"
  exit 1
fi
echo "check_layers: $files files, every include allowed"
