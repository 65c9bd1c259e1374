package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/safeharbor/safeharbor/rules"
	"github.com/safeharbor/safeharbor/sinks/dataset"
	"github.com/safeharbor/safeharbor/sinks/store"
)

// rulesV1: one row per message in "msgs".
const rulesV1 = `version: 1
datasets:
  - name: msgs
    columns:
      - {name: patient, type: string, from: 'pseudonym'}
      - {name: kind, type: string, from: 'msg.type'}
`

// rulesV2: "msgs" gets a changed column (kind is now the format) and an
// added one; a new dataset "formats" appears.
const rulesV2 = `version: 1
datasets:
  - name: msgs
    columns:
      - {name: patient, type: string, from: 'pseudonym'}
      - {name: kind, type: string, from: 'msg.format'}
      - {name: event, type: string, from: 'msg.event'}
  - name: formats
    columns:
      - {name: format, type: string, from: 'msg.format'}
`

// rulesBroken does not compile (unknown column type on line 5).
const rulesBroken = `version: 1
datasets:
  - name: msgs
    columns:
      - {name: patient, type: strnig, from: 'pseudonym'}
`

// msgKey names one input record.
type msgKey struct {
	topic     string
	partition int64
	offset    int64
}

// parquetFile is what a test needs of one Parquet file.
type parquetFile struct {
	name     string
	version  *string // file metadata
	cols     []string
	keys     []msgKey
	versions []string // _rules_version per row
}

// eachTable calls fn with every Parquet file of a dataset, read whole.
func (e *env) eachTable(ctx context.Context, name string, fn func(info store.Info, rdr *file.Reader, tbl arrow.Table) error) error {
	return e.astore.List(ctx, "dataset="+name+"/", func(info store.Info) error {
		data, err := e.astore.Get(ctx, info.Name)
		if err != nil {
			return err
		}
		rdr, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			return err
		}
		defer rdr.Close()
		fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			return err
		}
		tbl, err := fr.ReadTable(ctx)
		if err != nil {
			return err
		}
		defer tbl.Release()
		return fn(info, rdr, tbl)
	})
}

// readDataset reads every Parquet file of a dataset.
func (e *env) readDataset(name string) []parquetFile {
	e.t.Helper()
	ctx := context.Background()
	var out []parquetFile
	err := e.eachTable(ctx, name, func(info store.Info, rdr *file.Reader, tbl arrow.Table) error {
		pf := parquetFile{name: info.Name, version: rdr.MetaData().KeyValueMetadata().FindValue(dataset.MetaRulesVersion)}
		if pf.version == nil {
			return fmt.Errorf("%s: no rules version in the metadata", info.Name)
		}
		col := map[string][]any{}
		for i := 0; i < int(tbl.NumCols()); i++ {
			c := tbl.Column(i)
			pf.cols = append(pf.cols, c.Name())
			for _, ch := range c.Data().Chunks() {
				for j := 0; j < ch.Len(); j++ {
					switch a := ch.(type) {
					case *array.String:
						col[c.Name()] = append(col[c.Name()], a.Value(j))
					case *array.Int64:
						col[c.Name()] = append(col[c.Name()], a.Value(j))
					case *array.Int32:
						col[c.Name()] = append(col[c.Name()], int64(a.Value(j)))
					}
				}
			}
		}
		for i := range int(tbl.NumRows()) {
			pf.keys = append(pf.keys, msgKey{col[dataset.ColSource][i].(string), col[dataset.ColPartition][i].(int64), col[dataset.ColOffset][i].(int64)})
			pf.versions = append(pf.versions, col[dataset.ColRulesVersion][i].(string))
		}
		out = append(out, pf)
		return nil
	})
	if err != nil {
		e.t.Fatalf("read dataset %s: %v", name, err)
	}
	return out
}

func writeRules(t *testing.T, path, src string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil { // atomic, as editors and config management do
		t.Fatal(err)
	}
}

