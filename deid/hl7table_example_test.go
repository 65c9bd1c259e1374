package deid_test

import (
	"fmt"

	"github.com/safeharbor/safeharbor/deid"
)

// HL7Treatment says what de-identification does to a component: here the
// code and text of a diagnosis, a patient identifier and its authority, a
// name, and a segment the table does not know.
func ExampleHL7Treatment() {
	for _, p := range []struct {
		seg         string
		field, comp int
	}{{"DG1", 3, 1}, {"DG1", 3, 2}, {"PID", 3, 1}, {"PID", 3, 4}, {"PID", 5, 1}, {"ZPI", 1, 0}} {
		fmt.Printf("%s-%d.%d %s\n", p.seg, p.field, p.comp, deid.HL7Treatment(p.seg, p.field, p.comp))
	}
	// Output:
	// DG1-3.1 keep-code
	// DG1-3.2 scrub-text
	// PID-3.1 pseudonymize
	// PID-3.4 keep-code
	// PID-5.1 remove
	// ZPI-1.0 dropped
}

// NormalizeAuthority gives one key to the spellings of an assigning
// authority, so that HL7v2 CX-4 and a converted FHIR Identifier.system link.
func ExampleNormalizeAuthority() {
	fmt.Println(deid.NormalizeAuthority("NIST MPI"), deid.NormalizeAuthority("nist-mpi"))
	// Output: NISTMPI NISTMPI
}
