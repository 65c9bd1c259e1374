package leakguard_test

import (
	"testing"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/deid/leakguard"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/synth"
)

// BenchmarkGuard compares de-identification alone ("deid": parse,
// de-identify, serialize) with the same plus the leak guard ("deid+guard":
// harvest from the original, check the output), per message kind. The
// guard's cost is the difference; "guard" is the guard alone (harvest and
// check), whose allocations must be zero for HL7v2.
func BenchmarkGuard(b *testing.B) {
	for _, kind := range []string{"ADT^A01", "ORU^R01", "FHIR Patient", "FHIR Bundle"} {
		g := synth.New(1, synth.Options{Patients: 100, PHIDensity: 1})
		msgs := make([][]byte, 64)
		size := 0
		for i := range msgs {
			switch kind {
			case "FHIR Patient":
				msgs[i] = g.FHIRPatient()
			case "FHIR Bundle":
				msgs[i] = g.FHIRBundle()
			default:
				msgs[i] = g.HL7Type(kind)
			}
			size += len(msgs[i])
		}
		for _, mode := range []string{"deid", "deid+guard", "guard"} {
			b.Run(kind+"/"+mode, func(b *testing.B) {
				e := newEngine(b, deid.SafeHarbor)
				var set leakguard.Set
				var m hl7.Message
				var buf []byte
				outs := make([][]byte, len(msgs))
				if mode == "guard" {
					for i, raw := range msgs {
						outs[i] = deidOnce(b, e, raw, kind)
					}
				}
				b.SetBytes(int64(size / len(msgs)))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					k := i % len(msgs)
					raw := msgs[k]
					fhirKind := kind[0] == 'F'
					if mode == "guard" {
						set.Reset()
						if fhirKind {
							b.StopTimer()
							v, _ := fhir.Parse(raw)
							b.StartTimer()
							set.HarvestFHIR(v)
							if _, hit := set.Find(outs[k], leakguard.JSON); hit {
								b.Fatal("hit")
							}
						} else {
							_ = m.Reset(raw)
							set.HarvestHL7(&m)
							if _, hit := set.Find(outs[k], leakguard.HL7); hit {
								b.Fatal("hit")
							}
						}
						continue
					}
					guard := mode == "deid+guard"
					if fhirKind {
						v, err := fhir.Parse(raw)
						if err != nil {
							b.Fatal(err)
						}
						if guard {
							set.Reset()
							set.HarvestFHIR(v)
						}
						if _, err := e.FHIR(v, nil); err != nil {
							b.Fatal(err)
						}
						buf = v.AppendJSON(buf[:0])
						if guard {
							if _, hit := set.Find(buf, leakguard.JSON); hit {
								b.Fatal("hit")
							}
						}
						continue
					}
					if err := m.Reset(raw); err != nil {
						b.Fatal(err)
					}
					if guard {
						set.Reset()
						set.HarvestHL7(&m)
					}
					if _, err := e.HL7(&m, nil); err != nil {
						b.Fatal(err)
					}
					buf = m.AppendTo(buf[:0])
					if guard {
						if _, hit := set.Find(buf, leakguard.HL7); hit {
							b.Fatal("hit")
						}
					}
				}
			})
		}
	}
}

func deidOnce(b *testing.B, e *deid.Engine, raw []byte, kind string) []byte {
	if kind[0] == 'F' {
		v, err := fhir.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.FHIR(v, nil); err != nil {
			b.Fatal(err)
		}
		return v.AppendJSON(nil)
	}
	m, err := hl7.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.HL7(m, nil); err != nil {
		b.Fatal(err)
	}
	return m.Bytes()
}

// TestGuardAllocs: once warm, harvesting an HL7v2 message and checking an
// output allocate nothing.
func TestGuardAllocs(t *testing.T) {
	g := synth.New(3, synth.Options{Patients: 20, PHIDensity: 1})
	e := newEngine(t, deid.SafeHarbor)
	raw := g.HL7Type("ORU^R01")
	out := func() []byte { m, _ := hl7.Parse(raw); _, _ = e.HL7(m, nil); return m.Bytes() }()
	var set leakguard.Set
	var m hl7.Message
	run := func() {
		_ = m.Reset(raw)
		set.Reset()
		set.HarvestHL7(&m)
		if _, hit := set.Find(out, leakguard.HL7); hit {
			t.Fatal("hit")
		}
	}
	run()
	if n := testing.AllocsPerRun(50, run); n != 0 {
		t.Errorf("%v allocations per message, want 0", n)
	}
}
