package deid

import (
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
)

func hl7Res(t *testing.T, e *Engine, src string) (Result, *hl7.Message) {
	t.Helper()
	m, err := hl7.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.HL7(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res, m
}

func fhirRes(t *testing.T, e *Engine, src string) (Result, *fhir.Value) {
	t.Helper()
	v, err := fhir.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.FHIR(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res, v
}

const linkMSH = "MSH|^~\\&|A|B|C|D|20260301||ADT^A01|1|P|2.5.1\r"

// TestPseudonymsByAuthority: the same MRN value at two facilities is two
// patients: two pseudonyms (so erasing one never shreds the other), in
// HL7v2 and FHIR; the same facility in both formats links.
func TestPseudonymsByAuthority(t *testing.T) {
	e := newEngine(t)
	a, ma := hl7Res(t, e, linkMSH+"PID|1||1001^^^NORTH HOSP^MR||DOE^JANE||19700101|F\r")
	b, mb := hl7Res(t, e, linkMSH+"PID|1||1001^^^SOUTH HOSP^MR||ROE^JOAN||19800101|F\r")
	if a.Pseudonym == "" || a.Pseudonym == b.Pseudonym {
		t.Fatalf("same MRN at two facilities: pseudonyms %q and %q", a.Pseudonym, b.Pseudonym)
	}
	if mustGet(ma, "PID-3.1") == mustGet(mb, "PID-3.1") {
		t.Errorf("PID-3.1 pseudonyms equal across authorities: %q", mustGet(ma, "PID-3.1"))
	}
	// the universal id (HD-2) is the authority when there is no namespace id
	c, _ := hl7Res(t, e, linkMSH+"PID|1||1001^^^&2.16.840.1.113883.19.5&ISO^MR\r")
	d, _ := hl7Res(t, e, linkMSH+"PID|1||1001^^^&2.16.840.1.113883.19.6&ISO^MR\r")
	if c.Pseudonym == d.Pseudonym {
		t.Errorf("same MRN under two OIDs: one pseudonym")
	}
	// no authority: the documented fallback, the kind-only namespace
	n, _ := hl7Res(t, e, linkMSH+"PID|1||1001^^^^MR\r")
	if n.Pseudonym != e.Pseudonymizer().ID("1001") {
		t.Errorf("no authority: %q, want ID(1001) %q", n.Pseudonym, e.Pseudonymizer().ID("1001"))
	}

	// FHIR: the system names the authority, spelled as converters spell CX-4
	fa, _ := fhirRes(t, e, `{"resourceType":"Patient","id":"p1","identifier":[{"system":"http://example.com/v2-to-fhir-converter/Identifier/NORTH-HOSP","type":{"coding":[{"code":"MR"}]},"value":"1001"}]}`)
	fb, _ := fhirRes(t, e, `{"resourceType":"Patient","id":"p2","identifier":[{"system":"urn:oid:2.16.840.1.113883.19.6","type":{"coding":[{"code":"MR"}]},"value":"1001"}]}`)
	if fa.Pseudonym != a.Pseudonym {
		t.Errorf("HL7v2 NORTH HOSP %q and FHIR .../Identifier/NORTH-HOSP %q do not link", a.Pseudonym, fa.Pseudonym)
	}
	if fb.Pseudonym != d.Pseudonym {
		t.Errorf("HL7v2 HD-2 OID %q and FHIR urn:oid %q do not link", d.Pseudonym, fb.Pseudonym)
	}
	// the assigner, by reference to an Organization of the bundle
	fc, v := fhirRes(t, e, `{"resourceType":"Bundle","type":"collection","entry":[
	 {"fullUrl":"Organization/o1","resource":{"resourceType":"Organization","id":"o1","identifier":[{"value":"SOUTH HOSP"}]}},
	 {"fullUrl":"Patient/p3","resource":{"resourceType":"Patient","id":"p3","identifier":[{"type":{"coding":[{"code":"MR"}]},"value":"1001","assigner":{"reference":"Organization/o1"}}]}}]}`)
	if fc.Pseudonym != b.Pseudonym {
		t.Errorf("HL7v2 SOUTH HOSP %q and FHIR assigner Organization %q do not link", b.Pseudonym, fc.Pseudonym)
	}
	if !strings.Contains(v.String(), b.Pseudonym) {
		t.Errorf("Patient.identifier.value not the authority pseudonym: %s", v.String())
	}
}

// TestShiftWhateverTypeCode: the same patient gets the same pseudonym and
// the same date shift whether the MRN is typed MR, MEDREC, PI or not at
// all, beside other identifiers.
func TestShiftWhateverTypeCode(t *testing.T) {
	e, err := New(Config{Key: testKey, Profile: Shift})
	if err != nil {
		t.Fatal(err)
	}
	var first Result
	var firstDate string
	for i, pid3 := range []string{
		"5550001^^^H^MR~0042^^^H^AN",
		"5550001^^^H^MEDREC~0042^^^H^AN",
		"5550001^^^H^PI~0042^^^H^AN",
		"0042^^^H^AN~5550001^^^H^MRN",
		"5550001^^^H",
	} {
		res, m := hl7Res(t, e, linkMSH+"PID|1||"+pid3+"||DOE^JANE||19700515|F\rPV1|1|I||||||||||||||||||||||||||||||||||||||||||20260228083000\r")
		date := mustGet(m, "PV1-44")
		if i == 0 {
			first, firstDate = res, date
			if len(date) != 14 || date == "20260228083000" {
				t.Fatalf("PV1-44 not shifted: %q", date)
			}
			continue
		}
		if res.Pseudonym != first.Pseudonym || date != firstDate {
			t.Errorf("PID-3 %q: pseudonym %q shift %q, want %q %q (as %q)", pid3, res.Pseudonym, date, first.Pseudonym, firstDate, "5550001^^^H^MR")
		}
	}
}
