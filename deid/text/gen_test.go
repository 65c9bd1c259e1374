package text

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// genNotes builds deterministic, realistic clinical notes of about size bytes
// with a typical density of PHI.
func genNotes(size int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	first := []string{"John", "Mary", "Robert", "Linda", "James", "Patricia", "Michael", "Barbara", "Wei", "Aisha"}
	last := []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Nguyen", "Okafor"}
	months := []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October"}
	streets := []string{"Main St", "Oak Avenue", "Elm Road", "Maple Drive", "Cedar Lane"}
	cities := []string{"Springfield, IL 62701", "Boston, MA 02139", "Austin, TX 78701"}
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	templates := []func() string{
		func() string {
			return fmt.Sprintf("Patient %s %s is a %d year old male seen on %d/%d/20%02d for follow-up of type 2 diabetes mellitus (ICD-10 E11.9). ",
				pick(first), pick(last), 30+r.IntN(60), 1+r.IntN(12), 1+r.IntN(28), r.IntN(25))
		},
		func() string {
			return fmt.Sprintf("Hemoglobin %d.%d g/dL, WBC %d.%d x10^3/uL, platelets %d x10^3/uL, creatinine 0.%d mg/dL. ",
				11+r.IntN(5), r.IntN(10), 4+r.IntN(6), r.IntN(10), 150+r.IntN(200), 6+r.IntN(4))
		},
		func() string {
			return fmt.Sprintf("BP %d/%d mmHg, HR %d bpm, SpO2 %d%% on room air, temperature 98.%d F at %d:%02d. ",
				100+r.IntN(60), 60+r.IntN(30), 55+r.IntN(50), 90+r.IntN(10), r.IntN(10), 7+r.IntN(12), r.IntN(60))
		},
		func() string {
			return fmt.Sprintf("Continue metformin %d mg PO BID and lisinopril %d mg daily; recheck HbA1c (LOINC 4548-4) in 3 months. ",
				500*(1+r.IntN(2)), 5*(1+r.IntN(4)))
		},
		func() string {
			return fmt.Sprintf("Spoke with daughter %s by phone at (%03d) 555-%04d regarding discharge planning. ",
				pick(first), 200+r.IntN(700), r.IntN(10000))
		},
		func() string {
			return fmt.Sprintf("MRN %07d. Lives at %d %s, %s with her husband. ", r.IntN(10000000), 1+r.IntN(9999), pick(streets), pick(cities))
		},
		func() string {
			return fmt.Sprintf("Seen by Dr. %s in clinic on %s %d, %d. Denies chest pain, dyspnea, or palpitations. ",
				pick(last), pick(months), 1+r.IntN(28), 2015+r.IntN(10))
		},
		func() string {
			return "Lungs clear to auscultation bilaterally. Heart regular rate and rhythm without murmurs, rubs or gallops. Abdomen soft, non-tender, non-distended. "
		},
		func() string {
			return "Assessment and plan: hypertension, well controlled on current regimen. Hyperlipidemia: continue atorvastatin 40 mg nightly. Return to clinic in 3 months or sooner as needed.\n"
		},
		func() string {
			return fmt.Sprintf("Results were sent to %s.%s@example.org; fax to 555-555-%04d. ", strings.ToLower(pick(first)), strings.ToLower(pick(last)), r.IntN(10000))
		},
	}
	var b strings.Builder
	for b.Len() < size {
		b.WriteString(templates[r.IntN(len(templates))]())
	}
	return []byte(b.String())
}

func noteSamples() []string {
	var out []string
	for i := uint64(0); i < 20; i++ {
		out = append(out, string(genNotes(600, i)))
	}
	return out
}
