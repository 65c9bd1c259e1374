package rules

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
	"go.yaml.in/yaml/v3"
)

// Fixture layout for `safeharbor rules test FILE`: every FILE.tests/*.yaml
// is one case:
//
//	input: ../../shared/corpus/x/oru.hl7  # relative to the rules file's directory
//	message: |                           # or an inline message (HL7 segments one per line, or FHIR JSON)
//	  MSH|^~\&|...
//	format: hl7                          # hl7 or fhir; default from the extension / first byte
//	dropped: part2_substance_use         # the drop rule expected to match (omit: none)
//	rows:                                # expected rows per dataset, in order; unlisted datasets expect none
//	  lab_results:
//	    - {patient: $pseudonym, loinc: "2345-7", value: 5.4, units: null}
//
// A missing column in an expected row means null. $pseudonym stands for the
// patient pseudonym de-identification produced, so fixtures do not depend on
// the key. The input is de-identified first, then the rules run.

// FixtureDirSuffix is appended to a rules file's path to find its fixtures.
const FixtureDirSuffix = ".tests"

// FixtureResult is the outcome of one fixture.
type FixtureResult struct {
	Name    string   // fixture file name
	Skipped string   // why it was skipped ("" if it ran)
	Diffs   []string // mismatches, readable; empty when it passed
}

// Passed reports whether the fixture ran without mismatches.
func (r FixtureResult) Passed() bool { return r.Skipped == "" && len(r.Diffs) == 0 }

type fixture struct {
	Input   string                          `yaml:"input"`
	Message string                          `yaml:"message"`
	Format  string                          `yaml:"format"`
	Dropped string                          `yaml:"dropped"`
	Rows    map[string][]map[string]yamlVal `yaml:"rows"`
}

type yamlVal struct{ n *yaml.Node }

func (v *yamlVal) UnmarshalYAML(n *yaml.Node) error { v.n = n; return nil }

// RunFixtures runs every fixture of the rules file rulesPath with set and
// the de-identification engine eng. The error is for a fixture directory
// that cannot be read; fixture problems are reported in the results.
func RunFixtures(set *Set, eng *deid.Engine, rulesPath string) ([]FixtureResult, error) {
	dir := rulesPath + FixtureDirSuffix
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no fixtures: %s/*.yaml not found", dir)
	}
	sort.Strings(files)
	var out []FixtureResult
	for _, f := range files {
		out = append(out, runFixture(set, eng, filepath.Dir(rulesPath), f))
	}
	return out, nil
}

func runFixture(set *Set, eng *deid.Engine, base, path string) FixtureResult {
	r := FixtureResult{Name: filepath.Base(path)}
	fail := func(format string, args ...any) FixtureResult {
		r.Diffs = append(r.Diffs, fmt.Sprintf(format, args...))
		return r
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return fail("%v", err)
	}
	var fx fixture
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&fx); err != nil {
		return fail("fixture: %v", err)
	}
	msg := []byte(fx.Message)
	if fx.Input != "" {
		in := fx.Input
		if !filepath.IsAbs(in) {
			in = filepath.Join(base, in)
		}
		msg, err = os.ReadFile(in)
		if os.IsNotExist(err) {
			r.Skipped = "input " + fx.Input + " not found (corpus absent?)"
			return r
		}
		if err != nil {
			return fail("input: %v", err)
		}
	} else if fx.Message == "" {
		return fail("fixture needs input or message")
	}
	for name := range fx.Rows {
		if set.datasetIndex(name) < 0 {
			return fail("rows: no dataset %q in the rules", name)
		}
	}
	format := fx.Format
	if format == "" {
		format = "hl7"
		if t := bytes.TrimSpace(msg); len(t) > 0 && t[0] == '{' || strings.HasSuffix(fx.Input, ".json") {
			format = "fhir"
		}
	}
	got := map[int][][]any{}
	emit := func(d int, row []any) { got[d] = append(got[d], append([]any(nil), row...)) }
	ev := set.NewEvaluator()
	var res deid.Result
	var dropped string
	switch format {
	case "hl7":
		if fx.Input == "" {
			msg = bytes.ReplaceAll(bytes.TrimSpace(msg), []byte("\n"), []byte("\r"))
		}
		m, err := hl7.Parse(msg)
		if err != nil {
			return fail("input: %v", err)
		}
		if res, err = eng.HL7(m, &deid.Report{}); err != nil {
			return fail("de-identification: %v", err)
		}
		if dropped, err = ev.HL7(m, res, emit); err != nil {
			return fail("%v", err)
		}
	case "fhir":
		v, err := fhir.Parse(msg)
		if err != nil {
			return fail("input: %v", err)
		}
		if res, err = eng.FHIR(v, &deid.Report{}); err != nil {
			return fail("de-identification: %v", err)
		}
		if dropped, err = ev.FHIR(v, res, emit); err != nil {
			return fail("%v", err)
		}
	default:
		return fail("format must be hl7 or fhir, not %q", format)
	}
	if dropped != fx.Dropped {
		r.Diffs = append(r.Diffs, fmt.Sprintf("dropped: got %q, want %q", dropped, fx.Dropped))
	}
	for di, d := range set.datasets {
		want := fx.Rows[d.Name]
		have := got[di]
		for i := 0; i < max(len(want), len(have)); i++ {
			switch {
			case i >= len(have):
				r.Diffs = append(r.Diffs, fmt.Sprintf("%s row %d: missing (want %s)", d.Name, i+1, showWant(d, want[i])))
			case i >= len(want):
				r.Diffs = append(r.Diffs, fmt.Sprintf("%s row %d: unexpected %s", d.Name, i+1, showRow(d, have[i])))
			default:
				for k := range want[i] {
					if d.colIndex(k) < 0 {
						r.Diffs = append(r.Diffs, fmt.Sprintf("%s row %d: no column %q", d.Name, i+1, k))
					}
				}
				for ci, c := range d.cols {
					w, ok := want[i][c.Name]
					exp := "null"
					if ok {
						exp = scalarText(w.n, res.Pseudonym)
					}
					if act := FormatValue(have[i][ci]); act != exp {
						r.Diffs = append(r.Diffs, fmt.Sprintf("%s row %d column %s: got %s, want %s", d.Name, i+1, c.Name, act, exp))
					}
				}
			}
		}
	}
	return r
}

func scalarText(n *yaml.Node, pseudonym string) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "null"
	}
	if n.Value == "$pseudonym" {
		return strconv.Quote(pseudonym)
	}
	switch n.Tag {
	case "!!str":
		return strconv.Quote(n.Value)
	case "!!float":
		f, err := strconv.ParseFloat(n.Value, 64)
		if err == nil {
			return FormatValue(f)
		}
	}
	return n.Value
}

// FormatValue prints a row value for diffs and explain: strings quoted,
// numbers in shortest form, timestamps as RFC 3339, nil as null.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

func showRow(d *dataset, row []any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range d.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name + ": " + FormatValue(row[i]))
	}
	return b.String() + "}"
}

func showWant(d *dataset, row map[string]yamlVal) string {
	var b strings.Builder
	b.WriteByte('{')
	n := 0
	for _, c := range d.cols {
		if v, ok := row[c.Name]; ok {
			if n > 0 {
				b.WriteString(", ")
			}
			n++
			b.WriteString(c.Name + ": " + scalarText(v.n, "$pseudonym"))
		}
	}
	return b.String() + "}"
}

func (s *Set) datasetIndex(name string) int {
	for i, d := range s.datasets {
		if d.Name == name {
			return i
		}
	}
	return -1
}

func (d *dataset) colIndex(name string) int {
	for i, c := range d.cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}
