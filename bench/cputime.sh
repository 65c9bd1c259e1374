#!/usr/bin/env bash
# cputime.sh OUT DIV COUNT: user-CPU time per op of selected main-module
# benchmarks. Each test binary runs with a fixed -test.benchtime Nx under
# `/usr/bin/time -f '%U %S'`, and once with 2x; cpu-ns/op is
# (user(N) - user(2)) / (N - 2), so set-up and process start cancel out.
# N is divided by DIV (quick runs); COUNT repetitions. Output: go test -bench
# lines under pkg github.com/safeharbor/safeharbor/bench/cputime.
set -euo pipefail
out=$1 div=${2:-1} count=${3:-1}
here=$(pwd)
bin=$here/out/bin
mkdir -p "$bin"
# package  benchmark  N
list=(
	"deid BenchmarkHL7/ADT_A01 60000"
	"deid BenchmarkHL7/ORU_R01 30000"
	"deid BenchmarkHL7/MDM_T02 30000"
	"deid BenchmarkFHIRPatient 15000"
	"deid BenchmarkFHIRPatientSpec 10000"
	"deid BenchmarkFHIRBundle 6000"
	"deid/text BenchmarkScrub 15000"
	"rules BenchmarkEvaluateParse 200000"
	"rules BenchmarkEvaluate1 100000"
	"rules BenchmarkEvaluate10 100000"
	"rules BenchmarkEvaluate50 20000"
	"sinks/dataset BenchmarkDatasetWrite 1000000"
)
# CPUFILTER (a grep -E pattern on the list lines) keeps some benchmarks only (quick runs).
if [ -n "${CPUFILTER:-}" ]; then
	mapfile -t list < <(printf '%s\n' "${list[@]}" | grep -E "$CPUFILTER")
fi
# one go command builds every test binary (links in parallel): $bin/<last path element>.test
(cd .. && go test -c -o "$bin/" $(printf './%s\n' "${list[@]}" | awk '{print $1}' | sort -u))
{
	echo "pkg: github.com/safeharbor/safeharbor/bench/cputime"
	for e in "${list[@]}"; do
		read -r pkg name n <<<"$e"
		n=$((n / div))
		re=$(awk -F/ '{for (i=1;i<=NF;i++) printf "%s^%s$", (i>1?"/":""), $i}' <<<"$name")
		tb="$bin/${pkg##*/}.test"
		for _ in $(seq "$count"); do
			load=$(cut -d' ' -f1 /proc/loadavg)
			(cd "../$pkg" && /usr/bin/time -f '%U %S' -o "$here/out/time.base" "$tb" -test.run '^$' -test.bench "$re" -test.benchtime 2x >/dev/null)
			(cd "../$pkg" && /usr/bin/time -f '%U %S' -o "$here/out/time.n" "$tb" -test.run '^$' -test.bench "$re" -test.benchtime "${n}x" -test.benchmem >"$here/out/time.out")
			read -r ub _ <"$here/out/time.base"
			read -r un sn <"$here/out/time.n"
			wall=$(awk '/^Benchmark/ {for (i=3;i<NF;i++) if ($(i+1)=="ns/op") print $i}' "$here/out/time.out" | tail -1)
			allocs=$(awk '/^Benchmark/ {for (i=3;i<NF;i++) if ($(i+1)=="allocs/op") print $i}' "$here/out/time.out" | tail -1)
			awk -v name="$pkg/$name" -v n="$n" -v un="$un" -v ub="$ub" -v sn="$sn" -v wall="$wall" -v al="${allocs:-0}" -v load="$load" 'BEGIN {
				printf "BenchmarkCPU/%s %d %s ns/op %.1f cpu-ns/op %.2f user-s %.2f base-user-s %.2f sys-s %s allocs/op %s load1\n",
					name, n, wall, (un - ub) * 1e9 / (n - 2), un, ub, sn, al, load }'
		done
	done
} | tee "$out"
