package leakguard_test

import (
	"fmt"

	"github.com/safeharbor/safeharbor/deid/leakguard"
	"github.com/safeharbor/safeharbor/hl7"
)

// Harvest an original message, then check a (buggy) de-identified output.
func ExampleSet() {
	orig, _ := hl7.Parse([]byte("MSH|^~\\&|LAB|FAC|||20240315||ORU^R01|1|P|2.5\r" +
		"PID|1||00123456^^^HOSP^MR||OKAFOR^ADAEZE||19800501|F\r"))
	var s leakguard.Set
	s.HarvestHL7(orig)

	out := []byte("MSH|^~\\&|LAB|FAC|||2024||ORU^R01|K4ZQ2M7XW3PA5N6B|P|2.5\r" +
		"PID|1||Q2M7XW3PA5N6BK4Z^^^HOSP^MR||||1980|F\r" +
		"NTE|1||Okafor seen 05/01/1980\r")
	if hit, found := s.Find(out, leakguard.HL7); found {
		fmt.Println(hit)
	}
	// Output: leak guard: name (PID-5) value found in output NTE-3
}
