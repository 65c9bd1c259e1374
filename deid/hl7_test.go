package deid

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/safeharbor/safeharbor/hl7"
)

var corpusDir = filepath.Join("..", "..", "shared", "corpus")

var testKey = bytes.Repeat([]byte{0x5a}, 32)

func newEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(Config{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type corpusMsg struct {
	file  string
	index int
	data  []byte
}

// hl7Corpus returns every parseable HL7v2 message of the corpus.
func hl7Corpus(t testing.TB) []corpusMsg {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("shared corpus not found at %s: skipping", corpusDir)
	}
	var out []corpusMsg
	_ = filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ext := strings.ToLower(filepath.Ext(p))
		if (ext != ".hl7" && ext != ".txt") || strings.Contains(p, "redactor-profiles") {
			return nil
		}
		data, _ := os.ReadFile(p)
		sc := hl7.NewScanner(bytes.NewReader(data), 0)
		for {
			msg, err := sc.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				continue
			}
			if _, err := hl7.Parse(msg); err != nil {
				continue
			}
			rel, _ := filepath.Rel(corpusDir, p)
			out = append(out, corpusMsg{rel, sc.Index(), append([]byte(nil), msg...)})
		}
		return nil
	})
	return out
}

// oracleFields lists, independently of the engine's tables, where Safe
// Harbor identifiers live in HL7v2 (docs/safe-harbor.md). Each entry is a
// segment, field and the components holding identifier values (nil = all).
var oracleFields = []struct {
	seg   string
	field int
	comps []int
}{
	{"PID", 2, []int{1}}, {"PID", 3, []int{1}}, {"PID", 4, []int{1}}, {"PID", 5, []int{1, 2, 3}},
	{"PID", 6, []int{1, 2}}, {"PID", 9, []int{1, 2, 3}}, {"PID", 11, []int{1, 2, 3, 5, 9}},
	{"PID", 12, nil}, {"PID", 13, []int{1, 4, 7, 12}}, {"PID", 14, []int{1, 4, 7, 12}},
	{"PID", 18, []int{1}}, {"PID", 19, nil}, {"PID", 20, []int{1}}, {"PID", 21, []int{1}},
	{"PID", 23, nil}, {"PD1", 10, []int{1}},
	{"NK1", 2, []int{1, 2, 3}}, {"NK1", 4, []int{1, 2, 3, 5}}, {"NK1", 5, []int{1, 4, 7}},
	{"NK1", 6, []int{1, 4, 7}}, {"NK1", 13, []int{1}}, {"NK1", 30, []int{1, 2, 3}},
	{"NK1", 31, []int{1, 4, 7}}, {"NK1", 32, []int{1, 3, 5}}, {"NK1", 33, []int{1}}, {"NK1", 37, nil},
	{"PV1", 19, []int{1}}, {"PV1", 50, []int{1}},
	{"GT1", 2, []int{1}}, {"GT1", 3, []int{1, 2, 3}}, {"GT1", 5, []int{1, 2, 3, 5}}, {"GT1", 6, []int{1, 4, 7}},
	{"GT1", 7, []int{1, 4, 7}}, {"GT1", 12, nil}, {"GT1", 16, []int{1, 2}}, {"GT1", 19, []int{1}},
	{"IN1", 16, []int{1, 2, 3}}, {"IN1", 19, []int{1, 2, 3, 5}}, {"IN1", 36, nil}, {"IN1", 49, []int{1}},
	{"IN2", 2, nil}, {"IN2", 6, nil}, {"IN2", 8, nil}, {"IN2", 61, []int{1}},
	{"MRG", 1, []int{1}}, {"MRG", 7, []int{1, 2, 3}},
	{"ORC", 2, []int{1}}, {"ORC", 3, []int{1}}, {"OBR", 2, []int{1}}, {"OBR", 3, []int{1}},
	{"TXA", 12, []int{1}}, {"OBX", 18, []int{1}}, {"ACC", 9, nil},
}

// oracleDates are date fields whose full dates (YYYYMMDD) must not survive.
var oracleDates = []struct {
	seg   string
	field int
}{{"PID", 7}, {"PID", 29}, {"PV1", 44}, {"PV1", 45}, {"OBR", 7}, {"OBX", 14}, {"NK1", 16}, {"GT1", 8},
	{"IN1", 18}, {"EVN", 2}, {"MSH", 7}, {"TXA", 4}, {"DG1", 5}, {"SPM", 17}}

