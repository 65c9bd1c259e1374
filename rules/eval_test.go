package rules

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
)

func testEngine(t testing.TB) *deid.Engine {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	eng, err := deid.New(deid.Config{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func mustCompile(t testing.TB, src string) *Set {
	t.Helper()
	s, err := Compile([]byte(src), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type rowsByDataset map[string][]string

func collect(s *Set) (rowsByDataset, EmitFunc) {
	got := rowsByDataset{}
	ds := s.Datasets()
	return got, func(d int, row []any) {
		parts := make([]string, len(row))
		for i, v := range row {
			parts[i] = FormatValue(v)
		}
		got[ds[d].Name] = append(got[ds[d].Name], strings.Join(parts, " "))
	}
}

func hl7Msg(t testing.TB, lines ...string) *hl7.Message {
	t.Helper()
	m, err := hl7.Parse([]byte(strings.Join(lines, "\r") + "\r"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestExampleFixtures runs examples/rules.yaml over its fixtures (corpus
// messages and synthetic ones) through de-identification.
func TestExampleFixtures(t *testing.T) {
	path := filepath.Join("..", "examples", "rules.yaml")
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunFixtures(s, testEngine(t), path)
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, r := range res {
		if r.Skipped != "" {
			t.Logf("%s skipped: %s", r.Name, r.Skipped)
			continue
		}
		ran++
		for _, d := range r.Diffs {
			t.Errorf("%s: %s", r.Name, d)
		}
	}
	if ran < 2 {
		t.Fatalf("only %d fixtures ran", ran)
	}
	if _, err := os.Stat(filepath.Join("..", "..", "shared", "corpus")); err == nil && ran != len(res) {
		t.Errorf("corpus present but %d of %d fixtures skipped", len(res)-ran, len(res))
	}
}

// TestFixtureMismatch checks that a wrong expectation is reported readably.
func TestFixtureMismatch(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "r.yaml")
	os.WriteFile(rules, []byte(oneColumn("OBX", "string", "OBX-3.1")), 0o644)
	os.Mkdir(rules+FixtureDirSuffix, 0o755)
	os.WriteFile(filepath.Join(rules+FixtureDirSuffix, "a.yaml"), []byte(
		"message: |\n  MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\n  OBX|1|NM|GLU^Glucose^LN||5|mmol/L\n  OBX|2|NM|K^Potassium^LN||4\nrows:\n  d:\n    - {a: GLU}\n    - {a: NA}\n"), 0o644)
	s, err := Load(rules)
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunFixtures(s, testEngine(t), rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || len(res[0].Diffs) != 1 || res[0].Diffs[0] != `d row 2 column a: got "K", want "NA"` {
		t.Fatalf("diffs: %#v", res)
	}
}

// TestSegmentRowsAreRelative: in each: OBX rows, OBX paths read this OBX and
// OBR paths the nearest preceding OBR.
func TestSegmentRowsAreRelative(t *testing.T) {
	s := mustCompile(t, `version: 1
datasets:
  - name: obs
    each: OBX
    where: 'field("OBX-2") == "NM"'
    columns:
      - {name: test, type: string, from: 'OBX-3.1'}
      - {name: value, type: float64, from: 'number(field("OBX-5"))'}
      - {name: panel, type: string, from: 'OBR-4.1'}
      - {name: year, type: int64, from: 'year(field("OBR-7"))'}
      - {name: third, type: string, from: 'OBX[3]-3.1'}
      - {name: abnormal, type: bool, from: 'field("OBX-8") in ["H", "L", "A"]'}
`)
	m := hl7Msg(t,
		"MSH|^~\\&|LAB|F|R|F|2024||ORU^R01|1|P|2.5.1",
		"PID|1||x",
		"OBR|1|||CBC^Blood count^LN|||2023",
		"OBX|1|NM|WBC^^LN||7.5|10*3/uL||N",
		"OBX|2|TX|NOTE^^LN||text",
		"OBR|2|||BMP^Basic panel^LN|||2024",
		"OBX|3|NM|GLU^^LN||11|mmol/L||H",
	)
	got, emit := collect(s)
	if _, err := s.NewEvaluator().HL7(m, deid.Result{}, emit); err != nil {
		t.Fatal(err)
	}
	want := []string{`"WBC" 7.5 "CBC" 2023 "GLU" false`, `"GLU" 11 "BMP" 2024 "GLU" true`}
	if fmt.Sprint(got["obs"]) != fmt.Sprint(want) {
		t.Errorf("got %q\nwant %q", got["obs"], want)
	}
}

// TestDropRule: a matching drop rule emits nothing; code systems match by alias.
func TestDropRule(t *testing.T) {
	s := mustCompile(t, `version: 1
datasets:
  - name: all
    columns: [{name: t, type: string, from: 'msg.type'}]
drop:
  - name: part2
    when: 'any_code("DG1-3", "ICD-10-CM", ["F10", "F11.2"])'
`)
	ev := s.NewEvaluator()
	for _, tc := range []struct {
		dg1, drop string
	}{
		{"DG1|1||F11.20^x^I10", "part2"},
		{"DG1|1||F1120^x^ICD10", "part2"},
		{"DG1|1||Z00^x^I10~F10.1^x^I10", "part2"},
		{"DG1|1||X^x^L^F10.9^y^I10", "part2"}, // alternate triplet
		{"DG1|1||F11.10^x^I10", ""},           // F11.1 is not F11.2
		{"DG1|1||F10^x^SCT", ""},              // other system
		{"DG1|1||K35^x^I10", ""},
	} {
		m := hl7Msg(t, "MSH|^~\\&|A|B|C|D|2024||ADT^A03|1|P|2.5.1", "DG1|1||Z00^x^I10", tc.dg1)
		got, emit := collect(s)
		dropped, err := ev.HL7(m, deid.Result{}, emit)
		if err != nil {
			t.Fatal(err)
		}
		if dropped != tc.drop || (dropped == "") != (len(got["all"]) == 1) {
			t.Errorf("%s: dropped %q rows %v, want drop %q", tc.dg1, dropped, got, tc.drop)
		}
	}
}

// TestFHIRRows: resource rows from a Bundle, repeating-path rows, paths to
// other resources of the bundle, where(system=...).
func TestFHIRRows(t *testing.T) {
	s := mustCompile(t, `version: 1
datasets:
  - name: obs
    each: Observation
    when: 'format == "fhir"'
    columns:
      - {name: loinc, type: string, from: 'Observation.code.coding.where(system=''http://loinc.org'').code'}
      - {name: value, type: float64, from: 'Observation.valueQuantity.value'}
      - {name: sex, type: string, from: 'fhir("Patient.gender")'}
      - {name: year, type: int64, from: 'Observation.effectiveDateTime'}
  - name: bp
    each: Observation.component
    columns:
      - {name: code, type: string, from: 'Observation.component.code.coding.code'}
      - {name: value, type: float64, from: 'Observation.component.valueQuantity.value'}
      - {name: obs_code, type: string, from: 'Observation.code.coding[1].code'}
drop:
  - name: sud
    when: 'any_code("Condition.code", "I10", ["F1"])'
`)
	bundle := `{"resourceType":"Bundle","type":"collection","entry":[
 {"resource":{"resourceType":"Patient","gender":"female"}},
 {"resource":{"resourceType":"Observation","code":{"coding":[{"system":"http://snomed.info/sct","code":"1"},{"system":"http://loinc.org","code":"2345-7"}]},"valueQuantity":{"value":5.4},"effectiveDateTime":"2021"}},
 {"resource":{"resourceType":"Observation","code":{"coding":[{"system":"x","code":"a"},{"system":"http://loinc.org","code":"85354-9"}]},
   "component":[{"code":{"coding":[{"code":"8480-6"}]},"valueQuantity":{"value":120}},{"code":{"coding":[{"code":"8462-4"}]},"valueQuantity":{"value":80}}]}}]}`
	v, err := fhir.Parse([]byte(bundle))
	if err != nil {
		t.Fatal(err)
	}
	got, emit := collect(s)
	ev := s.NewEvaluator()
	if d, err := ev.FHIR(v, deid.Result{}, emit); err != nil || d != "" {
		t.Fatal(d, err)
	}
	want := rowsByDataset{
		"obs": {`"2345-7" 5.4 "female" 2021`, `"85354-9" null "female" null`},
		"bp":  {`"8480-6" 120 "85354-9"`, `"8462-4" 80 "85354-9"`},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	cond, _ := fhir.Parse([]byte(`{"resourceType":"Condition","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"F12.10"}]}}`))
	if d, err := ev.FHIR(cond, deid.Result{}, emit); err != nil || d != "sud" {
		t.Errorf("condition: dropped %q, %v", d, err)
	}
}

// TestRuntimeErrorHasNoPHI: a failing expression reports dataset, column
// and position, never the message value it choked on.
func TestRuntimeErrorHasNoPHI(t *testing.T) {
	s := mustCompile(t, oneColumn("OBX", "int64", `int(field("OBX-5"))`))
	m := hl7Msg(t, "MSH|^~\\&|A|B|C|D|2024||ORU^R01|1|P|2.5.1", "OBX|1|ST|X||JOHN SMITH 555-0100")
	_, err := s.NewEvaluator().HL7(m, deid.Result{}, nil)
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "JOHN") || strings.Contains(err.Error(), "555") {
		t.Fatalf("error leaks the value: %v", err)
	}
	if !strings.Contains(err.Error(), `dataset "d" column "a"`) {
		t.Errorf("error does not say where: %v", err)
	}
}

// TestReload: a broken file never replaces the running rules; a good one
// does, and workers switch between messages.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(oneColumn("OBX", "string", "OBX-3.1"))
	var logs bytes.Buffer
	w, err := NewWatcher(path, 10*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m := func() *hl7.Message {
		return hl7Msg(t, "MSH|^~\\&|A|B|C|D|2024||ORU^R01|1|P|2.5.1", "OBX|1|NM|GLU^Glucose^LN||5")
	}
	rowOf := func(ev *Evaluator) string {
		got, emit := collect(ev.Set())
		if _, err := ev.HL7(m(), deid.Result{}, emit); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(got["d"])
	}
	ev := w.Refresh(nil)
	v1 := w.Set().Version()
	if r := rowOf(ev); r != `["GLU"]` {
		t.Fatalf("first rules: %s", r)
	}

	// broken: an identifier-exposing column
	write(oneColumn("OBX", "string", "PID-5"))
	changed, err := w.Reload()
	if changed || err == nil || !strings.Contains(err.Error(), "r.yaml:6:40:") {
		t.Fatalf("broken reload: changed=%v err=%v", changed, err)
	}
	if w.Set().Version() != v1 || w.LastError() == nil {
		t.Fatal("broken file replaced the running rules")
	}
	if ev2 := w.Refresh(ev); ev2 != ev {
		t.Fatal("evaluator replaced after a failed reload")
	}
	if !strings.Contains(logs.String(), "reload failed") || !strings.Contains(logs.String(), "6:40") {
		t.Errorf("log: %s", logs.String())
	}

	// good: picked up by polling (mtime/size) while Run goes on
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(20 * time.Millisecond)
	write(oneColumn("OBX", "string", "OBX-3.2") + "# now the text\n")
	deadline := time.Now().Add(5 * time.Second)
	for w.Set().Version() == v1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if w.Set().Version() == v1 {
		t.Fatal("good file was not picked up")
	}
	// the old evaluator finishes its message with the old rules, the next
	// message runs the new ones
	if r := rowOf(ev); r != `["GLU"]` {
		t.Errorf("old evaluator: %s", r)
	}
	ev = w.Refresh(ev)
	if r := rowOf(ev); r != `["Glucose"]` {
		t.Errorf("new rules: %s", r)
	}
	if w.LastError() != nil {
		t.Errorf("LastError after a good reload: %v", w.LastError())
	}
}

func TestNewWatcherRejectsBrokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.yaml")
	os.WriteFile(path, []byte("version: 1\ndatasets: nope\n"), 0o644)
	if _, err := NewWatcher(path, 0, nil); err == nil {
		t.Fatal("broken initial rules accepted")
	}
}