func compileVersion(t *testing.T, src string) string {
	t.Helper()
	s, err := rules.Compile([]byte(src), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s.Version()
}

func metricsText(p *Pipeline) string {
	var b strings.Builder
	p.Metrics().WritePrometheus(&b)
	return b.String()
}

// TestReloadBetweenMessages: the rules file changes while records flow (a
// dataset added, a column changed); the pipeline switches between messages:
// every record's rows appear exactly once, in files of exactly one rules
// version, the new dataset only has records fetched after the switch, the
// old writers are closed, and every offset is committed.
func TestReloadBetweenMessages(t *testing.T) {
	const parts = 3
	e := newEnv(t, parts, nil, nil)
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, rulesV1)
	v1, v2 := compileVersion(t, rulesV1), compileVersion(t, rulesV2)
	w, err := rules.NewWatcher(path, time.Hour, e.logger)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	cfg.Rules, cfg.RulesWatcher, cfg.RulesPollInterval = nil, w, -1 // reload only when told (SIGHUP)
	cfg.Workers = 4
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hl7s, fhirs, _ := synthTraffic(7, 500, 100)
	stop := runPipeline(t, p)
	// Records are produced in small batches while the pipeline consumes;
	// the rules switch half way, with records in flight.
	var before int64
	for i := range 20 {
		e.produce(tHL7, hl7s[i*25:(i+1)*25])
		e.produce(tFHIR, fhirs[i*5:(i+1)*5])
		if i == 9 {
			waitFor(t, 60*time.Second, "records flowing", func() bool { return p.Metrics().RecordsIn.Sum() >= 100 })
			before = p.Metrics().RecordsIn.Sum() // fetched before the switch: old rules
			writeRules(t, path, rulesV2)
			if err := p.ReloadRules(); err != nil {
				t.Fatalf("ReloadRules: %v", err)
			}
			if got := p.RulesVersion(); got != v2 {
				t.Fatalf("rules version after reload %s, want %s", got, v2)
			}
		}
	}
	total := int64(len(hl7s) + len(fhirs))
	waitFor(t, 60*time.Second, "all offsets committed", func() bool {
		return sumCommitted(e.groupOffsets(tHL7, parts))+sumCommitted(e.groupOffsets(tFHIR, parts)) == total
	})
	waitFor(t, 30*time.Second, "old writers closed", func() bool { return len(p.liveGens()) == 1 })
	m := metricsText(p)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	// Every record has exactly one row in msgs, in a file of one version.
	version := map[msgKey]string{}
	for _, f := range e.readDataset("msgs") {
		wantCols := map[string]string{v1: "patient,kind,", v2: "patient,kind,event,"}[*f.version]
		if wantCols == "" || !strings.HasPrefix(strings.Join(f.cols, ",")+",", wantCols) {
			t.Fatalf("%s: version %s, columns %v", f.name, *f.version, f.cols)
		}
		for i, k := range f.keys {
			if f.versions[i] != *f.version {
				t.Fatalf("%s: row of version %s in a file of version %s", f.name, f.versions[i], *f.version)
			}
			if _, dup := version[k]; dup {
				t.Fatalf("record %v has two rows in msgs", k)
			}
			version[k] = f.versions[i]
		}
	}
	if len(version) != int(total) {
		t.Fatalf("msgs has rows for %d records, want %d", len(version), total)
	}
	// The new dataset has rows exactly for the records evaluated with v2.
	formats := map[msgKey]bool{}
	for _, f := range e.readDataset("formats") {
		for i, k := range f.keys {
			if *f.version != v2 || f.versions[i] != v2 || formats[k] {
				t.Fatalf("formats: record %v: version %s (file %s) or duplicate", k, f.versions[i], *f.version)
			}
			formats[k] = true
		}
	}
	n1, n2 := 0, 0
	last1, first2 := map[string]int64{}, map[string]int64{}
	for k, v := range version {
		pk := k.topic + "/" + itoa(int(k.partition))
		if v == v1 {
			n1++
			if formats[k] {
				t.Fatalf("record %v of the old rules has a row in the new dataset", k)
			}
			last1[pk] = max(last1[pk], k.offset)
		} else {
			n2++
			if !formats[k] {
				t.Fatalf("record %v of the new rules has no row in the new dataset", k)
			}
			if f, ok := first2[pk]; !ok || k.offset < f {
				first2[pk] = k.offset
			}
		}
	}
	// Per partition the switch is one point between two messages.
	for pk, l := range last1 {
		if f, ok := first2[pk]; ok && f <= l {
			t.Fatalf("partition %s: offset %d evaluated with the old rules after offset %d with the new", pk, l, f)
		}
	}
	if int64(n1) < before || n2 < 300 {
		t.Fatalf("%d records with the old rules (%d fetched before the switch), %d with the new (300 produced after)", n1, before, n2)
	}
	if !strings.Contains(m, `safeharbor_rules_info{version="`+v2+`"} 1`) || strings.Contains(m, v1) ||
		!strings.Contains(m, `safeharbor_rules_reloads_total{result="ok"} 1`) {
		t.Fatalf("metrics do not show the switch:\n%s", grepLines(m, "rules"))
	}
	if !strings.Contains(e.logBuf.String(), `"old_version":"`+v1+`"`) {
		t.Fatal("the switch is not logged with the old version")
	}
	t.Logf("%d records with rules %s (%d fetched before the switch), %d with %s", n1, v1, before, n2, v2)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestReloadBrokenRules: a rules file that fails to compile, noticed by
// polling, is logged with its position and without record content; the
// running rules keep working and the metric counts an error; the fixed file
// is then picked up.
func TestReloadBrokenRules(t *testing.T) {
	const parts = 2
	e := newEnv(t, parts, nil, nil)
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, rulesV1)
	v1, v2 := compileVersion(t, rulesV1), compileVersion(t, rulesV2)
	w, err := rules.NewWatcher(path, time.Hour, e.logger)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	cfg.FHIRTopic, cfg.OutputFHIRTopic = "", ""
	cfg.Rules, cfg.RulesWatcher, cfg.RulesPollInterval = nil, w, 50*time.Millisecond
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hl7s, _, phi := synthTraffic(8, 300, 0)
	e.produce(tHL7, hl7s[:100])
	stop := runPipeline(t, p)
	waitFor(t, 60*time.Second, "first batch committed", func() bool { return sumCommitted(e.groupOffsets(tHL7, parts)) == 100 })

	writeRules(t, path, rulesBroken)
	waitFor(t, 20*time.Second, "failed reload counted", func() bool { return p.Metrics().RulesReloads.Value("error") >= 1 })
	e.produce(tHL7, hl7s[100:200])
	waitFor(t, 60*time.Second, "second batch committed", func() bool { return sumCommitted(e.groupOffsets(tHL7, parts)) == 200 })
	if p.RulesVersion() != v1 {
		t.Fatalf("rules version %s after a broken file, want %s", p.RulesVersion(), v1)
	}
	m := metricsText(p)
	if !strings.Contains(m, `safeharbor_rules_reloads_total{result="error"} 1`) ||
		!strings.Contains(m, `safeharbor_rules_info{version="`+v1+`"} 1`) {
		t.Fatalf("metrics after a broken file:\n%s", grepLines(m, "rules"))
	}
	logs := e.logBuf.String()
	if !regexp.MustCompile(regexp.QuoteMeta(path) + `:5:\d+: `).MatchString(logs) {
		t.Fatalf("the compile error is not logged with its position:\n%s", grepLines(logs, "rules"))
	}
	for _, v := range phi {
		if len(v) >= 4 && strings.Contains(logs, v) {
			t.Fatal("log contains an identifier from the input")
		}
	}

	writeRules(t, path, rulesV2)
	waitFor(t, 20*time.Second, "fixed file picked up", func() bool { return p.RulesVersion() == v2 })
	e.produce(tHL7, hl7s[200:])
	waitFor(t, 60*time.Second, "all committed", func() bool { return sumCommitted(e.groupOffsets(tHL7, parts)) == int64(len(hl7s)) })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	n := map[string]int{}
	for _, f := range e.readDataset("msgs") {
		for _, v := range f.versions {
			n[v]++
		}
	}
	if n[v1] != 200 || n[v2] != 100 || len(n) != 2 {
		t.Fatalf("msgs rows by version %v, want 200 of %s and 100 of %s", n, v1, v2)
	}
	if got := e.datasetRows("formats"); got != 100 {
		t.Fatalf("formats rows %d, want 100", got)
	}
}

// TestReloadPHIStoreNone: rules with `phi: store: none` keep originals out
// of the vault while rows are still written.
func TestReloadPHIStoreNone(t *testing.T) {
	const parts = 1
	e := newEnv(t, parts, nil, nil)
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, rulesV1+"phi:\n  store: none\n")
	w, err := rules.NewWatcher(path, time.Hour, e.logger)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	cfg.Rules, cfg.RulesWatcher, cfg.RulesPollInterval = nil, w, -1
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hl7s, _, _ := synthTraffic(9, 50, 0)
	e.produce(tHL7, append(hl7s, []byte("MSH")))
	stop := runPipeline(t, p)
	waitFor(t, 60*time.Second, "committed", func() bool { return sumCommitted(e.groupOffsets(tHL7, parts)) == 51 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.vaultCount(false); n != 0 {
		t.Fatalf("vault holds %d originals with phi.store none", n)
	}
	if n, _ := e.vaultCount(true); n != 1 {
		t.Fatalf("vault DLQ holds %d records, want 1", n)
	}
	if got := e.datasetRows("msgs"); got != 50 {
		t.Fatalf("msgs rows %d, want 50", got)
	}
}
