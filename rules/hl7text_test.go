package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/deid"
)

// TestKeptTextColumns: a column reading a text component the field table
// keeps (DG1-3.2, AL1-3.2, NK1-3.2, RXA-9.2, OBX-5 of a CE) is accepted
// because de-identification scrubs it: the row never carries an identifier
// of the message.
func TestKeptTextColumns(t *testing.T) {
	s := mustCompile(t, `version: 1
datasets:
  - name: dx
    each: DG1
    columns: [{name: code, type: string, from: 'DG1-3.1'}, {name: text, type: string, from: 'DG1-3.2'}]
  - name: allergy
    each: AL1
    columns: [{name: text, type: string, from: 'AL1-3.2'}]
  - name: rel
    each: NK1
    columns: [{name: text, type: string, from: 'NK1-3.2'}]
  - name: obs
    each: OBX
    columns: [{name: code, type: string, from: 'OBX-5.1'}, {name: text, type: string, from: 'OBX-5.2'}]
`)
	m := hl7Msg(t, "MSH|^~\\&|A|B|C|D|20260301||ORU^R01|1|P|2.5.1",
		"PID|1||MRN4417^^^HOSP^MR||QUIMBLETON^ZANZIBAR||19610704|F|||||(217)555-0199",
		"NK1|1||SPO^Spouse of Zanzibar Quimbleton^HL70063",
		"AL1|1|DA|PCN^Penicillin, reported by Quimbleton 217-555-0199^RXNORM",
		"DG1|1||I10^Hypertension per Zanzibar Quimbleton MRN4417^I10",
		"OBX|1|CE|DATE^Collection date^L||20230415^Collected by Quimbleton on 2023-04-15^L")
	res, err := testEngine(t).HL7(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, emit := collect(s)
	if _, err := s.NewEvaluator().HL7(m, res, emit); err != nil {
		t.Fatal(err)
	}
	rows := fmt.Sprint(got)
	for _, leak := range []string{"QUIMBLETON", "ZANZIBAR", "MRN4417", "555-0199", "20230415", "2023-04-15"} {
		if strings.Contains(strings.ToUpper(rows), leak) {
			t.Errorf("rows carry %q: %s", leak, rows)
		}
	}
	if !strings.Contains(rows, "Hypertension") || !strings.Contains(rows, "Penicillin") || !strings.Contains(rows, "Spouse") {
		t.Errorf("clinical text lost: %s", rows)
	}
}

// TestLintFollowsFieldTable: the lint accepts a path exactly when
// de-identification leaves something there that is not an identifier: a
// component the table removes is refused, one it scrubs, codes, pseudonyms
// and dates are accepted, and every segment the table keeps can be read.
func TestLintFollowsFieldTable(t *testing.T) {
	for _, seg := range deid.HL7Segments() {
		for field := 1; field <= 60; field++ {
			for comp := 0; comp <= 10; comp++ {
				p := fmt.Sprintf("%s-%d", seg, field)
				if comp > 0 {
					p += fmt.Sprintf(".%d", comp)
				}
				_, err := checkHL7Path(p)
				switch tr := deid.HL7Treatment(seg, field, comp); tr {
				case deid.Remove:
					if err == nil {
						t.Errorf("%s: de-identification removes it (%s), the lint accepts it", p, tr)
					}
				case deid.ScrubText, deid.KeepCode, deid.Pseudonymize, deid.GeneralizeDate, deid.ByValueType:
					if err != nil && !strings.Contains(err.Error(), "expose") {
						t.Errorf("%s (%s): %v", p, tr, err)
					}
				}
			}
		}
	}
	for _, p := range []string{"DG1-3.2", "AL1-3.2", "NK1-3.2", "RXA-9.2", "BTX-3.2", "BPO-2.2"} {
		if _, err := checkHL7Path(p); err != nil {
			t.Errorf("%s is scrubbed text: %v", p, err)
		}
	}
	for _, p := range []string{"PID-21", "OBX-18", "TXA-16", "PID-3.2", "NK1-13", "PEO-19", "CTD-2"} {
		if _, err := checkHL7Path(p); err == nil {
			t.Errorf("%s is removed by de-identification: the lint accepts it", p)
		}
	}
}
