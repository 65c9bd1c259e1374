package deid

import (
	"errors"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/fhir"
)

// FuzzFHIRFailClosed: any JSON, with unknown resource types and unknown
// elements, is de-identified or refused with a known error, never panics,
// and whatever comes out holds no identifier harvested from the input
// (names, telecom and identifier values, address lines, full dates), both
// with the default engine (unknown types refused) and with the generic
// treatment of unknown types. Seeded from the corpus and the fail-open
// fixtures; crashers are kept in testdata/fuzz/FuzzFHIRFailClosed.
func FuzzFHIRFailClosed(f *testing.F) {
	func() {
		defer func() { _ = recover() }()
		for _, data := range fhirCorpus(&seedTB{}) {
			if len(data) < 12000 {
				f.Add(data)
			}
		}
	}()
	for _, s := range []string{stu3ProcedureRequest, transactionBundle,
		`{"resourceType":"Patient","id":"p1","nickname":"Zyxwvut Quimbleton","extension":[{"url":"x","valueString":"Oxtoby"}],"name":[{"family":"Quimbleton"}]}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"AcmeThing","who":{"family":"Quimbleton"},"when":"2019-06-14","mrn":"MRN4471920"}}]}`,
		`{"resourceType":"Observation","status":"final","code":{"text":"x"},"modifierExtension":[{"url":"y"}]}`,
		`{"resourceType":"Condition","onsetAge":{"value":1100,"code":"mo"},"recordedDate":"2020-13-45","subject":{"reference":"Patient/x","display":"Quimbleton"}}`,
	} {
		f.Add([]byte(s))
	}
	strict := newEngine(f)
	generic := engineWith(f, Config{UnknownResources: UnknownGeneric, Profile: Shift})
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, rest := collectFHIRIdentifiers(data)
		restU := strings.ToUpper(strings.Join(rest, "\x00"))
		for _, e := range []*Engine{strict, generic} {
			v, err := fhir.Parse(data)
			if err != nil {
				return
			}
			if _, err := e.FHIR(v, &Report{}); err != nil {
				if !errors.Is(err, ErrUnknownResource) && !errors.Is(err, ErrModifierExtension) && !errors.Is(err, ErrNotResource) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				for _, val := range vals {
					if u := strings.TrimSpace(val); len(u) >= 4 && strings.Contains(err.Error(), u) {
						t.Fatalf("error message holds an input value")
					}
				}
				continue
			}
			out := v.AppendJSON(nil)
			if _, err := fhir.Parse(out); err != nil {
				t.Fatalf("output is not valid JSON: %v", err)
			}
			outU := strings.ToUpper(string(out))
			for _, val := range vals {
				u := strings.ToUpper(strings.TrimSpace(val))
				if len(u) < 4 || containsToken(restU, u) {
					continue
				}
				if containsToken(outU, u) || containsToken(outU, strings.ToUpper(jsonEscape(val))) {
					t.Fatalf("a harvested identifier (%d chars) survives: %q", len(u), val)
				}
			}
		}
	})
}
