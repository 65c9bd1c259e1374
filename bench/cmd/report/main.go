// Command report reads `go test -bench` output files, takes the median of
// every benchmark metric over its runs (benchstat-style), and writes
// RESULTS.md with machine details, comparison tables and PNG plots.
//
// Usage:
//
//	report [-o RESULTS.md] [-plots dir] [-profile file]... bench-output.txt...
//
// Sections appear only when their benchmarks are in the input: HL7 parsing
// (bench module), and the main module's de-identification, rules, vault,
// Parquet and pipeline end-to-end benchmarks once those packages have them.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/safeharbor/safeharbor/bench/charts"
)

// bench holds the runs of one benchmark: unit -> values.
type bench struct {
	pkg, name string
	vals      map[string][]float64
	order     int
}

func (b *bench) med(unit string) (float64, bool) {
	v := b.vals[unit]
	if len(v) == 0 {
		return 0, false
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

func (b *bench) runs() int { return len(b.vals["ns/op"]) }

type results struct {
	byKey map[string]*bench
	list  []*bench
	cpu   string
}

func (r *results) get(pkg, name string) *bench { return r.byKey[pkg+" "+name] }

// parse reads one go test -bench output.
func (r *results) parse(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	pkg, pending := "", ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: ")
			continue
		case strings.HasPrefix(line, "cpu: ") && r.cpu == "":
			r.cpu = strings.TrimPrefix(line, "cpu: ")
			continue
		}
		fs := strings.Fields(line)
		if !strings.HasPrefix(line, "Benchmark") {
			// a benchmark that logs prints its name, the log lines, then
			// the result on a line of its own
			if pending == "" || len(fs) < 3 || len(fs)%2 != 1 {
				continue
			}
			if _, err := strconv.Atoi(fs[0]); err != nil {
				continue
			}
			fs, pending = append([]string{pending}, fs...), ""
		}
		if len(fs) >= 2 {
			if _, err := strconv.Atoi(fs[1]); err != nil {
				pending = fs[0]
				continue
			}
		}
		if len(fs) < 4 || len(fs)%2 != 0 {
			continue
		}
		pending = ""
		name := fs[0]
		procs := 1
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if n, err := strconv.Atoi(name[i+1:]); err == nil {
				name, procs = name[:i], n
			}
		}
		if strings.Contains(name, "Parallel") {
			// -cpu 1,2 runs: keep the worker count in the name
			name += "@cpu=" + strconv.Itoa(procs)
		}
		b := r.get(pkg, name)
		if b == nil {
			b = &bench{pkg: pkg, name: name, vals: map[string][]float64{}, order: len(r.list)}
			r.byKey[pkg+" "+name] = b
			r.list = append(r.list, b)
		}
		for i := 2; i+1 < len(fs); i += 2 {
			v, err := strconv.ParseFloat(fs[i], 64)
			if err != nil {
				continue
			}
			b.vals[fs[i+1]] = append(b.vals[fs[i+1]], v)
		}
	}
	return sc.Err()
}

const benchPkg = "github.com/safeharbor/safeharbor/bench"

// section is a part of RESULTS.md filled by the benchmarks of some packages.
type section struct {
	title, intro string
	match        func(pkg string) bool
}

// Sections for the main module's benchmarks. A section is written only when
// benchmark output for it is present; add packages here as they gain benchmarks.
var sections = []section{
	{"De-identification", "Throughput of the de-identification engine (HL7 and FHIR, text detectors).", prefix("deid")},
	{"Rules", "Rule compilation and evaluation.", prefix("rules")},
	{"Vault", "Encrypted PHI vault: sealing, lookups, re-identification.", prefix("sinks/vault")},
	{"Parquet datasets", "Columnar output (Parquet writer).", func(p string) bool {
		return hasPrefix(p, "sinks/dataset") || hasPrefix(p, "sinks/parquet")
	}},
	{"Pipeline end-to-end", "Whole pipeline, source to sinks; peak RSS where the benchmark reports it.", prefix("pipeline")},
	{"HL7 package micro-benchmarks", "", prefix("hl7")},
	{"FHIR package", "", prefix("fhir")},
}

const mainMod = "github.com/safeharbor/safeharbor/"

func hasPrefix(pkg, p string) bool {
	rel := strings.TrimPrefix(pkg, mainMod)
	return rel == p || strings.HasPrefix(rel, p+"/")
}

func prefix(p string) func(string) bool { return func(pkg string) bool { return hasPrefix(pkg, p) } }

