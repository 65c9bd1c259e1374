package main

import (
	"encoding/csv"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/safeharbor/safeharbor/bench/charts"
)

// Packages of the lines written by cputime.sh and cmd/e2e.
const (
	cpuPkg = "github.com/safeharbor/safeharbor/bench/cputime"
	e2ePkg = "github.com/safeharbor/safeharbor/bench/e2e"
)

// fig is one measured figure: wall-clock (Go benchmark median) and CPU-time.
type fig struct {
	wallNs, cpuNs    float64 // per op
	bytesOp, allocs  float64
	bop              float64
	runs, cpuRuns    int
	haveWall, haveCP bool
}

// figure combines the Go benchmark pkg/name with its cputime line.
func figure(r *results, pkg, name string) fig {
	var f fig
	if b := r.get(mainMod+pkg, name); b != nil {
		f.wallNs, f.haveWall = b.med("ns/op")
		mb, _ := b.med("MB/s")
		f.bytesOp = mb * f.wallNs / 1e3
		f.allocs, _ = b.med("allocs/op")
		f.bop, _ = b.med("B/op")
		f.runs = b.runs()
	}
	if b := r.get(cpuPkg, "BenchmarkCPU/"+pkg+"/"+name); b != nil {
		f.cpuNs, f.haveCP = b.med("cpu-ns/op")
		f.cpuRuns = len(b.vals["cpu-ns/op"])
		if !f.haveWall {
			f.allocs, _ = b.med("allocs/op")
		}
	}
	return f
}

func perSec(ns float64) float64 {
	if ns <= 0 {
		return 0
	}
	return 1e9 / ns
}

func mbps(bytes, ns float64) float64 {
	if ns <= 0 || bytes <= 0 {
		return 0
	}
	return bytes * 1e3 / ns
}

func cellNum(v float64, ok bool) string {
	if !ok || v == 0 || math.IsNaN(v) {
		return "–"
	}
	return fmtNum(v)
}

// verdict2 states a target against both figures; higher is better unless lower.
func verdict2(wall, cpu, target float64, lower bool) string {
	one := func(v float64) string {
		if v == 0 || math.IsNaN(v) {
			return "n/a"
		}
		if lower == (v <= target) {
			return "met"
		}
		return "**missed**"
	}
	return "CPU-time: " + one(cpu) + "; wall: " + one(wall)
}

// cpuLoad returns the min and max 1-minute load seen by the CPU-time runs.
func cpuLoad(r *results) (lo, hi float64, ok bool) {
	lo = math.Inf(1)
	for _, b := range r.list {
		if b.pkg != cpuPkg {
			continue
		}
		for _, v := range b.vals["load1"] {
			lo, hi, ok = min(lo, v), max(hi, v), true
		}
	}
	return
}

