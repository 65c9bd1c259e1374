package deid

import (
	"testing"

	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
)

// FuzzHL7Deid: any parseable message de-identifies without panic, and the
// output is valid ER7 with the same delimiters.
func FuzzHL7Deid(f *testing.F) {
	func() {
		defer func() { _ = recover() }()
		for _, cm := range hl7Corpus(&seedTB{}) {
			f.Add(cm.data)
		}
	}()
	f.Add([]byte("MSH|^~\\&|A|B|C|D|20260301||ADT^A01|1|P|2.5\rPID|1||X^^^^MR||N^G||19000101|||||||||||\rOBX|1|TX|||Dr. Who 555-123-4567\r"))
	e := newEngine(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7.Parse(data)
		if err != nil {
			return
		}
		d := m.Delims()
		if _, err := e.HL7(m, &Report{}); err != nil {
			return
		}
		out := m.Bytes()
		m2, err := hl7.Parse(out)
		if err != nil {
			t.Fatalf("de-identified output does not parse: %v", err)
		}
		if m2.Delims() != d {
			t.Fatalf("delimiters changed")
		}
	})
}

// FuzzFHIRDeid: any parseable JSON de-identifies (or is refused as not a
// resource) without panic, and the output is valid JSON.
func FuzzFHIRDeid(f *testing.F) {
	func() {
		defer func() { _ = recover() }()
		for _, data := range fhirCorpus(&seedTB{}) {
			if len(data) < 20000 {
				f.Add(data)
			}
		}
	}()
	f.Add([]byte(`{"resourceType":"Patient","name":[{"family":"X"}],"_birthDate":{"extension":[{"url":"u","valueDateTime":"1900-01-01"}]},"birthDate":"1900-01-01"}`))
	e := newEngine(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := fhir.Parse(data)
		if err != nil {
			return
		}
		if _, err := e.FHIR(v, &Report{}); err != nil {
			return
		}
		out := v.AppendJSON(nil)
		if _, err := fhir.Parse(out); err != nil {
			t.Fatalf("de-identified output is not valid JSON: %v", err)
		}
	})
}

// seedTB lets corpus helpers run while fuzz seeds are collected.
type seedTB struct{ testing.TB }

func (seedTB) Helper()               {}
func (seedTB) Skipf(string, ...any)  { panic("skip") }
func (seedTB) Fatal(...any)          { panic("fatal") }
func (seedTB) Fatalf(string, ...any) { panic("fatal") }