func main() {
	out := flag.String("o", "RESULTS.md", "output Markdown file")
	plots := flag.String("plots", "plots", "directory for PNG plots (relative to the output file)")
	var profiles multi
	rssCSV := flag.String("rss", "", "CSV of RSS samples written by cmd/e2e (n,seconds,records,rss_mb)")
	flag.Var(&profiles, "profile", "text file with `go tool pprof -top` output to include (repeatable)")
	note := flag.String("note", "", "extra note for the header (e.g. how the run was made)")
	flag.Parse()
	r := &results{byKey: map[string]*bench{}}
	for _, p := range flag.Args() {
		if err := r.parse(p); err != nil {
			log.Fatal(err)
		}
	}
	if len(r.list) == 0 {
		log.Fatal("report: no benchmark results in the input")
	}
	plotDir := filepath.Join(filepath.Dir(*out), *plots)
	if err := os.MkdirAll(plotDir, 0o755); err != nil {
		log.Fatal(err)
	}
	var w strings.Builder
	writeHeader(&w, r, *note, flag.Args())
	writeTargets(&w, r)
	writeHL7(&w, r, plotDir, *plots)
	writeMore(&w, r, plotDir, *plots, *rssCSV)
	used := map[*bench]bool{}
	for _, b := range r.list {
		if b.pkg == benchPkg || b.pkg == cpuPkg || b.pkg == e2ePkg {
			used[b] = true
		}
	}
	var pending []string
	for _, s := range sections {
		var bs []*bench
		for _, b := range r.list {
			if !used[b] && s.match(b.pkg) {
				bs = append(bs, b)
				used[b] = true
			}
		}
		if len(bs) == 0 {
			pending = append(pending, s.title)
			continue
		}
		fmt.Fprintf(&w, "\n## All benchmarks: %s\n\n", s.title)
		if s.intro != "" {
			fmt.Fprintf(&w, "%s\n\n", s.intro)
		}
		genericTable(&w, bs)
	}
	var other []*bench
	for _, b := range r.list {
		if !used[b] {
			other = append(other, b)
		}
	}
	if len(other) > 0 {
		fmt.Fprintf(&w, "\n## Other benchmarks of the main module\n\n")
		genericTable(&w, other)
	}
	if len(profiles) > 0 {
		fmt.Fprintf(&w, "\n## CPU profiles\n")
		for _, p := range profiles {
			data, err := os.ReadFile(p)
			if err != nil {
				log.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			if len(lines) > 30 {
				lines = lines[:30]
			}
			fmt.Fprintf(&w, "\n`%s` (first lines of `go tool pprof -top`):\n\n```\n%s\n```\n", filepath.Base(p), strings.Join(lines, "\n"))
		}
	}
	if len(pending) > 0 {
		fmt.Fprintf(&w, "\n## Sections not yet measured\n\nThese sections appear once their packages have benchmarks in the run: %s.\n", strings.Join(pending, ", "))
	}
	if err := os.WriteFile(*out, []byte(w.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

func goVersion() string {
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return runtime.Version()
}

func writeHeader(w *strings.Builder, r *results, note string, inputs []string) {
	fmt.Fprintf(w, "# Benchmark results\n\n")
	fmt.Fprintf(w, "Generated by `bench/cmd/report` from `go test -bench` output (%s). ", strings.Join(baseNames(inputs), ", "))
	fmt.Fprintf(w, "Every number is the **median** over the runs of a benchmark (benchstat-style); the run count is in the tables. ")
	fmt.Fprintf(w, "Reproduce with `make bench` (or `make -C bench bench`).\n\n")
	model := cpuModel()
	if model == "" {
		model = r.cpu
	}
	fmt.Fprintf(w, "| machine | |\n|---|---|\n")
	fmt.Fprintf(w, "| CPU | %s |\n| cores | %d (GOMAXPROCS %d) |\n| Go | %s |\n| OS/arch | %s/%s |\n| date | %s |\n",
		model, runtime.NumCPU(), runtime.GOMAXPROCS(0), goVersion(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(w, "| load average when the report was written | %s |\n", strings.Join(strings.Fields(string(load))[:3], " "))
	}
	if note != "" {
		fmt.Fprintf(w, "\n%s\n", note)
	}
}

func baseNames(p []string) []string {
	out := make([]string, len(p))
	for i, s := range p {
		out[i] = filepath.Base(s)
	}
	return out
}

// HL7 parser names in table order, with a description.
var hl7Parsers = []struct{ name, desc string }{
	{"ours-parse", "safeharbor `Message.Reset`: lazy — finds and validates segments, fields indexed on first access"},
	{"ours-parse-alloc", "safeharbor `hl7.Parse` (new Message per message)"},
	{"ours-parse-touch", "safeharbor `Reset` + `Field(n)` on every field of every segment: same work as an eager field split"},
	{"ours-parse-serialize", "safeharbor `Reset` + `AppendTo` (unedited: byte-exact copy)"},
	{"naive-split", "baseline: `bytes.IndexByte` on CR then on `|`, offsets into a reused slice, no validation"},
	{"lenaten", "github.com/lenaten/hl7 v0.0.0-20181009090854-63c5c49a56d9 `NewMessage` + `Parse` (eager: fields, components, subcomponents)"},
	{"kardianos", "github.com/kardianos/hl7 v1.1.2 `Decoder.DecodeList` (eager: typed segment structs via reflection)"},
}

func fmtNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return fmtNum(a/b) + "×"
}

func writeHL7(w *strings.Builder, r *results, plotDir, plotRel string) {
	sets := []string{}
	for _, b := range r.list {
		if b.pkg != benchPkg || !strings.HasPrefix(b.name, "BenchmarkHL7/set=") {
			continue
		}
		set, _, _ := strings.Cut(strings.TrimPrefix(b.name, "BenchmarkHL7/set="), "/")
		if !slices.Contains(sets, set) {
			sets = append(sets, set)
		}
	}
	if len(sets) == 0 {
		return
	}
	fmt.Fprintf(w, "\n## HL7v2 parsing: safeharbor vs peers\n\n")
	fmt.Fprintf(w, "All parsers run on the same messages. *corpus*: every message of the shared corpus's HL7 files that `hl7.Parse` accepts "+
		"(CDC DEX JSON envelopes skipped), segment terminators normalized to CR because lenaten/hl7 splits segments only on CR; "+
		"*synth*: 500 messages of the `internal/synth` mix (ADT, ORU, ORM, MDM, SIU). Messages a peer rejects (error or panic) or misparses "+
		"(segment count differs from ours) are counted below and left out of every parser's timed set. One op parses the whole set once; "+
		"ns/msg, B/msg and allocs/msg divide by the message count.\n\n")
	fmt.Fprintf(w, "**Fairness.** safeharbor parses lazily: `Parse` finds segments and checks the header; fields are indexed when first read. "+
		"The peers split everything eagerly (lenaten down to subcomponents, kardianos into typed structs), so the equal-work comparison is "+
		"*ours-parse-touch* (every field of every segment read through `Field`). Both are reported; the ratio columns say how many times faster "+
		"ours is than the row's parser (>1× = ours faster).\n\n")
	for _, p := range hl7Parsers {
		fmt.Fprintf(w, "- **%s** — %s\n", p.name, p.desc)
	}
	for _, set := range sets {
		get := func(p string) *bench { return r.get(benchPkg, "BenchmarkHL7/set="+set+"/parser="+p) }
		lazy, touch := get("ours-parse"), get("ours-parse-touch")
		var lazyMB, touchMB float64
		if lazy != nil {
			lazyMB, _ = lazy.med("MB/s")
		}
		if touch != nil {
			touchMB, _ = touch.med("MB/s")
		}
		var cand, msgs float64
		fmt.Fprintf(w, "\n### Set: %s\n\n", set)
		fmt.Fprintf(w, "| parser | MB/s | ns/op | ns/msg | B/msg | allocs/msg | ours lazy × | ours touch × | runs |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		var labels []string
		var values []float64
		for _, p := range hl7Parsers {
			b := get(p.name)
			if b == nil {
				continue
			}
			mb, _ := b.med("MB/s")
			ns, _ := b.med("ns/op")
			bop, _ := b.med("B/op")
			al, _ := b.med("allocs/op")
			msgs, _ = b.med("msgs/op")
			cand, _ = b.med("candidates")
			if msgs == 0 {
				msgs = 1
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", p.name, fmtNum(mb), fmtNum(ns), fmtNum(ns/msgs),
				fmtNum(bop/msgs), fmtNum(al/msgs), ratio(lazyMB, mb), ratio(touchMB, mb), b.runs())
			labels, values = append(labels, p.name), append(values, mb)
		}
		fmt.Fprintf(w, "\nMessages: %.0f candidates, %.0f accepted by every parser and timed.", cand, msgs)
		for _, peer := range []string{"lenaten", "kardianos"} {
			if b := get(peer); b != nil {
				rej, _ := b.med("rejected")
				mis, _ := b.med("misparsed")
				fmt.Fprintf(w, " %s: %.0f rejected, %.0f misparsed.", peer, rej, mis)
			}
		}
		fmt.Fprintln(w)
		if len(values) > 0 {
			png := "hl7-parse-" + set + ".png"
			if err := charts.Bar(filepath.Join(plotDir, png), "HL7v2 parse throughput, set "+set+" (median MB/s)", "MB/s", labels, values); err != nil {
				log.Fatal(err)
			}
			fmt.Fprintf(w, "\n![HL7 parse throughput, %s](%s)\n", set, filepath.ToSlash(filepath.Join(plotRel, png)))
		}
		if lazy != nil {
			ser := get("ours-parse-serialize")
			serMB := 0.0
			if ser != nil {
				serMB, _ = ser.med("MB/s")
			}
			fmt.Fprintf(w, "\nTargets (per core): parse ≥ 400 MB/s: **%s** (%s MB/s); parse+serialize ≥ 200 MB/s: **%s** (%s MB/s).\n",
				verdict(lazyMB, 400), fmtNum(lazyMB), verdict(serMB, 200), fmtNum(serMB))
		}
	}
	writeSizes(w, r, plotDir, plotRel)
}

func verdict(v, target float64) string {
	if v >= target {
		return "met"
	}
	return "missed"
}

// writeSizes writes the throughput-vs-size table and curve.
func writeSizes(w *strings.Builder, r *results, plotDir, plotRel string) {
	type pt struct {
		size float64
		mb   float64
	}
	bySize := map[string][]pt{}
	var sizes []string
	for _, b := range r.list {
		rest, ok := strings.CutPrefix(b.name, "BenchmarkHL7Size/size=")
		if b.pkg != benchPkg || !ok {
			continue
		}
		sz, parser, _ := strings.Cut(rest, "/parser=")
		if !slices.Contains(sizes, sz) {
			sizes = append(sizes, sz)
		}
		mb, _ := b.med("MB/s")
		bySize[parser] = append(bySize[parser], pt{sizeBytes(sz), mb})
	}
	if len(sizes) == 0 {
		return
	}
	fmt.Fprintf(w, "\n## HL7v2 throughput vs message size\n\n")
	fmt.Fprintf(w, "Synthetic messages padded to a target size with OBX TX note lines (`synth.Options.TargetSize`). Median MB/s.\n\n")
	fmt.Fprintf(w, "| parser |")
	for _, s := range sizes {
		fmt.Fprintf(w, " %s |", s)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---:|", len(sizes)))
	var series []charts.Series
	for _, p := range hl7Parsers {
		pts := bySize[p.name]
		if len(pts) == 0 {
			continue
		}
		fmt.Fprintf(w, "| %s |", p.name)
		s := charts.Series{Name: p.name}
		for _, q := range pts {
			fmt.Fprintf(w, " %s |", fmtNum(q.mb))
			if q.mb > 0 {
				s.X, s.Y = append(s.X, q.size), append(s.Y, q.mb)
			}
		}
		fmt.Fprintln(w)
		series = append(series, s)
	}
	png := "hl7-throughput-vs-size.png"
	if err := charts.Lines(filepath.Join(plotDir, png), "HL7v2 throughput vs message size (median)", "message size (bytes)", "MB/s", series, true, true); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(w, "\n![HL7 throughput vs size](%s)\n", filepath.ToSlash(filepath.Join(plotRel, png)))
}

func sizeBytes(s string) float64 {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "MB"):
		mult, s = 1<<20, strings.TrimSuffix(s, "MB")
	case strings.HasSuffix(s, "KB"):
		mult, s = 1<<10, strings.TrimSuffix(s, "KB")
	default:
		s = strings.TrimSuffix(s, "B")
	}
	v, _ := strconv.ParseFloat(s, 64)
	return v * mult
}

// genericTable writes one row per benchmark with the standard metrics and any custom ones.
func genericTable(w *strings.Builder, bs []*bench) {
	std := map[string]bool{"ns/op": true, "MB/s": true, "B/op": true, "allocs/op": true}
	var extra []string
	for _, b := range bs {
		for u := range b.vals {
			if !std[u] && !slices.Contains(extra, u) {
				extra = append(extra, u)
			}
		}
	}
	sort.Strings(extra)
	fmt.Fprintf(w, "| package | benchmark | MB/s | ns/op | B/op | allocs/op |")
	for _, u := range extra {
		fmt.Fprintf(w, " %s |", u)
	}
	fmt.Fprintf(w, " runs |\n|---|---|---:|---:|---:|---:|%s---:|\n", strings.Repeat("---:|", len(extra)))
	cell := func(b *bench, u string) string {
		if v, ok := b.med(u); ok {
			return fmtNum(v)
		}
		return ""
	}
	for _, b := range bs {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |", strings.TrimPrefix(b.pkg, mainMod), strings.TrimPrefix(b.name, "Benchmark"),
			cell(b, "MB/s"), cell(b, "ns/op"), cell(b, "B/op"), cell(b, "allocs/op"))
		for _, u := range extra {
			fmt.Fprintf(w, " %s |", cell(b, u))
		}
		fmt.Fprintf(w, " %d |\n", b.runs())
	}
}
