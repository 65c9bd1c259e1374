package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const phiName = "QUIMBLETON"

var sampleHL7 = "MSH|^~\\&|A|B|C|D|20260301120000||ADT^A01|X1|P|2.5.1\r" +
	"PID|1||MRN4242^^^H^MR||" + phiName + "^ZYXWVUT||19610704|F|||1 ELM ST^^SPRINGFIELD^IL^62704||(217)555-0199\r" +
	"NTE|1||Seen with daughter Mary " + phiName + " on 03/01/2026\r"

const sampleFHIR = `{"resourceType":"Patient","id":"p1","identifier":[{"type":{"coding":[{"code":"MR"}]},"value":"MRN4242"}],` +
	`"name":[{"family":"` + phiName + `","given":["Zyxwvut"]}],"birthDate":"1961-07-04","gender":"female",` +
	`"address":[{"line":["1 Elm St"],"city":"Springfield","state":"IL","postalCode":"62704"}]}`

func writeKey(t *testing.T, dir string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, "key")
	if err := os.WriteFile(p, bytes.Repeat([]byte{0x42}, 32), mode); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(p, mode)
	return p
}

func run(args []string, stdin string) (int, string, string) {
	var out, errb bytes.Buffer
	code := dispatch(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDeidCommandKeys(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"no key":         {"deid", "--key-file", ""},
		"missing key":    {"deid", "--key-file", filepath.Join(dir, "nope")},
		"world-readable": {"deid", "--key-file", writeKey(t, t.TempDir(), 0o644)},
	} {
		t.Setenv("SAFEHARBOR_KEY_FILE", "")
		code, out, errs := run(args, sampleHL7)
		if code != exitUsage || out != "" || errs == "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", name, code, out, errs)
		}
	}
	short := filepath.Join(dir, "short")
	_ = os.WriteFile(short, []byte("too short"), 0o600)
	if code, _, errs := run([]string{"deid", "--key-file", short}, sampleHL7); code != exitUsage || !strings.Contains(errs, "shorter than 32") {
		t.Errorf("short key: %d %q", code, errs)
	}
}

func TestDeidCommandFormats(t *testing.T) {
	key := writeKey(t, t.TempDir(), 0o600)
	cases := map[string]string{
		"hl7v2":  sampleHL7,
		"mllp":   "\x0b" + sampleHL7 + "\x1c\r",
		"fhir":   sampleFHIR,
		"ndjson": sampleFHIR + "\n" + sampleFHIR + "\n",
		// plain text has no structured part to learn names from: a cue and
		// ordinary capitalization are needed (see README: known gaps)
		"text": "Pt Quimbleton called from (217) 555-0199 on March 3, 2026.",
	}
	for name, in := range cases {
		code, out, errs := run([]string{"deid", "--key-file", key}, in)
		if code != exitOK {
			t.Errorf("%s: exit %d: %s", name, code, errs)
			continue
		}
		if strings.Contains(strings.ToUpper(out), phiName) || strings.Contains(out, "555-0199") || strings.Contains(out, "MRN4242") {
			t.Errorf("%s: output leaks PHI:\n%s", name, out)
		}
		if len(out) == 0 {
			t.Errorf("%s: no output", name)
		}
	}
	// explicit format, and a FHIR output that is valid JSON
	code, out, _ := run([]string{"deid", "--key-file", key, "--format", "fhir"}, sampleFHIR)
	var v map[string]any
	if code != exitOK || json.Unmarshal([]byte(out), &v) != nil || v["birthDate"] != "1961" {
		t.Errorf("fhir: %d %s", code, out)
	}
}

func TestDeidCommandFilesAndErrors(t *testing.T) {
	dir := t.TempDir()
	key := writeKey(t, dir, 0o600)
	good := filepath.Join(dir, "good.hl7")
	bad := filepath.Join(dir, "bad.hl7")
	badJSON := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(good, []byte(sampleHL7+sampleHL7), 0o600)
	_ = os.WriteFile(bad, []byte("MSH|^~\\&|A\rPI"+phiName+"|x\r"+sampleHL7), 0o600)
	_ = os.WriteFile(badJSON, []byte(`{"resourceType":"Patient","name":[{"family":"`+phiName+`"}`), 0o600)
	outDir := filepath.Join(dir, "out")
	report := filepath.Join(dir, "report.json")

	// without --keep-going: stop at the first bad input
	code, _, errs := run([]string{"deid", "--key-file", key, "--out-dir", outDir, bad, good}, "")
	if code != exitFail || !strings.Contains(errs, "bad.hl7: message 1") {
		t.Fatalf("stop at first: %d %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(outDir, "good.hl7")); err == nil {
		t.Fatal("went on after a failure without --keep-going")
	}
	// with --keep-going: every failure reported, the rest processed
	code, _, errs = run([]string{"deid", "--key-file", key, "--out-dir", outDir, "--keep-going", "--report", report, bad, badJSON, good}, "")
	if code != exitFail {
		t.Fatalf("keep-going exit %d", code)
	}
	for _, want := range []string{"bad.hl7: message 1", "bad.json:", "byte offset"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q: %s", want, errs)
		}
	}
	if strings.Contains(strings.ToUpper(errs), phiName) {
		t.Errorf("stderr leaks PHI: %s", errs)
	}
	outGood, err := os.ReadFile(filepath.Join(outDir, "good.hl7"))
	if err != nil || bytes.Count(outGood, []byte("MSH|")) != 2 {
		t.Fatalf("good file output: %v %q", err, outGood)
	}
	// the valid message after the bad one in bad.hl7 was not lost
	outBad, _ := os.ReadFile(filepath.Join(outDir, "bad.hl7"))
	if bytes.Count(outBad, []byte("MSH|")) != 1 {
		t.Fatalf("valid message in a bad file lost: %q", outBad)
	}
	rep, _ := os.ReadFile(report)
	var r struct {
		Messages    int
		Failed      int
		Identifiers map[string]map[string]int
	}
	if err := json.Unmarshal(rep, &r); err != nil || r.Messages != 3 || r.Failed != 2 || r.Identifiers["name"]["removed"] == 0 {
		t.Fatalf("report: %v %s", err, rep)
	}
	if strings.Contains(strings.ToUpper(string(rep)), phiName) {
		t.Fatal("report leaks PHI")
	}
}

// TestDeidCommandHeaderlessSegments: HL7v2 segments without an MSH header are
// an error in auto mode, never scrubbed as prose (which would keep PID-5).
func TestDeidCommandHeaderlessSegments(t *testing.T) {
	key := writeKey(t, t.TempDir(), 0o600)
	in := "PID|1||MRN4242^^^H^MR||" + phiName + "^ZYXWVUT||19610704|F\rPV1|1|I\r"
	code, out, errs := run([]string{"deid", "--key-file", key}, in)
	if code != exitFail || out != "" || !strings.Contains(errs, "MSH") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if strings.Contains(strings.ToUpper(out+errs), phiName) {
		t.Fatal("PHI in output or error")
	}
	// prose that merely starts with a capitalised word is still text
	if detect([]byte("The patient was seen.")) != fmtText || detect([]byte("PID|1")) != fmtHL7 ||
		detect([]byte("CBC: normal\nWBC 5.1")) != fmtText || detect([]byte("PID#1\rPV1#1")) != fmtHL7 {
		t.Fatal("detection")
	}
}
