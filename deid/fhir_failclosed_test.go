package deid

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/deid/text"
	"github.com/safeharbor/safeharbor/fhir"
)

// Fail-open fixtures of issue 16, FHIR side: synthetic data written for
// these tests, one case per shape.

func fhirDeid(t *testing.T, e *Engine, in string) (string, Result, error) {
	t.Helper()
	v, err := fhir.Parse([]byte(in))
	if err != nil {
		t.Fatalf("fixture does not parse: %v", err)
	}
	res, err := e.FHIR(v, &Report{})
	return string(v.AppendJSON(nil)), res, err
}

func mustFHIR(t *testing.T, e *Engine, in string) string {
	t.Helper()
	out, _, err := fhirDeid(t, e, in)
	if err != nil {
		t.Fatalf("de-identification failed: %v", err)
	}
	return out
}

func engineWith(t testing.TB, cfg Config) *Engine {
	t.Helper()
	cfg.Key = testKey
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func assertAbsent(t *testing.T, out string, leaks ...string) {
	t.Helper()
	lo := strings.ToLower(out)
	for _, l := range leaks {
		if strings.Contains(lo, strings.ToLower(l)) {
			t.Errorf("output keeps %q:\n%s", l, out)
		}
	}
}

func assertPresent(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lost %s:\n%s", w, out)
		}
	}
}

const stu3ProcedureRequest = `{"resourceType":"ProcedureRequest","id":"pr-88121","status":"active","intent":"order",
 "subject":{"reference":"Patient/pat-88121","display":"Quimbleton, Zyxwvut"},
 "requester":{"agent":{"display":"Dr. Olafsdottir"}},"authoredOn":"2017-04-12T10:20:00Z",
 "note":[{"text":"Zyxwvut Quimbleton prefers calls at 217-555-0199"}],
 "patientName":{"family":"Quimbleton","given":["Zyxwvut"]},"mrn":"MRN4471920","occurrenceDateTime":"2017-04-13",
 "identifier":[{"system":"http://acme.example/orders","value":"ORD77123"}],
 "code":{"coding":[{"system":"http://loinc.org","code":"24627-2","display":"Chest CT"}]}}`

// TestFHIRUnknownResourceRefused: unknown resource types (STU3-only,
// custom), at the root or inside a Bundle, are refused with a PHI-free
// error naming the JSON path.
func TestFHIRUnknownResourceRefused(t *testing.T) {
	e := newEngine(t)
	cases := map[string]struct{ in, path string }{
		"root STU3":        {stu3ProcedureRequest, "(at $)"},
		"bundled custom":   {`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"a"}},{"resource":{"resourceType":"AcmeVisitNote","who":"Zyxwvut Quimbleton"}}]}`, "entry[1].resource"},
		"contained STU3":   {`{"resourceType":"Observation","status":"final","code":{"text":"x"},"contained":[{"resourceType":"ReferralRequest","id":"r1","note":"Quimbleton"}]}`, "contained[0]"},
		"no resourceType":  {`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"name":"Quimbleton"}}]}`, "entry[0].resource"},
		"parameters STU3":  {`{"resourceType":"Parameters","parameter":[{"name":"r","resource":{"resourceType":"DeviceComponent","id":"d"}}]}`, "parameter[0].resource"},
		"lower-case alias": {`{"resourceType":"patient","name":[{"family":"Quimbleton"}]}`, "(at $)"},
	}
	for name, c := range cases {
		out, _, err := fhirDeid(t, e, c.in)
		if !errors.Is(err, ErrUnknownResource) {
			t.Errorf("%s: err = %v, want ErrUnknownResource (output %s)", name, err, out)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.path) {
			t.Errorf("%s: error %q does not name the path %s", name, msg, c.path)
		}
		assertAbsent(t, msg, "Quimbleton", "Zyxwvut", "ProcedureRequest", "AcmeVisitNote", "ReferralRequest")
	}
}

