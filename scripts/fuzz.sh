#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each (default 10s).
# A target is any "func FuzzXxx(f *testing.F)" in a _test.go file.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-10s}
export GOFLAGS=-buildvcs=false
found=0
while IFS=: read -r file _ line; do
  name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]+).*/\1/' <<<"$line")
  pkg=$(dirname "$file")
  echo "== fuzz $pkg $name for $t"
  go test -run='^$' -fuzz="^${name}\$" -fuzztime="$t" "$pkg"
  found=$((found+1))
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . | grep -v '^./bench/' | sort)
echo "fuzz: $found targets ran for $t each"
