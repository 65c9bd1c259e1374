package rules

import (
	"regexp"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/fhir"
)

// explainText de-identifies one message with a fresh engine (de-identify)
// and returns the Explainer's text for it (explain).
func explainText(t *testing.T, set *Set, explain func(*Explainer, *deid.Engine) error) string {
	t.Helper()
	ex := set.NewExplainer()
	if err := explain(ex, testEngine(t)); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	ex.WriteText(&b)
	return b.String()
}

// explainHL7 explains an HL7v2 message given by its segments.
func explainHL7(t *testing.T, set *Set, lines ...string) string {
	m := hl7Msg(t, lines...)
	return explainText(t, set, func(ex *Explainer, eng *deid.Engine) error {
		res, err := eng.HL7(m, &deid.Report{})
		if err != nil {
			return err
		}
		return ex.HL7(m, res)
	})
}

// exampleSet loads examples/rules.yaml.
func exampleSet(t *testing.T) *Set {
	t.Helper()
	set, err := Load("../examples/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// linesMatching fails for each pattern no line of out matches.
func linesMatching(t *testing.T, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(out, "\n")
next:
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		for _, l := range lines {
			if re.MatchString(l) {
				continue next
			}
		}
		t.Errorf("no line matches %q in:\n%s", p, out)
	}
}

// TestExplainHL7: which datasets matched and why not, every row's column
// values with their sources, from the de-identified message only.
func TestExplainHL7(t *testing.T) {
	set := exampleSet(t)
	out := explainHL7(t, set,
		`MSH|^~\&|LAB|GENHOSP|RECV|DW|20250611093000||ORU^R01^ORU_R01|M1|P|2.5.1`,
		"PID|1||MRN5550123^^^GENHOSP^MR||ZELLWEGER^QUINTUS||19800101|M|||12 ELM ST^^SPRINGFIELD^IL^62701||555-867-5309",
		"OBR|1|ORD1|FIL1|CBC^Blood count^LN|||20250610080000",
		"OBX|1|NM|WBC^White cells^LN||7.5|10*3/uL|4-11|N|||F|||20250610090000",
		"OBX|2|NM|HGB^Hemoglobin^LN||14.2|g/dL|12-16|N|||F",
		"NTE|1||Seen by Dr. Zellweger, call 555-867-5309")
	linesMatching(t, out,
		`^  part2_substance_use: no match$`,
		`^  lab_results \(each OBX\): matched, 2 rows$`,
		`^    when: msg\.type == "ORU" && msg\.event == "R01"$`,
		`^  encounters \(each message\): not matched: when is false, 0 rows$`,
		`^  fhir_observations \(each Observation\): skipped: a FHIR dataset, the message is HL7v2, 0 rows$`,
		`^    row 2:$`,
		`^      code +string += "HGB" +<- path OBX-3\.1$`,
		`^      value +float64 += 14\.2 +<- expression field\("OBX-2"\)`,
		`^      year +int64 += 2025 +<- expression year\(`,
		`^      zip3 +string += "627" +<- expression zip3`,
	)
	// the first row's year comes from its own OBX-14, the second's from OBR-7
	if n := strings.Count(out, "= 2025"); n != 2 {
		t.Errorf("year 2025 appears %d times, want 2:\n%s", n, out)
	}
	for _, phi := range []string{"ZELLWEGER", "Zellweger", "QUINTUS", "MRN5550123", "12 ELM", "SPRINGFIELD", "867-5309", "62701", "19800101", "20250610"} {
		if strings.Contains(out, phi) {
			t.Errorf("explanation shows %q from the identified message:\n%s", phi, out)
		}
	}
}

// TestExplainDropped: a message a drop rule matches says which rule and
// that the datasets it would have fed get nothing.
func TestExplainDropped(t *testing.T) {
	set := exampleSet(t)
	out := explainHL7(t, set,
		`MSH|^~\&|ADT|GENHOSP|RECV|DW|20250611093000||ADT^A03^ADT_A03|M77|P|2.5.1`,
		"EVN|A03|20250611093000",
		"PID|1||MRN000123^^^GENHOSP^MR||TESTPATIENT^ALEX||19800101|M",
		"PV1|1|I|4W^401^A|||||||MED",
		"DG1|1|I10|F11.20^Opioid dependence, uncomplicated^I10|||F")
	linesMatching(t, out,
		`^  part2_substance_use: MATCHED: the message feeds no dataset$`,
		`^  encounters \(each message\): matched, but dropped by part2_substance_use, 0 rows$`,
		`^  lab_results \(each OBX\): not matched: when is false, 0 rows$`,
	)
}

// TestExplainFHIR: HL7 datasets are skipped for a FHIR resource and the
// FHIR dataset's rows name their FHIR paths.
func TestExplainFHIR(t *testing.T) {
	set := exampleSet(t)
	v, err := fhir.Parse([]byte(`{"resourceType":"Observation","id":"obs1","status":"final",
"subject":{"reference":"Patient/p1","display":"Quintus Zellweger"},
"code":{"coding":[{"system":"http://loinc.org","code":"2345-7"}]},
"effectiveDateTime":"2024-03-05T10:00:00Z",
"valueQuantity":{"value":5.4,"unit":"mmol/L"}}`))
	if err != nil {
		t.Fatal(err)
	}
	out := explainText(t, set, func(ex *Explainer, eng *deid.Engine) error {
		res, err := eng.FHIR(v, &deid.Report{})
		if err != nil {
			return err
		}
		return ex.FHIR(v, res)
	})
	linesMatching(t, out,
		`^  lab_results \(each OBX\): skipped: an HL7 dataset, the message is FHIR, 0 rows$`,
		`^  fhir_observations \(each Observation\): matched, 1 rows$`,
		`^      loinc +string += "2345-7" +<- path Observation\.code\.coding\.where`,
		`^      value +float64 += 5\.4 +<- path Observation\.valueQuantity\.value$`,
		`^      year +int64 += 2024 +<- expression year\(`,
	)
	if strings.Contains(out, "Zellweger") || strings.Contains(out, "2024-03-05") {
		t.Errorf("explanation shows identified values:\n%s", out)
	}
}
