package leakguard_test

import (
	"testing"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/deid/leakguard"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/synth"
)

// BenchmarkGuardParts splits the guard's HL7v2 cost: harvest and check.
func BenchmarkGuardParts(b *testing.B) {
	g := synth.New(1, synth.Options{Patients: 100, PHIDensity: 1})
	raw := g.HL7Type("ADT^A01")
	e := newEngine(b, deid.SafeHarbor)
	m, _ := hl7.Parse(raw)
	out := func() []byte { m2, _ := hl7.Parse(raw); _, _ = e.HL7(m2, nil); return m2.Bytes() }()
	var set leakguard.Set
	b.Run("harvest", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			set.Reset()
			set.HarvestHL7(m)
		}
		b.ReportMetric(float64(set.Len()), "values")
	})
	b.Run("find", func(b *testing.B) {
		b.SetBytes(int64(len(out)))
		for i := 0; i < b.N; i++ {
			set.Find(out, leakguard.HL7)
		}
	})
}
