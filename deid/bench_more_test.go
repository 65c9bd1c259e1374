package deid

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/synth"
)

// BenchmarkFHIRBundle de-identifies generated FHIR Bundles (Patient,
// Encounter, Observations, Conditions): parse, de-identify, serialize.
func BenchmarkFHIRBundle(b *testing.B) {
	e := newEngine(b)
	g := synth.New(1, synth.Options{Patients: 100, PHIDensity: 1})
	docs := make([][]byte, 32)
	total := 0
	for i := range docs {
		docs[i] = g.FHIRBundle()
		total += len(docs[i])
	}
	b.SetBytes(int64(total / len(docs)))
	b.ReportAllocs()
	buf := make([]byte, 0, 64<<10)
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
	b.ReportMetric(float64(total)/float64(len(docs)), "B/bundle")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bundles/s")
}

// BenchmarkFHIRPatientSpec de-identifies the FHIR R4 specification's
// patient-example.json (4.2 KB, the size class of the 3 KB Patient target;
// the generated Patients are about 1 KB): parse, de-identify, serialize.
func BenchmarkFHIRPatientSpec(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "fhir-r4-spec-examples", "patient-example.json"))
	if err != nil {
		b.Skipf("shared corpus: %v", err)
	}
	e := newEngine(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	buf := make([]byte, 0, 16<<10)
	for b.Loop() {
		v, err := fhir.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.FHIR(v, nil); err != nil {
			b.Fatal(err)
		}
		buf = v.AppendJSON(buf[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "resources/s")
}

// deidSizes are the message sizes of BenchmarkHL7Size.
var deidSizes = []int{512, 4 << 10, 64 << 10, 1 << 20}

func sizeLabel(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// BenchmarkHL7Size de-identifies ORU^R01 messages padded with OBX TX note
// lines to a target size (synth.Options.TargetSize), 0.5 KB to 1 MB: the
// free-text scrubber dominates as messages grow.
func BenchmarkHL7Size(b *testing.B) {
	for _, size := range deidSizes {
		b.Run("size="+sizeLabel(size), func(b *testing.B) {
			opts := synth.Options{Patients: 100, PHIDensity: 1, TargetSize: size}
			benchHL7(b, opts, "ORU_R01", max(2, min(32, (4<<20)/size)))
		})
	}
}

// BenchmarkHL7Parallel de-identifies the mixed synthetic HL7 traffic from
// GOMAXPROCS goroutines sharing one Engine (run with -cpu 1,2 for scaling).
func BenchmarkHL7Parallel(b *testing.B) {
	e := newEngine(b)
	g := synth.New(1, synth.Options{Patients: 100, PHIDensity: 1})
	msgs := make([][]byte, 256)
	total := 0
	for i := range msgs {
		msgs[i] = g.HL7()
		total += len(msgs[i])
	}
	b.SetBytes(int64(total / len(msgs)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var m hl7.Message
		var rep Report
		i := 0
		for pb.Next() {
			if err := m.Reset(msgs[i%len(msgs)]); err != nil {
				b.Error(err)
				return
			}
			if _, err := e.HL7(&m, &rep); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}
