package synth

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/hl7"
)

func checkHL7(t *testing.T, msg []byte) *hl7.Message {
	t.Helper()
	m, err := hl7.Parse(msg)
	if err != nil {
		t.Fatalf("parse: %v\n%q", err, msg)
	}
	if got := m.Bytes(); !bytes.Equal(got, msg) {
		t.Fatalf("round trip differs")
	}
	if bytes.IndexByte(msg, '\n') >= 0 || msg[len(msg)-1] != '\r' {
		t.Fatalf("segments must end with CR only")
	}
	// touching every field keeps the bytes
	for s := range m.Segments("") {
		for f := 1; f <= s.NumFields(); f++ {
			_ = s.Field(f)
		}
	}
	if !bytes.Equal(m.Bytes(), msg) {
		t.Fatalf("round trip differs after field access")
	}
	return m
}

func TestHL7KindsParseAndRoundTrip(t *testing.T) {
	for _, density := range []float64{0, 1, 3} {
		g := New(42, Options{PHIDensity: density})
		for _, kind := range Kinds() {
			for range 50 {
				msg := g.HL7Type(kind)
				m := checkHL7(t, msg)
				typ, ev := m.Type()
				if typ+"^"+ev != kind {
					t.Fatalf("kind %s: MSH-9 says %s^%s", kind, typ, ev)
				}
				p := g.Patient(g.LastPatient())
				{
					mrn, err := m.Get("PID-3.1")
					if err != nil || mrn != p.MRN {
						t.Fatalf("%s: PID-3.1 = %q (%v), want %q", kind, mrn, err, p.MRN)
					}
					fam, _ := m.Get("PID-5.1")
					if fam != p.Family {
						t.Fatalf("%s: PID-5.1 = %q, want %q", kind, fam, p.Family)
					}
				}
			}
		}
	}
}

func TestRequiredSegments(t *testing.T) {
	want := map[string][]string{
		"ADT^A01": {"MSH", "EVN", "PID", "NK1", "PV1", "DG1", "GT1", "IN1"},
		"ORU^R01": {"MSH", "PID", "OBR", "OBX", "NTE"},
		"ORM^O01": {"MSH", "PID", "ORC", "OBR"},
		"MDM^T02": {"MSH", "EVN", "PID", "TXA", "OBX"},
		"SIU^S12": {"MSH", "SCH", "PID", "RGS", "AIS"},
	}
	g := New(7, Options{PHIDensity: 1})
	for kind, segs := range want {
		m := checkHL7(t, g.HL7Type(kind))
		for _, name := range segs {
			found := false
			for range m.Segments(name) {
				found = true
			}
			if !found {
				t.Errorf("%s: no %s segment", kind, name)
			}
		}
	}
	// ORU carries numeric LOINC results with units and ranges
	m := checkHL7(t, g.HL7Type("ORU^R01"))
	nm := 0
	for s := range m.Segments("OBX") {
		if string(s.Field(2)) == "NM" {
			nm++
			if !bytes.HasSuffix(hl7.Nth(s.Field(3), '^', 3), []byte("LN")) || len(s.Field(6)) == 0 || len(s.Field(7)) == 0 {
				t.Errorf("OBX NM without LOINC/unit/range: %s", s.Bytes())
			}
		}
	}
	if nm < 3 {
		t.Errorf("ORU has %d numeric OBX", nm)
	}
}