// writeTargets writes the summary of every promised figure against its target.
func writeTargets(w *strings.Builder, r *results) {
	fmt.Fprintf(w, "\n## Targets\n\n")
	fmt.Fprintf(w, "Two figures per row. **Wall**: median of the Go benchmark (`ns/op`), inflated on this shared box by other jobs. "+
		"**CPU-time**: the compiled test binary run with a fixed `-test.benchtime Nx` under `/usr/bin/time -f %%U` (user CPU seconds of "+
		"every thread, GC included), minus a `2x` run of the same binary (set-up and start-up), divided by N-2 (`cputime.sh`): "+
		"throughput per CPU-second, i.e. per core, much less sensitive to the load.")
	if lo, hi, ok := cpuLoad(r); ok {
		fmt.Fprintf(w, " 1-minute load average during the CPU-time runs: %s–%s on 2 cores.", fmtNum(lo), fmtNum(hi))
	}
	fmt.Fprintf(w, "\n\n| figure | target | CPU-time | wall | verdict |\n|---|---|---:|---:|---|\n")
	row := func(label, target string, cpu, wall float64, t float64, lower bool, unit string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", label, target, cellNum(cpu, cpu > 0)+unit, cellNum(wall, wall > 0)+unit, verdict2(wall, cpu, t, lower))
	}
	for _, k := range []string{"ADT_A01", "ORU_R01", "MDM_T02"} {
		f := figure(r, "deid", "BenchmarkHL7/"+k)
		if f.haveWall || f.haveCP {
			row("HL7v2 "+k+" de-identification (msg/s per core)", "≥ 50,000 msg/s", perSec(f.cpuNs), perSec(f.wallNs), 50000, false, "")
		}
	}
	if f := figure(r, "deid", "BenchmarkFHIRPatient"); f.haveWall || f.haveCP {
		row(fmt.Sprintf("FHIR Patient (%.1f KB) de-identification (resources/s per core)", f.bytesOp/1024), "≥ 10,000/s", perSec(f.cpuNs), perSec(f.wallNs), 10000, false, "")
	}
	if f := figure(r, "deid", "BenchmarkFHIRPatientSpec"); f.haveWall || f.haveCP {
		row(fmt.Sprintf("FHIR Patient, spec patient-example.json (%.1f KB) (resources/s per core)", f.bytesOp/1024), "≥ 10,000/s (3 KB)", perSec(f.cpuNs), perSec(f.wallNs), 10000, false, "")
	}
	if f := figure(r, "deid/text", "BenchmarkScrub"); f.haveWall || f.haveCP {
		row("free-text scrubbing (MB/s per core)", "≥ 50 MB/s", mbps(f.bytesOp, f.cpuNs), mbps(f.bytesOp, f.wallNs), 50, false, "")
	}
	if f := rulesFigure(r, "BenchmarkEvaluate10"); f.haveWall || f.haveCP {
		row("rules, 10 datasets (µs per message)", "≤ 2 µs", f.cpuNs/1e3, f.wallNs/1e3, 2, true, "")
	}
	if f := figure(r, "sinks/dataset", "BenchmarkDatasetWrite"); f.haveWall || f.haveCP {
		row("Parquet rows/s", "≥ 500,000 rows/s", perSec(f.cpuNs), perSec(f.wallNs), 500000, false, "")
	}
	for _, b := range r.list {
		if strings.HasPrefix(b.name, "BenchmarkVaultMinIO/") && b.pkg == mainMod+"sinks/vault" {
			v, _ := b.med("records/s")
			row("vault records/s to MinIO, "+strings.TrimPrefix(b.name, "BenchmarkVaultMinIO/"), "≥ 20,000/s", 0, v, 20000, false, "")
		}
	}
	fmt.Fprintf(w, "\nThe generated FHIR Patients are about 1 KB, smaller than the 3 KB of the target; the specification's patient-example.json (4.2 KB) is the closer size. ")
	fmt.Fprintf(w, "HL7v2 parse targets are under *HL7v2 parsing* below. Vault throughput has no CPU-time figure: the work is split with the MinIO server process.\n")
}

// writeMore writes the de-identification, rules, sinks, pipeline and scaling sections.
func writeMore(w *strings.Builder, r *results, plotDir, plotRel, rssCSV string) {
	writeDeid(w, r)
	writeRules(w, r, plotDir, plotRel)
	writeSinks(w, r)
	writeE2E(w, r, plotDir, plotRel, rssCSV)
	writeScaling(w, r, plotDir, plotRel)
}