// collectIdentifiers reads identifier values from an input message using
// only the hl7 package.
func collectIdentifiers(m *hl7.Message) (vals []string) {
	d := m.Delims()
	for _, of := range oracleFields {
		for s := range m.Segments(of.seg) {
			raw := s.Field(of.field)
			for r := 1; r <= hl7.Count(raw, d.Repetition); r++ {
				rep := hl7.Nth(raw, d.Repetition, r)
				if of.comps == nil {
					vals = append(vals, m.Unescape(rep))
					continue
				}
				for _, c := range of.comps {
					comp := hl7.Nth(rep, d.Component, c)
					for sc := 1; sc <= hl7.Count(comp, d.Subcomponent); sc++ {
						vals = append(vals, m.Unescape(hl7.Nth(comp, d.Subcomponent, sc)))
					}
				}
			}
		}
	}
	for _, od := range oracleDates {
		for s := range m.Segments(od.seg) {
			v := string(hl7.Nth(hl7.Nth(s.Field(od.field), d.Repetition, 1), d.Component, 1))
			if len(v) >= 8 && allDigits(v[:8]) && v[4:8] != "0101" { // Jan 1 is ambiguous with a bare year
				vals = append(vals, v[:8])
			}
		}
	}
	return vals
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// TestHL7LeakOracle: no identifier value of the input occurs in the output,
// case-insensitively, including inside free text.
func TestHL7LeakOracle(t *testing.T) {
	e := newEngine(t)
	msgs := hl7Corpus(t)
	checked, skippedShort, ambiguous := 0, 0, 0
	for _, cm := range msgs {
		in, _ := hl7.Parse(cm.data)
		vals := collectIdentifiers(in)
		// the same text in a non-identifier field of the input (a code
		// display, a provider name) cannot be attributed to the identifier
		blank, _ := hl7.Parse(append([]byte(nil), cm.data...))
		for _, of := range oracleFields {
			for s := range blank.Segments(of.seg) {
				_ = s.SetField(of.field, nil)
			}
		}
		for _, od := range oracleDates {
			for s := range blank.Segments(od.seg) {
				_ = s.SetField(od.field, nil)
			}
		}
		// free text must be scrubbed of the message's identifiers, so it
		// does not make a value unattributable either
		for _, ft := range []struct {
			seg   string
			field int
		}{{"NTE", 3}, {"OBX", 5}, {"TXA", 25}, {"OBR", 13}, {"DG1", 4}, {"PR1", 4}, {"AL1", 5}, {"PV2", 12}} {
			for s := range blank.Segments(ft.seg) {
				_ = s.SetField(ft.field, nil)
			}
		}
		rest := strings.ToUpper(string(blank.Bytes()))

		m, _ := hl7.Parse(append([]byte(nil), cm.data...))
		if _, err := e.HL7(m, nil); err != nil {
			t.Errorf("%s #%d: %v", cm.file, cm.index, err)
			continue
		}
		out := strings.ToUpper(string(m.Bytes()))
		if _, err := hl7.Parse(m.Bytes()); err != nil {
			t.Errorf("%s #%d: output does not parse: %v", cm.file, cm.index, err)
		}
		for _, v := range vals {
			v = strings.ToUpper(strings.TrimSpace(v))
			if len(v) < 4 {
				skippedShort++
				continue
			}
			if containsToken(rest, v) {
				ambiguous++
				continue
			}
			checked++
			if containsToken(out, v) {
				t.Errorf("%s #%d: an identifier value (%d chars) survives de-identification", cm.file, cm.index, len(v))
			}
		}
	}
	t.Logf("leak oracle: %d messages, %d identifier values checked absent; %d shorter than 4 chars and %d also present in non-identifier fields of the input not attributable", len(msgs), checked, skippedShort, ambiguous)
	if checked < 500 {
		t.Errorf("only %d values checked", checked)
	}
}

// TestHL7Utility: clinical content survives.
// build makes a message from a skeleton and raw field values by path.
func build(t *testing.T, skeleton string, fields ...string) *hl7.Message {
	t.Helper()
	m, err := hl7.Parse([]byte(skeleton))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if err := m.SetRaw(fields[i], []byte(fields[i+1])); err != nil {
			t.Fatalf("%s: %v", fields[i], err)
		}
	}
	m, err = hl7.Parse(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHL7Utility(t *testing.T) {
	e := newEngine(t)
	src := "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20260301120000||ORU^R01^ORU_R01|C1|P|2.5.1\r" +
		"PID|1||MRN777^^^HOSP^MR||ZYXWVUT^QUIMBLETON^Q||19610704|F|||12 ELM ST^^SPRINGFIELD^IL^62704^USA||(217)555-0199|||||ACCT9|123-45-6789\r" +
		"PV1|1|I|ICU^12^B\r" +
		"DG1|1|I10|E11.9^Type 2 diabetes mellitus without complications^I10||20260228\r" +
		"OBR|1|ORD1|FIL1|24323-8^Comprehensive metabolic panel^LN|||20260301073000\r" +
		"OBX|1|NM|2345-7^Glucose^LN||142|mg/dL|70-99|H|||F|||20260301073000\r" +
		"OBX|2|NM|2160-0^Creatinine^LN||1.1|mg/dL|0.6-1.2|N|||F\r" +
		"OBX|3|TX|18842-5^Discharge summary^LN||Ms. Quimbleton (MRN777) seen 03/01/2026, call 217-555-0199. A1c 8.2%, start metformin 500 mg BID.||||||F\r" +
		"NTE|1||Daughter Mary Zyxwvut called from 12 Elm St.\r"
	m := build(t, src, "PV1-19", "V123", "PV1-44", "20260228083000", "PV1-45", "20260302101500")
	var rep Report
	res, err := e.HL7(m, &rep)
	if err != nil {
		t.Fatal(err)
	}
	out := string(m.Bytes())
	get := func(p string) string { v, _ := m.Get(p); return v }
	checks := map[string]string{
		"OBX-3.1": "2345-7", "OBX-5": "142", "OBX-6": "mg/dL", "OBX-7": "70-99", "OBX-8": "H",
		"OBX[2]-3.1": "2160-0", "OBX[2]-5": "1.1", "DG1-3.1": "E11.9", "PID-8": "F", "PID-11.4": "IL",
		"PID-11.5": "627", "PID-11.6": "USA", "PID-7": "1961", "PV1-44": "2026", "PV1-45": "2026",
		"OBR-4.1": "24323-8", "PV1-2": "I",
	}
	for p, want := range checks {
		if got := get(p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	note := get("OBX[3]-5")
	for _, want := range []string{"A1c 8.2%", "metformin 500 mg BID"} {
		if !strings.Contains(note, want) {
			t.Errorf("note lost %q: %q", want, note)
		}
	}
	for _, leak := range []string{"QUIMBLETON", "ZYXWVUT", "MRN777", "555-0199", "123-45-6789", "ELM", "SPRINGFIELD", "03/01/2026", "ACCT9", "V123", "19610704", "62704"} {
		if strings.Contains(strings.ToUpper(out), strings.ToUpper(leak)) {
			t.Errorf("output contains %q:\n%s", leak, out)
		}
	}
	if res.Pseudonym == "" || res.Pseudonym != e.Pseudonymizer().IDIn(NormalizeAuthority("HOSP"), "MRN777") || get("PID-3.1") != res.Pseudonym {
		t.Errorf("pseudonym %q, PID-3.1 %q", res.Pseudonym, get("PID-3.1"))
	}
	if get("PID-3.4") != "HOSP" || get("PID-3.5") != "MR" {
		t.Errorf("PID-3 authority/type lost: %q", get("PID-3"))
	}
	if get("ZDI-2") != "safe-harbor" || get("ZDI-3") != Version {
		t.Errorf("provenance %q", get("ZDI"))
	}
	if rep.Total() == 0 || rep.Counts[0][Removed] == 0 {
		t.Errorf("report empty")
	}
}

func TestHL7Over90AndZIP(t *testing.T) {
	e := newEngine(t)
	src := "MSH|^~\\&|A|B|C|D|20260301||ADT^A08|1|P|2.5.1\r" +
		"PID|1||M1^^^H^MR||DOE^JANE||19300515|F|||1 A ST^^TOWN^NH^03601||||||||\r" +
		"NK1|1|DOE^JOHN|SPO|^^^VT^05901\r" +
		"ZPX|secret stuff\r"
	m := build(t, src, "NK1-16", "19940101")
	res, err := e.HL7(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	get := func(p string) string { v, _ := m.Get(p); return v }
	if !res.Over90 || get("PID-7") != "" || get("ZDI-5") != "90+" {
		t.Errorf("over 90: res %+v PID-7 %q ZDI %q", res, get("PID-7"), get("ZDI-5"))
	}
	if get("PID-11.5") != "000" || get("NK1-4.5") != "000" {
		t.Errorf("restricted ZIP3: %q %q", get("PID-11.5"), get("NK1-4.5"))
	}
	if get("NK1-16") != "1994" {
		t.Errorf("relative DOB %q", get("NK1-16"))
	}
	if strings.Contains(string(m.Bytes()), "ZPX") {
		t.Error("Z-segment kept")
	}
}

func TestHL7ShiftProfile(t *testing.T) {
	e, err := New(Config{Key: testKey, Profile: Shift})
	if err != nil {
		t.Fatal(err)
	}
	src := "MSH|^~\\&|A|B|C|D|20260301||ADT^A01|1|P|2.5.1\rPID|1||M1^^^H^MR||DOE^JANE||19700515|F\rPV1|1|I\r"
	m := build(t, src, "PV1-44", "20260228083000", "PV1-45", "20260302")
	if _, err := e.HL7(m, nil); err != nil {
		t.Fatal(err)
	}
	get := func(p string) string { v, _ := m.Get(p); return v }
	admit, disch := get("PV1-44"), get("PV1-45")
	if len(admit) != 14 || len(disch) != 8 || admit[:8] == "20260228" {
		t.Fatalf("shifted %q %q", admit, disch)
	}
	a, _ := parseHL7Date(admit)
	b, _ := parseHL7Date(disch)
	if b.time().Sub(a.time()).Hours() != 48 {
		t.Errorf("interval not kept: %s %s", admit, disch)
	}
	if get("ZDI-2") != "shift" {
		t.Errorf("shift profile not labelled: %q", get("ZDI"))
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		_ = os.Chmod(p, mode)
		return p
	}
	good := write("good", bytes.Repeat([]byte{7}, 32), 0o600)
	if k, err := LoadKeyFile(good); err != nil || len(k) != 32 {
		t.Fatalf("good key: %v", err)
	}
	hexKey := write("hex", []byte(strings.Repeat("ab", 32)+"\n"), 0o400)
	if k, err := LoadKeyFile(hexKey); err != nil || len(k) != 32 || k[0] != 0xab {
		t.Fatalf("hex key: %v", err)
	}
	if _, err := LoadKeyFile(write("short", []byte("0123456789"), 0o600)); !errors.Is(err, ErrKeyShort) {
		t.Fatalf("short: %v", err)
	}
	world := write("world", bytes.Repeat([]byte{9}, 32), 0o644)
	if _, err := LoadKeyFile(world); !errors.Is(err, ErrKeyPermissions) {
		t.Fatalf("world readable: %v", err)
	}
	if _, err := LoadKeyFile(filepath.Join(dir, "missing")); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := LoadKeyFile(""); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("empty path: %v", err)
	}
	if _, err := New(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("no key: %v", err)
	}
}

func hl7Pseudonym(t *testing.T, e *Engine, data []byte) string {
	t.Helper()
	sc := hl7.NewScanner(bytes.NewReader(data), 0)
	msg, err := sc.Next()
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	m, err := hl7.Parse(msg)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	res, err := e.HL7(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Pseudonym
}

// containsToken reports whether s contains v as a whole token: not preceded
// or followed by a letter or digit. A leaked identifier appears as itself;
// "PID123" inside "AltPID1234" is another value.
func containsToken(s, v string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], v)
		if j < 0 {
			return false
		}
		j += i
		before, _ := utf8.DecodeLastRuneInString(s[:j])
		after, _ := utf8.DecodeRuneInString(s[j+len(v):])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		i = j + 1
	}
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}
