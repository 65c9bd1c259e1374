package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/hl7"
)

// TestDeidLeakGuard: when de-identification leaks an identifier of the
// original (an engine bug simulated by a hook), `deid` writes no output for
// that message, reports it as file: message N: leak guard: ... without the
// value, exits 1, and with --keep-going writes the other messages.
func TestDeidLeakGuard(t *testing.T) {
	key := writeKey(t, t.TempDir(), 0o600)
	second := strings.Replace(sampleHL7, "MRN4242", "MRN7777", 1)
	second = strings.Replace(second, phiName, "FROBISHER", -1)
	in := filepath.Join(t.TempDir(), "in.hl7")
	if err := os.WriteFile(in, []byte(sampleHL7+second), 0o600); err != nil {
		t.Fatal(err)
	}
	// the bug: the first message gets its MRN back in a note
	n := 0
	testHookAfterHL7 = func(m *hl7.Message) {
		if n++; n == 1 {
			_ = m.AppendSegment([]byte("NTE|2||chart mrn4242 reviewed"))
		}
	}
	defer func() { testHookAfterHL7 = nil }()

	for _, keep := range []bool{false, true} {
		n = 0
		outDir := t.TempDir()
		args := []string{"deid", "--key-file", key, "--out-dir", outDir}
		if keep {
			args = append(args, "--keep-going")
		}
		code, _, errs := run(append(args, in), "")
		if code != exitFail {
			t.Fatalf("keep-going=%v: exit %d, want %d (stderr %q)", keep, code, exitFail, errs)
		}
		want := in + ": message 1: leak guard: identifier (PID-3) value found in output NTE-3"
		if !strings.Contains(errs, want) {
			t.Errorf("keep-going=%v: stderr %q lacks %q", keep, errs, want)
		}
		if strings.Contains(strings.ToUpper(errs), "MRN4242") {
			t.Errorf("stderr carries the identifier: %q", errs)
		}
		out, _ := os.ReadFile(filepath.Join(outDir, "in.hl7"))
		if strings.Contains(strings.ToUpper(string(out)), "MRN4242") {
			t.Fatalf("keep-going=%v: the leaking message was written", keep)
		}
		if got := strings.Count(string(out), "MSH|"); keep && got != 1 || !keep && got != 0 {
			t.Errorf("keep-going=%v: %d messages written", keep, got)
		}
	}

	// the guard can be turned off (unsafe, warned): the bug then goes through
	n = 0
	code, out, errs := run([]string{"deid", "--key-file", key, "--no-leak-guard", in}, "")
	if code != exitOK || !strings.Contains(out, "mrn4242") || !strings.Contains(errs, "unsafe") {
		t.Errorf("--no-leak-guard: exit %d, stderr %q", code, errs)
	}
}

// TestDeidLeakGuardQuiet: valid inputs pass the guard untouched.
func TestDeidLeakGuardQuiet(t *testing.T) {
	key := writeKey(t, t.TempDir(), 0o600)
	for name, in := range map[string]string{"hl7": sampleHL7, "fhir": sampleFHIR} {
		if code, out, errs := run([]string{"deid", "--key-file", key}, in); code != exitOK || out == "" {
			t.Errorf("%s: exit %d, stderr %q", name, code, errs)
		}
	}
}