// TestFHIRUnknownResourceGeneric: with UnknownResources "generic" an unknown
// type is de-identified generically and labelled so.
func TestFHIRUnknownResourceGeneric(t *testing.T) {
	e := engineWith(t, Config{UnknownResources: UnknownGeneric})
	out := mustFHIR(t, e, stu3ProcedureRequest)
	assertAbsent(t, out, "Quimbleton", "Zyxwvut", "217-555-0199", "MRN4471920", "ORD77123", "pat-88121", "pr-88121",
		"2017-04-12", "2017-04-13", "Olafsdottir")
	assertPresent(t, out, `"resourceType":"ProcedureRequest"`, `"code":"24627-2"`, `"authoredOn":"2017"`, "prefers calls",
		`"code":"`+UnknownGenericTag+`"`, `"status":"active"`)
	// and the same inside a Bundle: only that resource is labelled generic
	b := mustFHIR(t, e, `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"a","name":[{"family":"Quimbleton"}]}},{"resource":`+stu3ProcedureRequest+`}]}`)
	assertAbsent(t, b, "Quimbleton", "MRN4471920", "pat-88121")
	if n := strings.Count(b, UnknownGenericTag); n != 1 {
		t.Errorf("generic label on %d resources, want 1", n)
	}
	// a "type" that cannot be a type name would be kept as the type: refused
	for _, rt := range []string{"1961-07-04", "Quimbleton Zyxwvut", "patient"} {
		if out, _, err := fhirDeid(t, e, `{"resourceType":"`+rt+`","x":"y"}`); !errors.Is(err, ErrUnknownResource) {
			t.Errorf("generic: resourceType %q: err %v, output %s", rt, err, out)
		}
	}
	if _, err := New(Config{Key: testKey, UnknownResources: "keep"}); err == nil {
		t.Errorf("an unknown UnknownResources mode is accepted")
	}
}

// TestFHIRUnknownElementsDropped: elements the type table does not know are
// dropped (with their primitive extensions) unless allowlisted.
func TestFHIRUnknownElementsDropped(t *testing.T) {
	in := `{"resourceType":"Patient","id":"p1","gender":"female","nickname":"Zyxwvut Quimbleton","_nickname":{"id":"n"},
	 "maidenName":{"value":"Oxtoby"},"legacyMrn":["MRN4471920"],"contact":[{"petName":"Rexalind","gender":"male"}],
	 "name":[{"family":"Quimbleton","callsign":"Zyx"}],"favoriteColour":"teal"}`
	out := mustFHIR(t, newEngine(t), in)
	assertAbsent(t, out, "nickname", "Zyxwvut", "Oxtoby", "MRN4471920", "Rexalind", "callsign", "teal")
	assertPresent(t, out, `"gender":"female"`, `"gender":"male"`)
	e := engineWith(t, Config{AllowElements: []string{"Patient.favoriteColour"}})
	out = mustFHIR(t, e, in)
	assertPresent(t, out, `"favoriteColour":"teal"`)
	assertAbsent(t, out, "Oxtoby", "Zyxwvut")
	if _, err := New(Config{Key: testKey, AllowElements: []string{"favoriteColour"}}); err == nil {
		t.Errorf("an allowlist entry without Type. is accepted")
	}
}