func writeDeid(w *strings.Builder, r *results) {
	rows := []struct{ label, pkg, name string }{
		{"HL7v2 ADT^A01", "deid", "BenchmarkHL7/ADT_A01"},
		{"HL7v2 ORU^R01 (notes)", "deid", "BenchmarkHL7/ORU_R01"},
		{"HL7v2 MDM^T02 (document)", "deid", "BenchmarkHL7/MDM_T02"},
		{"FHIR Patient (generated)", "deid", "BenchmarkFHIRPatient"},
		{"FHIR Patient (spec example)", "deid", "BenchmarkFHIRPatientSpec"},
		{"FHIR Bundle", "deid", "BenchmarkFHIRBundle"},
		{"free text (4 KB notes)", "deid/text", "BenchmarkScrub"},
	}
	fmt.Fprintf(w, "\n## Safe Harbor de-identification per format\n\n")
	fmt.Fprintf(w, "HL7v2: `Message.Reset` + `Engine.HL7` on generated messages with free text (PHI density 1). FHIR: `fhir.Parse` + `Engine.FHIR` + `AppendJSON`. "+
		"Free text: `text.Scrubber.Scrub` with known identifiers. One op = one message / resource / bundle / 4 KB note. "+
		"Baselines measured in the same run: HL7v2 lazy parse alone (bench module, *ours-parse*, synth set) and FHIR parse+walk+serialize alone (fhir package), "+
		"so *deid/parse* says how many times the bare parse the de-identification costs.\n\n")
	fmt.Fprintf(w, "| format | bytes/msg | CPU-time msg/s | CPU-time MB/s | wall msg/s | wall MB/s | B/msg | allocs/msg | deid/parse (wall) | runs (wall/CPU) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	var parseNs float64
	if b := r.get(benchPkg, "BenchmarkHL7/set=synth/parser=ours-parse"); b != nil {
		ns, _ := b.med("ns/op")
		m, _ := b.med("msgs/op")
		if m > 0 {
			parseNs = ns / m
		}
	}
	fhirNs := map[string]float64{}
	for _, k := range []string{"patient-example", "bundle-transaction"} {
		if b := r.get(mainMod+"fhir", "BenchmarkParseWalkSerialize/"+k); b != nil {
			ns, _ := b.med("ns/op")
			mb, _ := b.med("MB/s")
			fhirNs[k] = ns / (mb * ns / 1e3) // ns per byte
		}
	}
	found := false
	for _, x := range rows {
		f := figure(r, x.pkg, x.name)
		if !f.haveWall && !f.haveCP {
			continue
		}
		found = true
		base := "–"
		switch {
		case strings.HasPrefix(x.name, "BenchmarkHL7/") && parseNs > 0:
			base = ratio(f.wallNs, parseNs)
		case strings.HasPrefix(x.name, "BenchmarkFHIRPatient") && fhirNs["patient-example"] > 0:
			base = ratio(f.wallNs, fhirNs["patient-example"]*f.bytesOp)
		case x.name == "BenchmarkFHIRBundle" && fhirNs["bundle-transaction"] > 0:
			base = ratio(f.wallNs, fhirNs["bundle-transaction"]*f.bytesOp)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |\n", x.label, fmtNum(f.bytesOp),
			cellNum(perSec(f.cpuNs), f.haveCP), cellNum(mbps(f.bytesOp, f.cpuNs), f.haveCP),
			cellNum(perSec(f.wallNs), f.haveWall), cellNum(mbps(f.bytesOp, f.wallNs), f.haveWall),
			fmtNum(f.bop), fmtNum(f.allocs), base, f.runs, f.cpuRuns)
	}
	if !found {
		fmt.Fprintf(w, "(no de-identification benchmarks in this run)\n")
	}
	fmt.Fprintf(w, "\nThe FHIR parse baseline is the fhir package's example documents (per byte), scaled to the generated resource's size.\n")
}

// rulesFigure is a rules benchmark's figure minus BenchmarkEvaluateParse
// (wall and CPU-time): every op re-reads the message, which is not rules
// work.
func rulesFigure(r *results, name string) fig {
	f, p := figure(r, "rules", name), figure(r, "rules", "BenchmarkEvaluateParse")
	if f.haveWall && p.haveWall {
		f.wallNs -= p.wallNs
	}
	if f.haveCP && p.haveCP {
		f.cpuNs -= p.cpuNs
	}
	return f
}

// parseNote gives the measured re-read cost subtracted from rules figures.
func parseNote(r *results) string {
	p := figure(r, "rules", "BenchmarkEvaluateParse")
	var parts []string
	if p.haveCP {
		parts = append(parts, fmt.Sprintf("%.2f µs CPU-time", p.cpuNs/1e3))
	}
	if p.haveWall {
		parts = append(parts, fmt.Sprintf("%.2f µs wall", p.wallNs/1e3))
	}
	if len(parts) == 0 {
		return ", not measured in this run: nothing subtracted"
	}
	return ": " + strings.Join(parts, ", ")
}

func writeRules(w *strings.Builder, r *results, plotDir, plotRel string) {
	ns := []int{1, 10, 50}
	var xs, wallY, cpuY []float64
	fmt.Fprintf(w, "\n## Rules overhead per message\n\n")
	fmt.Fprintf(w, "`Evaluator.HL7Rows` (typed rows into a reused `Rows`, as the pipeline calls it) on already de-identified mixed synthetic HL7v2 traffic (de-identification before the timer): 1, 10 and 50 datasets "+
		"(the ten of `BenchmarkEvaluate10` repeated). Each op re-reads the de-identified message first, as the pipeline hands it over (no field index built yet); "+
		"the figures are the op minus that re-read (`BenchmarkEvaluateParse`%s), so they are what rules add on top of de-identification. Baseline: de-identifying the same traffic (`BenchmarkDeidHL7`, parse + deid).\n\n", parseNote(r))
	fmt.Fprintf(w, "| datasets | CPU-time µs/msg | wall µs/msg | rows/msg | allocs/msg | wall vs deid |\n|---:|---:|---:|---:|---:|---:|\n")
	var deidNs float64
	if b := r.get(mainMod+"rules", "BenchmarkDeidHL7"); b != nil {
		deidNs, _ = b.med("ns/op")
	}
	for _, n := range ns {
		name := fmt.Sprintf("BenchmarkEvaluate%d", n)
		f := rulesFigure(r, name)
		if !f.haveWall && !f.haveCP {
			continue
		}
		rowsPer := 0.0
		if b := r.get(mainMod+"rules", name); b != nil {
			rowsPer, _ = b.med("rows/msg")
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s |\n", n, cellNum(f.cpuNs/1e3, f.haveCP), cellNum(f.wallNs/1e3, f.haveWall), fmtNum(rowsPer), fmtNum(f.allocs), pct(f.wallNs, deidNs))
		xs = append(xs, float64(n))
		wallY, cpuY = append(wallY, f.wallNs/1e3), append(cpuY, f.cpuNs/1e3)
	}
	if len(xs) > 1 {
		series := []charts.Series{{Name: "wall (median)", X: xs, Y: wallY}}
		if !slices.Contains(cpuY, 0) {
			series = append(series, charts.Series{Name: "CPU-time", X: xs, Y: cpuY})
		}
		png := "rules-vs-datasets.png"
		if err := charts.Lines(filepath.Join(plotDir, png), "Rules evaluation cost vs number of datasets", "datasets", "µs per message", series, false, false); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(w, "\n![rules vs datasets](%s)\n", filepath.ToSlash(filepath.Join(plotRel, png)))
	}
}

func pct(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*a/b)
}

func writeSinks(w *strings.Builder, r *results) {
	fmt.Fprintf(w, "\n## Sinks: Parquet and vault\n\n")
	fmt.Fprintf(w, "| sink | benchmark | CPU-time /s | wall /s | B/op | allocs/op | runs |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, name := range []string{"BenchmarkDatasetWrite", "BenchmarkDatasetWriteAny"} {
		f := figure(r, "sinks/dataset", name)
		if f.haveWall || f.haveCP {
			fmt.Fprintf(w, "| Parquet rows (8 columns, zstd, 100k-row files) | %s | %s | %s | %s | %s | %d |\n", strings.TrimPrefix(name, "Benchmark"),
				cellNum(perSec(f.cpuNs), f.haveCP), cellNum(perSec(f.wallNs), f.haveWall), fmtNum(f.bop), fmtNum(f.allocs), f.runs)
		}
	}
	for _, b := range r.list {
		if b.pkg == mainMod+"sinks/vault" && strings.HasPrefix(b.name, "BenchmarkVaultMinIO/") {
			v, _ := b.med("records/s")
			bop, _ := b.med("B/op")
			al, _ := b.med("allocs/op")
			fmt.Fprintf(w, "| vault records (1 KB) to real MinIO | %s | – | %s | %s | %s | %d |\n", strings.TrimPrefix(b.name, "Benchmark"), fmtNum(v), fmtNum(bop), fmtNum(al), b.runs())
		}
	}
}

func writeE2E(w *strings.Builder, r *results, plotDir, plotRel, rssCSV string) {
	var demo []*bench
	for _, b := range r.list {
		if b.pkg == e2ePkg {
			demo = append(demo, b)
		}
	}
	pb := r.get(mainMod+"pipeline", "BenchmarkEndToEndHL7")
	fmt.Fprintf(w, "\n## Pipeline end to end\n\n")
	if len(demo) == 0 && pb == nil {
		fmt.Fprintf(w, "Not measured in this run (`pipeline.BenchmarkEndToEndHL7` and `cmd/e2e` appear here once they run).\n")
		return
	}
	if pb != nil {
		p, _ := pb.med("hl7_msg/s")
		raw, _ := pb.med("raw_msg/s")
		fmt.Fprintf(w, "`pipeline.BenchmarkEndToEndHL7` (one embedded broker, 4 partitions, local sinks, HL7v2 only): pipeline **%s msg/s** vs raw kafka-go consume of the same records **%s msg/s** (pipeline/raw %s; %d runs).\n\n",
			fmtNum(p), fmtNum(raw), ratio(p, raw), pb.runs())
	}
	if len(demo) > 0 {
		fmt.Fprintf(w, "`safeharbor run -demo N` (cmd/e2e): mixed traffic (80%% HL7v2, 20%% FHIR), rules from `examples/rules.yaml`, local vault + Parquet, checkpoint every 1 s, "+
			"against the embedded broker run in a **separate process** so the pipeline's RSS excludes the broker's in-memory log. The demo produces all N records as fast as it can "+
			"while the pipeline consumes, so latency (Kafka record timestamp → offset commit, from the `/metrics` histogram, interpolated within buckets, scraped every 250 ms) "+
			"is backlog plus the checkpoint interval, not the per-record processing time. Baseline: after the run, the same records consumed raw with kafka-go from the same broker. "+
			"Peak RSS and CPU from `/usr/bin/time -v` on the pipeline process.\n\n")
		fmt.Fprintf(w, "| N | msg/s (committed) | raw kafka-go msg/s | pipeline/raw | p50 latency ms | p99 latency ms | peak RSS MB | user+sys CPU s | msg per CPU-s |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, b := range demo {
			g := func(u string) string { v, ok := b.med(u); return cellNum(v, ok) }
			u, _ := b.med("user-s")
			s, _ := b.med("sys-s")
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(b.name, "BenchmarkE2EDemo/n="), g("msg/s"), g("raw_msg/s"),
				g("pipeline/raw"), g("p50-ms"), g("p99-ms"), g("peak-RSS-MB"), fmtNum(u+s), g("msg/cpu-s"))
		}
		if len(demo) > 1 {
			first, _ := demo[0].med("peak-RSS-MB")
			last, _ := demo[len(demo)-1].med("peak-RSS-MB")
			fmt.Fprintf(w, "\nPeak RSS from the shortest to the longest run: %s → %s MB (%s).\n", fmtNum(first), fmtNum(last), ratio(last, first))
		}
	}
	if rssCSV == "" {
		return
	}
	f, err := os.Open(rssCSV)
	if err != nil {
		return
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) < 2 {
		return
	}
	byN := map[string]*charts.Series{}
	var order []string
	for _, rec := range recs[1:] {
		x, _ := strconv.ParseFloat(rec[2], 64)
		y, _ := strconv.ParseFloat(rec[3], 64)
		s := byN[rec[0]]
		if s == nil {
			s = &charts.Series{Name: "N=" + rec[0]}
			byN[rec[0]] = s
			order = append(order, rec[0])
		}
		if k := len(s.X); k > 0 && x < s.X[k-1] {
			x = s.X[k-1] // a failed /metrics scrape: records processed only grows
		}
		s.X, s.Y = append(s.X, x), append(s.Y, y)
	}
	var series []charts.Series
	for _, n := range order {
		series = append(series, *byN[n])
	}
	if last := series[len(series)-1]; len(last.X) > 4 {
		xmax := last.X[len(last.X)-1]
		var firstHalf, secondHalf []float64
		for i, x := range last.X {
			if x <= xmax/2 {
				firstHalf = append(firstHalf, last.Y[i])
			} else {
				secondHalf = append(secondHalf, last.Y[i])
			}
		}
		slices.Sort(firstHalf)
		slices.Sort(secondHalf)
		if len(firstHalf) > 0 && len(secondHalf) > 0 {
			fmt.Fprintf(w, "\nRSS samples of the longest run (%s): median %s MB over its first half of records, %s MB over its second half; max %s MB.\n",
				last.Name, fmtNum(firstHalf[len(firstHalf)/2]), fmtNum(secondHalf[len(secondHalf)/2]), fmtNum(max(slices.Max(firstHalf), slices.Max(secondHalf))))
		}
	}
	png := "pipeline-rss.png"
	if err := charts.Lines(filepath.Join(plotDir, png), "Pipeline process RSS during safeharbor run -demo", "records processed", "RSS (MB)", series, false, false); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(w, "\n![pipeline RSS](%s)\n", filepath.ToSlash(filepath.Join(plotRel, png)))
}

