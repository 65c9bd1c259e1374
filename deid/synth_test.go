package deid

import (
	"os"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/synth"
)

// TestSyntheticLeaks: generated traffic with dense PHI in its notes; no
// identifier value of the patient behind a message survives in its output.
func TestSyntheticLeaks(t *testing.T) {
	e := newEngine(t)
	g := synth.New(7, synth.Options{Patients: 50, PHIDensity: 2.5})
	checked := 0
	for i := 0; i < 600; i++ {
		var out string
		if i%3 == 2 {
			data := g.FHIRBundle()
			v, err := fhir.Parse(data)
			if err != nil {
				t.Fatalf("synthetic bundle %d: %v", i, err)
			}
			if _, err := e.FHIR(v, nil); err != nil {
				t.Fatal(err)
			}
			out = string(v.AppendJSON(nil))
		} else {
			m, err := hl7.Parse(g.HL7())
			if err != nil {
				t.Fatalf("synthetic message %d: %v", i, err)
			}
			if _, err := e.HL7(m, nil); err != nil {
				t.Fatal(err)
			}
			out = string(m.Bytes())
		}
		outU := strings.ToUpper(out)
		for _, v := range g.Patient(g.LastPatient()).PHIValues() {
			u := strings.ToUpper(strings.TrimSpace(v))
			if len(u) < 4 {
				continue
			}
			checked++
			if containsToken(outU, u) {
				t.Errorf("message %d: a PHI value of its patient (%d chars) survives", i, len(u))
				if testing.Verbose() && os.Getenv("SAFEHARBOR_DEBUG_ORACLE") != "" {
					j := strings.Index(outU, u)
					t.Logf("  debug (synthetic data): %q in …%s…", v, out[max(0, j-100):min(len(out), j+len(u)+30)])
				}
			}
		}
	}
	t.Logf("synthetic: 600 messages/bundles, %d patient PHI values checked absent", checked)
}

// BenchmarkHL7 de-identifies generated ADT and ORU messages with free text.
func BenchmarkHL7(b *testing.B) {
	for _, kind := range []string{"ADT_A01", "ORU_R01", "MDM_T02"} {
		b.Run(kind, func(b *testing.B) {
			benchHL7(b, synth.Options{Patients: 100, PHIDensity: 1}, kind, 64)
		})
	}
}

// benchHL7 de-identifies n generated messages of one kind in turn,
// reporting bytes per message, allocations and msg/s.
func benchHL7(b *testing.B, opts synth.Options, kind string, n int) {
	e := newEngine(b)
	g := synth.New(1, opts)
	msgs := make([][]byte, n)
	total := 0
	for i := range msgs {
		msgs[i] = g.HL7Type(kind)
		total += len(msgs[i])
	}
	var m hl7.Message
	var rep Report
	b.SetBytes(int64(total / n))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := m.Reset(msgs[i%n]); err != nil {
			b.Fatal(err)
		}
		if _, err := e.HL7(&m, &rep); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

// BenchmarkFHIRPatient de-identifies a ~3 KB generated Patient.
func BenchmarkFHIRPatient(b *testing.B) {
	e := newEngine(b)
	g := synth.New(1, synth.Options{Patients: 100, PHIDensity: 1})
	docs := make([][]byte, 32)
	total := 0
	for i := range docs {
		docs[i] = g.FHIRPatient()
		total += len(docs[i])
	}
	b.SetBytes(int64(total / len(docs)))
	b.ReportAllocs()
	buf := make([]byte, 0, 8<<10)
	i := 0
	for b.Loop() {
		v, err := fhir.Parse(docs[i%len(docs)])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.FHIR(v, nil); err != nil {
			b.Fatal(err)
		}
		buf = v.AppendJSON(buf[:0])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "resources/s")
}