// TestFHIRExtensionsExactURL: extensions are kept only when their url is on
// the allowlist exactly (relative urls, prefixes and look-alikes are dropped;
// sub-extensions of an allowlisted complex extension stay); a
// modifierExtension that is not allowlisted refuses the resource.
func TestFHIRExtensionsExactURL(t *testing.T) {
	e := newEngine(t)
	in := `{"resourceType":"Patient","id":"p1","gender":"male","extension":[
	 {"url":"patient-mothersMaidenName","valueString":"Oxtoby"},
	 {"url":"mothersMaidenName","valueString":"Oxtoby2"},
	 {"valueString":"Oxtoby3"},
	 {"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race/","valueString":"Oxtoby4"},
	 {"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex","valueCode":"M"},
	 {"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","extension":[
	   {"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2106-3","display":"White"}},
	   {"url":"text","valueString":"White"},
	   {"url":"http://example.org/nickname","valueString":"Oxtoby5"}]}],
	 "birthDate":"1970-03-02","_birthDate":{"extension":[{"url":"birthTime","valueDateTime":"1970-03-02T11:22:00Z"}]}}`
	out := mustFHIR(t, e, in)
	assertAbsent(t, out, "Oxtoby", "11:22", "birthTime", "us-core-race/")
	assertPresent(t, out, `"valueCode":"M"`, `"code":"2106-3"`, `"url":"ombCategory"`, `"valueString":"White"`)

	mod := `{"resourceType":"Observation","status":"final","code":{"text":"x"},
	 "modifierExtension":[{"url":"http://acme.example/not-done","valueBoolean":true}]}`
	if _, _, err := fhirDeid(t, e, mod); !errors.Is(err, ErrModifierExtension) || !strings.Contains(err.Error(), "modifierExtension[0]") || strings.Contains(err.Error(), "acme") {
		t.Errorf("modifierExtension not allowlisted: err = %v", err)
	}
	nested := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/x"},
	 "activity":[{"detail":{"status":"completed","modifierExtension":[{"url":"x","valueBoolean":true}]}}]}}]}`
	if _, _, err := fhirDeid(t, e, nested); !errors.Is(err, ErrModifierExtension) || !strings.Contains(err.Error(), "entry[0].resource.activity[0].detail.modifierExtension[0]") {
		t.Errorf("nested modifierExtension not allowlisted: err = %v", err)
	}
	ok := engineWith(t, Config{AllowExtensions: append([]string{"http://acme.example/not-done"}, DefaultAllowedExtensions...)})
	out = mustFHIR(t, ok, mod)
	assertPresent(t, out, `"modifierExtension":[{"url":"http://acme.example/not-done","valueBoolean":true}]`)
}

// transactionBundle holds resource ids in every URL place a Bundle has.
const transactionBundle = `{"resourceType":"Bundle","id":"bundle-55123","type":"transaction",
 "link":[{"relation":"self","url":"https://ehr.acme.example/fhir/Observation?patient=pat-88121&date=ge2021-06-14&_count=50"},
         {"relation":"next","url":"https://ehr.acme.example/fhir/Patient/pat-88121/_history/3?_format=json"}],
 "entry":[
  {"fullUrl":"https://ehr.acme.example/fhir/Patient/pat-88121","resource":{"resourceType":"Patient","id":"pat-88121",
    "meta":{"source":"https://ehr.acme.example/mrn/MRN4471920#src","versionId":"3"},
    "identifier":[{"type":{"coding":[{"code":"MR"}]},"value":"MRN4471920"}],
    "photo":[{"url":"https://ehr.acme.example/photos/pat-88121.jpg"}]},
   "request":{"method":"PUT","url":"Patient/pat-88121"},
   "response":{"status":"201","location":"Patient/pat-88121/_history/3"}},
  {"fullUrl":"urn:uuid:6b1f0c0e-1d2b-4e57-9c11-88121aaaa001","resource":{"resourceType":"Observation","id":"obs-99871","status":"final",
    "code":{"text":"Heart rate"},"subject":{"reference":"https://ehr.acme.example/fhir/Patient/pat-88121"},
    "derivedFrom":[{"reference":"Observation/obs-99870/_history/2"}],
    "hasMember":[{"reference":"Observation?identifier=http://acme|LAB-77126"}]},
   "request":{"method":"POST","url":"Observation","ifNoneExist":"identifier=http://acme|LAB-77125"}},
  {"request":{"method":"DELETE","url":"Patient?identifier=http://acme.example/mrn|MRN4471920"}},
  {"request":{"method":"GET","url":"Observation/obs-99870/_history/2"}},
  {"resource":{"resourceType":"DocumentReference","id":"doc-66102","status":"current",
    "content":[{"attachment":{"contentType":"text/plain","url":"Binary/bin-33107","title":"discharge letter"}}]},
   "request":{"method":"PUT","url":"DocumentReference/doc-66102?_format=json"}}]}`

// TestFHIRBundleURLs: no original resource id, search parameter or source
// survives in the URLs of a transaction bundle, and references still resolve.
func TestFHIRBundleURLs(t *testing.T) {
	e := newEngine(t)
	out := mustFHIR(t, e, transactionBundle)
	assertAbsent(t, out, "pat-88121", "88121", "obs-99871", "obs-99870", "doc-66102", "bin-33107", "bundle-55123", "MRN4471920",
		"LAB-77125", "LAB-77126", "ge2021", "_count", "?", "/mrn/", "photos")
	var b struct {
		Link []struct {
			URL string `json:"url"`
		} `json:"link"`
		Entry []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
			Request  struct {
				Method, URL string
			} `json:"request"`
			Response struct {
				Location string
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatal(err)
	}
	pid := e.fhirIDForTest("pat-88121")
	if want := "https://ehr.acme.example/fhir/Patient/" + pid; b.Entry[0].FullURL != want {
		t.Errorf("fullUrl %q, want %q", b.Entry[0].FullURL, want)
	}
	if b.Entry[0].Request.URL != "Patient/"+pid {
		t.Errorf("request.url %q", b.Entry[0].Request.URL)
	}
	if b.Entry[0].Response.Location != "Patient/"+pid+"/_history/3" {
		t.Errorf("response.location %q", b.Entry[0].Response.Location)
	}
	if b.Entry[2].Request.URL != "Patient" || b.Entry[1].Request.URL != "Observation" {
		t.Errorf("conditional request urls: %q %q", b.Entry[2].Request.URL, b.Entry[1].Request.URL)
	}
	if b.Entry[3].Request.URL != "Observation/"+e.fhirIDForTest("obs-99870")+"/_history/2" {
		t.Errorf("history url %q", b.Entry[3].Request.URL)
	}
	if b.Entry[4].Request.URL != "DocumentReference/"+e.fhirIDForTest("doc-66102") {
		t.Errorf("url with query: %q", b.Entry[4].Request.URL)
	}
	if b.Link[0].URL != "https://ehr.acme.example/fhir/Observation" {
		t.Errorf("link url %q", b.Link[0].URL)
	}
	if !strings.Contains(string(b.Entry[1].Resource), `"reference":"`+b.Entry[0].FullURL+`"`) {
		t.Errorf("absolute reference does not resolve to the patient's fullUrl: %s", b.Entry[1].Resource)
	}
	if strings.Contains(string(b.Entry[0].Resource), `"source"`) {
		t.Errorf("meta.source kept: %s", b.Entry[0].Resource)
	}
	assertPresent(t, out, `"title":"discharge letter"`, `"method":"DELETE"`, `"text":"Heart rate"`)

	// a base URL that carries an identifier (digits, an IP address, userinfo)
	// is replaced consistently
	odd := mustFHIR(t, e, `{"resourceType":"Bundle","type":"collection","entry":[
	 {"fullUrl":"http://10.2.3.4/mrn4471920/fhir/Patient/p1","resource":{"resourceType":"Patient","id":"p1"}},
	 {"fullUrl":"http://jdoe:pw@ehr.example/fhir/Observation/o1","resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},
	   "subject":{"reference":"http://10.2.3.4/mrn4471920/fhir/Patient/p1"}}}]}`)
	assertAbsent(t, odd, "10.2.3.4", "4471920", "jdoe", "pw@")
	var ob struct {
		Entry []struct {
			FullURL  string `json:"fullUrl"`
			Resource struct {
				Subject struct{ Reference string } `json:"subject"`
			} `json:"resource"`
		} `json:"entry"`
	}
	_ = json.Unmarshal([]byte(odd), &ob)
	if ob.Entry[0].FullURL == "" || ob.Entry[1].Resource.Subject.Reference != ob.Entry[0].FullURL {
		t.Errorf("replaced base does not resolve: %s", odd)
	}
}

// TestFHIRDisplayByTarget: Reference.display is removed for person targets
// and kept (scrubbed) for others; CodeableConcept.text and Coding.display
// are clinical text, never name-tagged by guess.
func TestFHIRDisplayByTarget(t *testing.T) {
	in := `{"resourceType":"Bundle","type":"collection","entry":[
	 {"fullUrl":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Quimbleton","given":["Zyxwvut"]}]}},
	 {"fullUrl":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000002","resource":{"resourceType":"Condition","id":"c1","code":{"text":"COVID-19","coding":[{"system":"http://snomed.info/sct","code":"840539006","display":"COVID-19"}]},
	   "subject":{"reference":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000001","display":"Zyxwvut Quimbleton"}}},
	 {"resource":{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},
	   "diagnosis":[{"condition":{"reference":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000002","display":"COVID-19"}}],
	   "serviceProvider":{"reference":"Organization/org1","display":"Mercy General Hospital"},
	   "participant":[{"individual":{"reference":"Practitioner/pr1","display":"Dr. Henrietta Olafsdottir"}},
	                  {"individual":{"reference":"RelatedPerson/rp1","display":"Oxtoby Quimbleton"}}]}},
	 {"resource":{"resourceType":"Observation","id":"o1","status":"final",
	   "code":{"coding":[{"system":"http://loinc.org","code":"9279-1","display":"Respiratory rate"}],"text":"Respiratory rate"},
	   "subject":{"reference":"Patient/p1","display":"Quimbleton"},"performer":[{"display":"Ambrose Pettigrew"}],
	   "hasMember":[{"reference":"#m1","display":"Blood pressure panel"}],
	   "valueQuantity":{"value":18,"unit":"breaths/minute"}}},
	 {"resource":{"resourceType":"MedicationRequest","id":"m1","status":"active","intent":"order","subject":{"reference":"Patient/p1"},
	   "medicationReference":{"reference":"Medication/med1","display":"Amoxicillin 500 mg capsule"},
	   "reasonReference":{"type":"Condition","display":"Community-acquired pneumonia"}}},
	 {"resource":{"resourceType":"Patient","id":"p2","contact":[{"organization":{"reference":"Organization/emp1","display":"Pettigrew Plumbing"}}]}}]}`
	out := mustFHIR(t, newEngine(t), in)
	assertAbsent(t, out, "Quimbleton", "Zyxwvut", "Olafsdottir", "Oxtoby", "Pettigrew", "[NAME]-[NAME]", "[NAME] rate")
	assertPresent(t, out, `"text":"COVID-19"`, `"display":"COVID-19"`, `"display":"Respiratory rate"`, `"text":"Respiratory rate"`,
		`"display":"Amoxicillin 500 mg capsule"`, `"display":"Community-acquired pneumonia"`)
	// an Organization's display is scrubbed as free text, neither removed nor
	// kept raw: it equals what the free-text scrubber makes of it (known gap
	// of deid/text: a facility name opening with a first-name word, as here,
	// comes out as "[NAME] General Hospital")
	org := text.New(text.Options{}).ScrubString("Mercy General Hospital", nil, nil)
	assertPresent(t, out, `"display":"`+org+`"`)
	if strings.Count(out, `"display":"COVID-19"`) != 2 {
		t.Errorf("Condition display lost: %s", out)
	}
}

// TestFHIRAgesAnyUnit: an Age or Duration of 90 years or more in any unit is
// generalised; younger ones are kept.
func TestFHIRAgesAnyUnit(t *testing.T) {
	e := newEngine(t)
	old := []string{
		`{"value":1100,"unit":"months","system":"http://unitsofmeasure.org","code":"mo"}`,
		`{"value":4800,"unit":"wk","system":"http://unitsofmeasure.org","code":"wk"}`,
		`{"value":33000,"unit":"days","system":"http://unitsofmeasure.org","code":"d"}`,
		`{"value":800000,"unit":"h","system":"http://unitsofmeasure.org","code":"h"}`,
		`{"value":48000000,"unit":"min","system":"http://unitsofmeasure.org","code":"min"}`,
		`{"value":93,"unit":"yr"}`,
		`{"value":91.5,"unit":"years"}`,
		`{"value":1200,"unit":"Months"}`,
		`{"value":95}`,
		`{"value":97,"unit":"a","system":"http://unitsofmeasure.org","code":"a","_value":{"id":"v"}}`,
	}
	for _, a := range old {
		for _, typ := range []string{"ageAge", "onsetAge"} {
			res := `{"resourceType":"Condition","subject":{"reference":"Patient/p"},"` + typ + `":` + a + `}`
			if typ == "ageAge" {
				res = `{"resourceType":"FamilyMemberHistory","status":"completed","patient":{"reference":"Patient/p"},"relationship":{"text":"mother"},"ageAge":` + a + `}`
			}
			out := mustFHIR(t, e, res)
			var doc map[string]any
			_ = json.Unmarshal([]byte(out), &doc)
			q, _ := doc[typ].(map[string]any)
			if q["value"] != 90.0 || q["comparator"] != ">=" || q["code"] != "a" || q["_value"] != nil {
				t.Errorf("%s %s → %v", typ, a, q)
			}
		}
	}
	dur := mustFHIR(t, e, `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/p"},
	 "dispenseRequest":{"expectedSupplyDuration":{"value":35000,"unit":"d","code":"d","system":"http://unitsofmeasure.org"}}}`)
	if !strings.Contains(dur, `"expectedSupplyDuration":{"value":90,"unit":"years","system":"http://unitsofmeasure.org","code":"a","comparator":">="}`) {
		t.Errorf("Duration ≥ 90 years kept: %s", dur)
	}
	young := []string{`{"value":90,"unit":"days","code":"d"}`, `{"value":1000,"unit":"months","code":"mo"}`, `{"value":89,"unit":"years"}`, `{"value":100,"unit":"h"}`}
	for _, a := range young {
		out := mustFHIR(t, e, `{"resourceType":"Condition","subject":{"reference":"Patient/p"},"onsetAge":`+a+`}`)
		if strings.Contains(out, "comparator") || !strings.Contains(out, a[:len(a)-1]) {
			t.Errorf("young age %s generalised: %s", a, out)
		}
	}
}

// TestFHIRMalformedDates: malformed dates are reduced to the year when one
// can be read, else removed; never kept whole, in both profiles.
func TestFHIRMalformedDates(t *testing.T) {
	cases := map[string]string{
		"2020-13-45":               `"2020"`,
		"2021-02-30T25:61:00Z":     `"2021"`,
		"2019-06-14garbage 555":    `"2019"`,
		"03/15/2021":               `"2021"`,
		"15.03.2022 10:30":         `"2022"`,
		"1987-06-14T10:20:30+0500": `"1987"`,
		"June 3rd":                 "",
		"garbage":                  "",
		"99":                       "",
	}
	for _, prof := range []Profile{SafeHarbor, Shift} {
		e := engineWith(t, Config{Profile: prof})
		for in, want := range cases {
			out := mustFHIR(t, e, `{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"`+in+`","issued":"`+in+`"}`)
			if want == "" {
				if strings.Contains(out, "effectiveDateTime") || strings.Contains(out, "issued") {
					t.Errorf("%v: %q not removed: %s", prof, in, out)
				}
				continue
			}
			if !strings.Contains(out, `"effectiveDateTime":`+want) || !strings.Contains(out, `"issued":`+want) {
				t.Errorf("%v: %q → %s, want %s", prof, in, out, want)
			}
		}
	}
}

// TestFHIREveryStringScrubbed: kept strings of every kind go through the
// free-text scrubber with the resource's identifiers (code displays, units,
// titles, state, element ids, sub-extension strings).
func TestFHIREveryStringScrubbed(t *testing.T) {
	in := `{"resourceType":"Bundle","type":"collection","entry":[
	 {"resource":{"resourceType":"Patient","id":"p1","identifier":[{"type":{"text":"MRN MRN4471920"},"value":"MRN4471920"}],
	   "name":[{"family":"Quimbleton","given":["Zyxwvut"]}],"telecom":[{"system":"phone","value":"217-555-0199"}],
	   "address":[{"city":"Springfield","state":"Springfield IL"}]}},
	 {"resource":{"resourceType":"Observation","id":"o1","status":"final",
	   "code":{"coding":[{"system":"http://loinc.org","code":"X","display":"Quimbleton panel","userSelected":true}]},
	   "valueQuantity":{"value":1,"unit":"per Zyxwvut"},"category":[{"coding":[{"code":"lab","display":"call 217-555-0199"}]}],
	   "interpretation":[{"text":"see MRN4471920"}],"method":{"text":"jane.doe@example.org"}}}]}`
	out := mustFHIR(t, newEngine(t), in)
	assertAbsent(t, out, "Quimbleton", "Zyxwvut", "555-0199", "MRN4471920", "Springfield", "jane.doe")
	assertPresent(t, out, "panel", `"userSelected":true`, `"code":"lab"`)

	// uris: query strings, userinfo and contact addresses do not survive
	ep := mustFHIR(t, newEngine(t), `{"resourceType":"Endpoint","status":"active","connectionType":{"code":"direct-project"},
	 "payloadType":[{"text":"x"}],"address":"mailto:zyxwvut.quimbleton@direct.example.org",
	 "implicitRules":"https://jdoe:secret@rules.example.org/r?patient=MRN4471920"}`)
	assertAbsent(t, ep, "quimbleton", "MRN4471920", "jdoe", "secret")
	assertPresent(t, ep, `"implicitRules":"https://rules.example.org/r"`)
}

// TestFHIRShiftFollowsPatient: under the shift profile, resources
// de-identified apart from their Patient (standalone files, or bundles of
// several patients) take the offset of the Patient they reference.
func TestFHIRShiftFollowsPatient(t *testing.T) {
	e := engineWith(t, Config{Profile: Shift})
	offset := func(out, key string) int {
		t.Helper()
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		s, _ := doc[key].(string)
		d, err := time.Parse("2006-01-02", s[:min(len(s), 10)])
		if err != nil {
			t.Fatalf("%s = %q: %v", key, s, err)
		}
		return int(d.Sub(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	}
	pat := mustFHIR(t, e, `{"resourceType":"Patient","id":"pat-1","identifier":[{"type":{"coding":[{"code":"MEDREC"}]},"value":"MRN4471920"}],"birthDate":"2020-01-01"}`)
	obs := mustFHIR(t, e, `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pat-1"},"effectiveDateTime":"2020-01-01"}`)
	enc := mustFHIR(t, e, `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"https://ehr.example/fhir/Patient/pat-1"},"period":{"start":"2020-01-01"}}`)
	cov := mustFHIR(t, e, `{"resourceType":"Coverage","status":"active","beneficiary":{"reference":"Patient/pat-1"},"payor":[{"display":"x"}],"period":{"start":"2020-01-01"}}`)
	p := offset(pat, "birthDate")
	if o := offset(obs, "effectiveDateTime"); o != p {
		t.Errorf("standalone Observation shifted %d days, its Patient %d", o, p)
	}
	var encDoc struct{ Period struct{ Start string } }
	_ = json.Unmarshal([]byte(enc), &encDoc)
	var covDoc struct{ Period struct{ Start string } }
	_ = json.Unmarshal([]byte(cov), &covDoc)
	want := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p).Format("2006-01-02")
	if encDoc.Period.Start != want || covDoc.Period.Start != want {
		t.Errorf("Encounter %s, Coverage %s, want %s", encDoc.Period.Start, covDoc.Period.Start, want)
	}
	// a bundle of two patients: each observation follows its own patient
	two := mustFHIR(t, e, `{"resourceType":"Bundle","type":"collection","entry":[
	 {"fullUrl":"urn:uuid:aaaaaaaa-0000-4000-8000-00000000000b","resource":{"resourceType":"Patient","id":"pat-2","birthDate":"2020-01-01"}},
	 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pat-1"},"effectiveDateTime":"2020-01-01"}},
	 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:aaaaaaaa-0000-4000-8000-00000000000b"},"effectiveDateTime":"2020-01-01"}}]}`)
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	_ = json.Unmarshal([]byte(two), &b)
	p2 := offset(string(b.Entry[0].Resource), "birthDate")
	if o := offset(string(b.Entry[1].Resource), "effectiveDateTime"); o != p {
		t.Errorf("bundled Observation of pat-1 shifted %d, want %d", o, p)
	}
	if o := offset(string(b.Entry[2].Resource), "effectiveDateTime"); o != p2 {
		t.Errorf("bundled Observation of pat-2 shifted %d, want %d", o, p2)
	}
	if p == p2 {
		t.Logf("note: the two test patients happen to share an offset")
	}
}

// TestFHIRCorpusUnknownElements: the R4 spec examples and the anonymizer
// inputs hold almost no element the type table does not know, so dropping
// unknown elements costs no real data.
func TestFHIRCorpusUnknownElements(t *testing.T) {
	dir := filepath.Join(corpusDir, "fhir-r4-spec-examples")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus absent: %v", err)
	}
	e := newEngine(t)
	total, dropped := 0, 0
	for name, data := range fhirCorpus(t) {
		v, err := fhir.Parse(data)
		if err != nil {
			continue
		}
		var rep Report
		if _, err := e.FHIR(v, &rep); err != nil {
			continue
		}
		total++
		if n := rep.Dropped["element"]; n > 0 {
			dropped += n
			t.Logf("%s: %d unknown elements dropped", name, n)
		}
	}
	if total == 0 {
		t.Fatal("no corpus resources")
	}
	if dropped > total/10 {
		t.Errorf("%d unknown elements dropped over %d corpus resources: the type table misses real elements", dropped, total)
	}
}

// fhirIDForTest is the keyed id a resource id is mapped to.
func (e *Engine) fhirIDForTest(id string) string { return (&fhirWork{e: e}).mapID(id) }

// TestFHIRCodesFailClosed: codes are kept as they are (not scrubbed as
// text, which would read a SNOMED code as a number), unless a code equals an
// identifier of the input or is date-shaped.
func TestFHIRCodesFailClosed(t *testing.T) {
	in := `{"resourceType":"Bundle","type":"collection","entry":[
	 {"resource":{"resourceType":"Patient","id":"p1","gender":"Quimbleton","name":[{"family":"Quimbleton","given":["Zyxwvut"]}],
	   "identifier":[{"value":"MRN4471920"}],"maritalStatus":{"coding":[{"code":"mrn4471920"}]}}},
	 {"resource":{"resourceType":"Observation","id":"o1","status":"2019-06-14","language":"Zyxwvut",
	   "code":{"coding":[{"system":"http://snomed.info/sct","code":"840539006"},{"system":"http://loinc.org","code":"2345-7"}]}}}]}`
	out := mustFHIR(t, newEngine(t), in)
	assertAbsent(t, out, "Quimbleton", "Zyxwvut", "4471920", "2019-06-14")
	assertPresent(t, out, `"code":"840539006"`, `"code":"2345-7"`, `"status":"2019"`, `"gender":"[NAME]"`)
}