func writeScaling(w *strings.Builder, r *results, plotDir, plotRel string) {
	// de-identification vs size
	var sizes []string
	var ds, ps charts.Series
	ds.Name, ps.Name = "de-identify (ORU + notes)", "parse (ours-parse)"
	for _, b := range r.list {
		rest, ok := strings.CutPrefix(b.name, "BenchmarkHL7Size/size=")
		if b.pkg != mainMod+"deid" || !ok {
			continue
		}
		sizes = append(sizes, rest)
	}
	if len(sizes) > 0 {
		fmt.Fprintf(w, "\n## Scaling: de-identification vs message size\n\n")
		fmt.Fprintf(w, "ORU^R01 padded with OBX TX note lines to the target size (`synth.Options.TargetSize`); wall medians. Parse column: the bench module's *ours-parse* on the same kind of padded messages.\n\n")
		fmt.Fprintf(w, "| size | deid MB/s | deid msg/s | B/msg | allocs/msg | parse MB/s | deid/parse time |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, sz := range sizes {
			b := r.get(mainMod+"deid", "BenchmarkHL7Size/size="+sz)
			mb, _ := b.med("MB/s")
			ns, _ := b.med("ns/op")
			bop, _ := b.med("B/op")
			al, _ := b.med("allocs/op")
			pmb := 0.0
			if p := r.get(benchPkg, "BenchmarkHL7Size/size="+sz+"/parser=ours-parse"); p != nil {
				pmb, _ = p.med("MB/s")
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", sz, fmtNum(mb), fmtNum(perSec(ns)), fmtNum(bop), fmtNum(al), cellNum(pmb, pmb > 0), ratio(pmb, mb))
			if mb > 0 {
				ds.X, ds.Y = append(ds.X, sizeBytes(sz)), append(ds.Y, mb)
			}
			if pmb > 0 {
				ps.X, ps.Y = append(ps.X, sizeBytes(sz)), append(ps.Y, pmb)
			}
		}
		series := []charts.Series{ds}
		if len(ps.X) > 0 {
			series = append(series, ps)
		}
		png := "deid-throughput-vs-size.png"
		if err := charts.Lines(filepath.Join(plotDir, png), "HL7v2 parse and de-identification vs message size (median MB/s)", "message size (bytes)", "MB/s", series, true, true); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(w, "\n![deid vs size](%s)\n", filepath.ToSlash(filepath.Join(plotRel, png)))
	}
	// workers
	type par struct{ label, pkg, name string }
	pars := []par{{"HL7v2 parse (ours, lazy)", benchPkg, "BenchmarkParseParallel"}, {"HL7v2 de-identification (mixed)", mainMod + "deid", "BenchmarkHL7Parallel"}}
	var series []charts.Series
	var tbl strings.Builder
	for _, p := range pars {
		s := charts.Series{Name: p.label}
		var cells []string
		for _, c := range []int{1, 2} {
			b := r.get(p.pkg, fmt.Sprintf("%s@cpu=%d", p.name, c))
			if b == nil {
				cells = append(cells, "–")
				continue
			}
			ns, _ := b.med("ns/op")
			s.X, s.Y = append(s.X, float64(c)), append(s.Y, perSec(ns))
			cells = append(cells, fmtNum(perSec(ns)))
		}
		if len(s.X) == 0 {
			continue
		}
		sc := "–"
		if len(s.Y) == 2 {
			sc = ratio(s.Y[1], s.Y[0])
		}
		fmt.Fprintf(&tbl, "| %s | %s | %s | %s |\n", p.label, cells[0], cells[1], sc)
		series = append(series, s)
	}
	if len(series) > 0 {
		fmt.Fprintf(w, "\n## Scaling: workers (GOMAXPROCS via -cpu 1,2)\n\n")
		fmt.Fprintf(w, "`b.RunParallel` with one goroutine per P, wall medians (msg/s). With the box's other jobs competing for both cores, the 2-worker figure is a lower bound.\n\n")
		fmt.Fprintf(w, "| workload | 1 worker msg/s | 2 workers msg/s | speed-up |\n|---|---:|---:|---:|\n%s", tbl.String())
		png := "throughput-vs-workers.png"
		if err := charts.Lines(filepath.Join(plotDir, png), "Throughput vs workers (median msg/s)", "workers (GOMAXPROCS)", "msg/s", series, false, true); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(w, "\n![throughput vs workers](%s)\n", filepath.ToSlash(filepath.Join(plotRel, png)))
	}
}
