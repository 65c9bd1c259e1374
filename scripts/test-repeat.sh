#!/usr/bin/env bash
# test-repeat.sh REPEAT [PACKAGES...]
#
# Runs `go test -count=1 -json` over PACKAGES (default ./...) REPEAT times in
# a row while one busy loop per core (BUSY=n to choose, BUSY=0 for none)
# loads the machine, then lists every test that failed in any run, with how
# many runs it failed in. Exits non-zero if any test, package or build
# failed even once. Environment: GO (default go), TEST_TIMEOUT (per run,
# default 25m), TEST_REPEAT_DIR (keeps each run's JSON; default a temp dir).
set -uo pipefail

repeat=${1:-10}
shift || true
pkgs=("$@")
[ ${#pkgs[@]} -eq 0 ] && pkgs=(./...)
go=${GO:-go}
timeout=${TEST_TIMEOUT:-25m}
busy=${BUSY:-$(nproc 2>/dev/null || echo 2)}
case $repeat in '' | *[!0-9]* | 0) echo "test-repeat: REPEAT must be a positive number, not '$repeat'" >&2; exit 2 ;; esac

out=${TEST_REPEAT_DIR:-}
if [ -z "$out" ]; then
	out=$(mktemp -d "${TMPDIR:-/tmp}/safeharbor-test-repeat.XXXXXX")
fi
mkdir -p "$out"

pids=()
stop_load() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	pids=()
}
trap stop_load EXIT
trap 'stop_load; exit 130' INT TERM
for ((i = 0; i < busy; i++)); do
	(while :; do :; done) &
	pids+=($!)
done
echo "test-repeat: ${repeat} runs of go test ${pkgs[*]} with ${busy} busy loop(s); JSON in ${out}"

# failures: "package TestName" (or "package (package)" / "package (build)") per line, one line per failing run.
failures="$out/failures.txt"
: >"$failures"
bad_runs=0
for ((r = 1; r <= repeat; r++)); do
	json="$out/run-$r.json"
	start=$(date +%s)
	$go test -count=1 -json -timeout "$timeout" "${pkgs[@]}" >"$json" 2>"$out/run-$r.stderr"
	rc=$?
	# one line per failed test (subtests included), package and build failure
	run_fail=$(
		{
			sed -n 's/.*"Action":"fail","Package":"\([^"]*\)","Test":"\([^"]*\)".*/\1 \2/p' "$json"
			grep '"Action":"fail"' "$json" | grep -v '"Test":' |
				sed -n 's/.*"Package":"\([^"]*\)".*/\1 (package)/p'
			sed -n 's/.*"ImportPath":"\([^"]*\)".*"Action":"build-fail".*/\1 (build)/p' "$json"
		} | sort -u
	)
	if [ $rc -ne 0 ] && [ -z "$run_fail" ]; then
		run_fail="(go test exited $rc; see $out/run-$r.stderr)"
	fi
	secs=$(($(date +%s) - start))
	if [ -n "$run_fail" ]; then
		bad_runs=$((bad_runs + 1))
		printf '%s\n' "$run_fail" >>"$failures"
		echo "run $r/$repeat: FAIL (${secs}s):"
		printf '%s\n' "$run_fail" | sed 's/^/    /'
	else
		echo "run $r/$repeat: ok (${secs}s)"
	fi
done
stop_load

if [ "$bad_runs" -eq 0 ]; then
	echo "test-repeat: PASS: ${repeat}/${repeat} runs passed under load"
	exit 0
fi
echo "test-repeat: FAIL: $bad_runs of $repeat runs had failures; failed tests (runs failed / runs):"
sort "$failures" | uniq -c | sort -rn | while read -r n what; do
	echo "    $n/$repeat  $what"
done
exit 1