func TestEscaping(t *testing.T) {
	// free text with delimiters must come back unescaped through Get
	g := New(3, Options{})
	seen := 0
	for range 300 {
		m := checkHL7(t, g.HL7Type("MDM^T02"))
		for s := range m.Segments("OBX") {
			raw := s.Field(5)
			if bytes.Contains(raw, []byte(`\T\`)) {
				if v := m.Unescape(raw); !strings.Contains(v, " & ") {
					t.Fatalf("unescape %q = %q", raw, v)
				}
				seen++
			}
		}
	}
	if seen == 0 {
		t.Fatal("no escaped text generated")
	}
}

func TestPHIDensity(t *testing.T) {
	count := func(density float64) int {
		g := New(11, Options{PHIDensity: density})
		n := 0
		for range 200 {
			msg := g.HL7Type("ORU^R01")
			p := g.Patient(g.LastPatient())
			m, _ := hl7.Parse(msg)
			for s := range m.Segments("OBX") {
				if string(s.Field(2)) == "TX" {
					txt := m.Unescape(s.Field(5))
					for _, v := range []string{p.MRN, p.HomePhone, p.Street, p.SSN, p.Email} {
						if strings.Contains(txt, v) {
							n++
						}
					}
				}
			}
		}
		return n
	}
	if n := count(0); n != 0 {
		t.Errorf("density 0: %d identifiers in notes", n)
	}
	if lo, hi := count(1), count(3); lo == 0 || hi <= lo {
		t.Errorf("density 1: %d, density 3: %d identifiers in notes", lo, hi)
	}
}

func TestTargetSize(t *testing.T) {
	for _, size := range []int{512, 4 << 10, 64 << 10, 1 << 20} {
		g := New(5, Options{TargetSize: size, PHIDensity: 1})
		for _, kind := range Kinds() {
			msg := g.HL7Type(kind)
			checkHL7(t, msg)
			if len(msg) < size || len(msg) > size+2048 && len(msg) > size*2 {
				t.Errorf("%s target %d: got %d bytes", kind, size, len(msg))
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	run := func(seed int64) []byte {
		g := New(seed, Options{PHIDensity: 1})
		var b []byte
		for range 100 {
			b = append(b, g.HL7()...)
		}
		b = append(b, g.FHIRBundle()...)
		b = append(b, g.FHIRNDJSON(20)...)
		return b
	}
	a, b := run(99), run(99)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed gave different bytes")
	}
	if bytes.Equal(a, run(100)) {
		t.Fatal("different seeds gave the same bytes")
	}
}

func TestMixAndRecurrence(t *testing.T) {
	g := New(1, Options{Patients: 20})
	kinds := map[string]int{}
	pats := map[int]int{}
	for range 500 {
		m := checkHL7(t, g.HL7())
		typ, ev := m.Type()
		kinds[typ+"^"+ev]++
		pats[g.LastPatient()]++
	}
	for _, k := range Kinds() {
		if kinds[k] == 0 {
			t.Errorf("kind %s never generated", k)
		}
	}
	if kinds["ORU^R01"] < kinds["ADT^A03"] {
		t.Errorf("weights not applied: %v", kinds)
	}
	if len(pats) > 20 {
		t.Errorf("%d patients, pool is 20", len(pats))
	}
	g2 := New(1, Options{Weights: map[string]int{"SIU^S12": 1}})
	for range 10 {
		m := checkHL7(t, g2.HL7())
		if typ, _ := m.Type(); typ != "SIU" {
			t.Fatalf("weights: got %s", typ)
		}
	}
}

func TestFHIRValidJSON(t *testing.T) {
	g := New(8, Options{PHIDensity: 1})
	check := func(b []byte, wantType string) map[string]any {
		t.Helper()
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("invalid JSON: %v\n%s", err, b)
		}
		if v["resourceType"] != wantType {
			t.Fatalf("resourceType %v, want %s", v["resourceType"], wantType)
		}
		return v
	}
	for range 20 {
		v := check(g.FHIRPatient(), "Patient")
		p := g.Patient(g.LastPatient())
		if !strings.Contains(string(mustJSON(v)), p.MRN) {
			t.Fatal("patient MRN missing")
		}
		for _, k := range []string{"Patient", "Encounter", "Observation", "Condition"} {
			check(g.FHIRResource(k), k)
		}
		for _, typ := range []string{"collection", "transaction"} {
			b := check(g.FHIRBundleType(typ), "Bundle")
			if b["type"] != typ {
				t.Fatalf("bundle type %v", b["type"])
			}
			entries := b["entry"].([]any)
			full := map[string]bool{}
			for _, e := range entries {
				full[e.(map[string]any)["fullUrl"].(string)] = true
			}
			for _, e := range entries[1:] {
				res := e.(map[string]any)["resource"].(map[string]any)
				ref := res["subject"].(map[string]any)["reference"].(string)
				if !full[ref] {
					t.Fatalf("reference %q resolves to no entry", ref)
				}
				if typ == "transaction" && e.(map[string]any)["request"] == nil {
					t.Fatal("transaction entry without request")
				}
			}
		}
		check(g.FHIRBundle(), "Bundle")
	}
	nd := g.FHIRNDJSON(50)
	lines := bytes.Split(bytes.TrimSuffix(nd, []byte("\n")), []byte("\n"))
	if len(lines) != 50 {
		t.Fatalf("%d NDJSON lines", len(lines))
	}
	for _, l := range lines {
		if !json.Valid(l) {
			t.Fatalf("invalid NDJSON line %s", l)
		}
	}
}

func TestPHIValues(t *testing.T) {
	g := New(2, Options{})
	p := g.Patient(0)
	for _, v := range p.PHIValues() {
		if v == "" {
			t.Fatalf("empty PHI value in %+v", p)
		}
	}
	if !strings.HasPrefix(p.SSN, "9") {
		t.Fatalf("SSN %s is not in the never-issued 9xx range", p.SSN)
	}
}

func BenchmarkHL7(b *testing.B) {
	g := New(1, Options{PHIDensity: 1})
	n := 0
	for b.Loop() {
		n += len(g.HL7())
	}
	b.SetBytes(int64(n / b.N))
}
