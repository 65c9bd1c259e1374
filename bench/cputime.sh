#!/usr/bin/env bash
# cputime.sh OUT DIV COUNT: user-CPU time per op of selected main-module
# benchmarks. Each test binary runs with a fixed -test.benchtime Nx under
# `/usr/bin/time -f '%U %S'`, and once with 2x; cpu-ns/op is
# (user(N) - user(2)) / (N - 2), so set-up and process start cancel out.
# N is divided by DIV (quick runs); COUNT repetitions. Each N is set for
# about 1.5 s of user time on this box, so the 10 ms resolution of %U is
# below 1%. Output: go test -bench
# lines under pkg github.com/safeharbor/safeharbor/bench/cputime.
set -euo pipefail
out=$1 div=${2:-1} count=${3:-1}
here=$(pwd)
bin=$here/out/bin
mkdir -p "$bin"
# package  benchmark  N
list=(
	"deid BenchmarkHL7/ADT_A01 150000"
	"deid BenchmarkHL7/ORU_R01 90000"
	"deid BenchmarkHL7/MDM_T02 90000"
	"deid BenchmarkFHIRPatient 90000"
	"deid BenchmarkFHIRPatientSpec 50000"
	"deid BenchmarkFHIRBundle 12000"
	"deid/text BenchmarkScrub 60000"
	"rules BenchmarkEvaluateParse 5000000"
	"rules BenchmarkEvaluate1 1000000"
	"rules BenchmarkEvaluate10 800000"
	"rules BenchmarkEvaluate50 300000"
	"sinks/dataset BenchmarkDatasetWrite 2500000"
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
