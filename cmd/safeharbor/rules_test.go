package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const exampleRules = "../../examples/rules.yaml"

// TestRulesCheckCommand: a good file lists its datasets; a bad one gets
// file:line:col errors (every one, not only the first) and exit 1.
func TestRulesCheckCommand(t *testing.T) {
	code, out, errs := run([]string{"rules", "check", exampleRules}, "")
	if code != exitOK || !strings.Contains(out, exampleRules+": ok (version ") ||
		!strings.Contains(out, "  dataset lab_results (each OBX): patient string, loinc string") ||
		!strings.Contains(out, "  drop part2_substance_use") || !strings.Contains(out, "  phi store: original") {
		t.Fatalf("check example: code %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}

	// schema errors (reported together, before type checks), then a
	// column that would export a patient name
	dir := t.TempDir()
	for _, tc := range []struct{ name, src, want string }{
		{"schema", "version: 1\n" +
			"datasets:\n" +
			"  - name: d\n" +
			"    each: OBX\n" +
			"    colums: []\n", // unknown key, and so no columns
			`5:5: dataset: unknown key "colums"` + "\n" + `3:5: dataset needs columns`},
		{"identifier", "version: 1\n" +
			"datasets:\n" +
			"  - name: e\n" +
			"    columns:\n" +
			"      - {name: n, type: string, from: 'PID-5'}\n",
			`5:40: column "n": column would expose a name`},
	} {
		bad := filepath.Join(dir, tc.name+".yaml")
		if err := os.WriteFile(bad, []byte(tc.src), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errs := run([]string{"rules", "check", bad}, "")
		if code != exitFail || out != "" {
			t.Fatalf("%s: code %d, stdout %q", tc.name, code, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(errs), "\n") {
			rest, ok := strings.CutPrefix(l, bad+":")
			if !ok || !regexp.MustCompile(`^\d+:\d+: `).MatchString(rest) {
				t.Fatalf("%s: error line without file:line:col: %q", tc.name, l)
			}
			got = append(got, rest)
		}
		wants := strings.Split(tc.want, "\n")
		if len(got) != len(wants) {
			t.Errorf("%s: %d errors, want %d:\n%s", tc.name, len(got), len(wants), errs)
			continue
		}
		for i, w := range wants {
			if !strings.HasPrefix(got[i], w) {
				t.Errorf("%s: error %d is %q, want it to start with %q", tc.name, i+1, got[i], w)
			}
		}
	}

	if code, _, _ := run([]string{"rules", "check"}, ""); code != exitUsage {
		t.Errorf("check without a file: code %d, want %d", code, exitUsage)
	}
	if code, _, errs := run([]string{"rules", "check", filepath.Join(dir, "missing.yaml")}, ""); code != exitFail || !strings.Contains(errs, "missing.yaml") {
		t.Errorf("check of a missing file: code %d, stderr %q", code, errs)
	}
}

// TestRulesTestCommand: the example's fixtures pass; a fixture that does
// not match prints a readable diff and exits 1.
func TestRulesTestCommand(t *testing.T) {
	if _, err := os.Stat("../../../shared/corpus"); err != nil {
		t.Skip("../shared/corpus is absent: the example fixtures read corpus messages")
	}
	code, out, errs := run([]string{"rules", "test", exampleRules}, "")
	if code != exitOK || !strings.Contains(out, "ok   oru_lab") || !regexp.MustCompile(`\d+ passed, 0 failed, 0 skipped`).MatchString(out) {
		t.Fatalf("example fixtures: code %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "r.yaml")
	os.WriteFile(file, []byte("version: 1\ndatasets:\n  - name: d\n    each: OBX\n    columns:\n      - {name: a, type: string, from: 'OBX-3.1'}\n"), 0o644)
	os.Mkdir(file+".tests", 0o755)
	os.WriteFile(filepath.Join(file+".tests", "glucose.yaml"), []byte(
		"message: |\n  MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\n  OBX|1|NM|GLU^Glucose^LN||5|mmol/L\nrows:\n  d:\n    - {a: NA}\n"), 0o644)
	code, out, _ = run([]string{"rules", "test", file}, "")
	if code != exitFail || !strings.Contains(out, "FAIL glucose") ||
		!strings.Contains(out, `     d row 1 column a: got "GLU", want "NA"`) || !strings.Contains(out, "0 passed, 1 failed") {
		t.Fatalf("mismatching fixture: code %d\n%s", code, out)
	}
}

// TestRulesExplainCommand: explain needs a key, and shows the datasets,
// rows and sources of one message without its identifiers.
func TestRulesExplainCommand(t *testing.T) {
	dir := t.TempDir()
	msg := filepath.Join(dir, "m.hl7")
	os.WriteFile(msg, []byte(sampleHL7), 0o644)
	if code, _, errs := run([]string{"rules", "explain", exampleRules, msg}, ""); code != exitUsage || !strings.Contains(errs, "--key-file") {
		t.Fatalf("explain without a key: code %d, stderr %q", code, errs)
	}
	key := writeKey(t, dir, 0o600)
	code, out, errs := run([]string{"rules", "explain", "--key-file", key, exampleRules, msg}, "")
	if code != exitOK {
		t.Fatalf("explain: code %d\nstderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"message " + msg + " (ADT^A01), rules " + exampleRules + " version ",
		"  part2_substance_use: no match",
		"  encounters (each message): matched, 1 rows",
		"  lab_results (each OBX): not matched: when is false, 0 rows",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^      state +string += "IL" +<- path PID-11\.4$`).MatchString(out) {
		t.Errorf("no state column with its source:\n%s", out)
	}
	for _, phi := range []string{phiName, "MRN4242", "SPRINGFIELD", "19610704", "555-0199", "62704"} {
		if strings.Contains(out+errs, phi) {
			t.Errorf("explain shows %q:\n%s", phi, out)
		}
	}

	bad := filepath.Join(dir, "bad.hl7")
	os.WriteFile(bad, []byte("PID|1||"+phiName+"\r"), 0o644)
	code, _, errs = run([]string{"rules", "explain", "--key-file", key, exampleRules, bad}, "")
	if code != exitFail || !strings.Contains(errs, "bad.hl7") || strings.Contains(errs, phiName) {
		t.Fatalf("explain of a bad message: code %d, stderr %q", code, errs)
	}
}
