package main

import (
	"strings"
	"testing"
)

// TestDetectHL7AfterJunk: an HL7v2 message after a leading junk line (and
// a BOM or blank lines) is HL7v2 in auto mode, never prose; prose that merely
// mentions MSH stays text.
func TestDetectHL7AfterJunk(t *testing.T) {
	msg := "MSH|^~\\&|A|B|C|D|20260301||ADT^A01|1|P|2.5.1\rPID|1||MRN4242^^^H^MR||" + phiName + "^ZYXWVUT||19610704|F\r"
	for _, in := range []string{
		"junk line\n" + msg,
		"\xEF\xBB\xBF\r\n  \r\n=== export 2026-03-01 ===\r\n" + msg,
		"Batch of 1\r\nfrom the interface engine\r\n\r\n" + msg,
		"junk\n" + strings.Replace(msg, "|", "#", 4), // other delimiters
	} {
		if got := detect([]byte(in)); got != fmtHL7 {
			t.Errorf("detect(%.30q...) = %s, want hl7v2", in, got)
		}
	}
	for _, in := range []string{
		"The MSH segment was missing.\nPlease resend.",
		"MSH is the message header.\nNothing else.",
		"Note\nMSH-7 holds the date.",
	} {
		if got := detect([]byte(in)); got != fmtText {
			t.Errorf("detect(%q) = %s, want text", in, got)
		}
	}
	// end to end: the junk line is reported, the message de-identified as HL7v2
	dir := t.TempDir()
	key := writeKey(t, dir, 0o600)
	code, out, errs := run([]string{"deid", "--key-file", key, "--keep-going"}, "junk line\n"+msg)
	if strings.Contains(strings.ToUpper(out+errs), phiName) || !strings.Contains(out, "ZDI|") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
