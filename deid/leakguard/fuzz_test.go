package leakguard_test

import (
	"testing"

	"github.com/safeharbor/safeharbor/deid/leakguard"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/synth"
)

// FuzzGuard: harvesting any parsable HL7v2 or FHIR input and checking any
// output in every syntax never panics, and a hit always names its source.
func FuzzGuard(f *testing.F) {
	g := synth.New(5, synth.Options{Patients: 5, PHIDensity: 2})
	for range 4 {
		f.Add(g.HL7(), []byte("NTE|1||seen 03/15/2024 by Okafor, MRN 00123456\r"))
		f.Add(g.FHIRPatient(), []byte(`{"a":["x\n\u00e9",{"b\"":"1980-05-01T10:00"}]}`))
	}
	f.Fuzz(func(t *testing.T, orig, out []byte) {
		var s leakguard.Set
		if m, err := hl7.Parse(orig); err == nil {
			s.HarvestHL7(m)
		}
		if v, err := fhir.Parse(orig); err == nil {
			s.HarvestFHIR(v)
		}
		s.Add(leakguard.Date, "X-1", string(orig))
		s.SetDateShift(-30)
		for _, syn := range []leakguard.Syntax{leakguard.Text, leakguard.HL7, leakguard.JSON} {
			s.FindAll(out, syn, func(h *leakguard.Hit) bool {
				if h.Source == "" || h.Offset < 0 || h.Offset >= len(out) {
					t.Fatalf("bad hit %+v", h)
				}
				return true
			})
		}
	})
}
