package fhir

import (
	"os"
	"path/filepath"
	"testing"
)

func readCorpus(t testing.TB, rel ...string) []byte {
	t.Helper()
	p := filepath.Join(append([]string{corpusDir(t)}, rel...)...)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("corpus file missing: %v", err)
	}
	return data
}

type visit struct {
	path, typ, prim, parent, res string
}

func collect(t *testing.T, v *Value) map[string]visit {
	t.Helper()
	out := map[string]visit{}
	Walk(v, func(e *Elem) Action {
		out[e.Path()] = visit{e.Path(), e.Type, e.PrimitiveType, e.ParentType, e.Resource}
		return Continue
	})
	return out
}

func mustParse(t testing.TB, s string) *Value {
	t.Helper()
	v, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWalkPrimitiveExtension(t *testing.T) {
	v, err := Parse(readCorpus(t, "fhir-r4-spec-examples", "patient-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, v)
	want := []visit{
		{"", "Patient", "", "", "Patient"},
		{"birthDate", "date", "", "Patient", "Patient"},
		{"_birthDate", "Element", "date", "Patient", "Patient"},
		{"_birthDate.extension[0]", "Extension", "", "Element", "Patient"},
		{"_birthDate.extension[0].url", "uri", "", "Extension", "Patient"},
		{"_birthDate.extension[0].valueDateTime", "dateTime", "", "Extension", "Patient"},
		{"name[0]", "HumanName", "", "Patient", "Patient"},
		{"name[0].given[0]", "string", "", "HumanName", "Patient"},
		{"text.div", "xhtml", "", "Narrative", "Patient"},
		{"contact[0]", "Patient.contact", "", "Patient", "Patient"},
		{"contact[0].address", "Address", "", "Patient.contact", "Patient"},
		{"contact[0].period.start", "dateTime", "", "Period", "Patient"},
		{"managingOrganization", "Reference", "", "Patient", "Patient"},
	}
	for _, w := range want {
		if g, ok := got[w.path]; !ok || g != w {
			t.Errorf("visit %q = %+v (seen %v), want %+v", w.path, g, ok, w)
		}
	}
}

func TestWalkContained(t *testing.T) {
	v, err := Parse(readCorpus(t, "fhir-r4-spec-examples", "specimen-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, v)
	for _, w := range []visit{
		{"contained[0]", "Substance", "", "Specimen", "Substance"},
		{"contained[0].code", "CodeableConcept", "", "Substance", "Substance"},
		{"receivedTime", "dateTime", "", "Specimen", "Specimen"},
		{"collection.collectedDateTime", "dateTime", "", "Specimen.collection", "Specimen"},
	} {
		if g := got[w.path]; g != w {
			t.Errorf("visit %q = %+v, want %+v", w.path, g, w)
		}
	}
}

func TestWalkBundleParametersNested(t *testing.T) {
	v := mustParse(t, `{"resourceType":"Bundle","type":"collection","entry":[
	 {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","name":[{"family":"F"}],
	   "contained":[{"resourceType":"Organization","name":"O","address":[{"city":"C"}]}]}},
	 {"resource":{"resourceType":"Parameters","parameter":[{"name":"p","valueDate":"2020-01-02",
	   "resource":{"resourceType":"Observation","effectiveDateTime":"2020"},
	   "part":[{"name":"q","valueInstant":"2020-01-02T00:00:00Z"}]}]}},
	 {"resource":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"RelatedPerson","birthDate":"1970"}}]}},
	 {"resource":{"resourceType":"NotAType","birthDate":"1970","id":"x"}},
	 {"resource":{"resourceType":"Patient","futureElement":{"nested":"x"}}}
	]}`)
	got := collect(t, v)
	for _, w := range []visit{
		{"entry[0]", "Bundle.entry", "", "Bundle", "Bundle"},
		{"entry[0].fullUrl", "uri", "", "Bundle.entry", "Bundle"},
		{"entry[0].resource", "Patient", "", "Bundle.entry", "Patient"},
		{"entry[0].resource.name[0]", "HumanName", "", "Patient", "Patient"},
		{"entry[0].resource.contained[0]", "Organization", "", "Patient", "Organization"},
		{"entry[0].resource.contained[0].address[0].city", "string", "", "Address", "Organization"},
		{"entry[1].resource.parameter[0]", "Parameters.parameter", "", "Parameters", "Parameters"},
		{"entry[1].resource.parameter[0].valueDate", "date", "", "Parameters.parameter", "Parameters"},
		{"entry[1].resource.parameter[0].resource", "Observation", "", "Parameters.parameter", "Observation"},
		{"entry[1].resource.parameter[0].resource.effectiveDateTime", "dateTime", "", "Observation", "Observation"},
		{"entry[1].resource.parameter[0].part[0].valueInstant", "instant", "", "Parameters.parameter", "Parameters"},
		{"entry[2].resource.entry[0].resource", "RelatedPerson", "", "Bundle.entry", "RelatedPerson"},
		{"entry[2].resource.entry[0].resource.birthDate", "date", "", "RelatedPerson", "RelatedPerson"},
		{"entry[3].resource", "Resource", "", "Bundle.entry", "Bundle"},
		{"entry[3].resource.id", "id", "", "Resource", "Bundle"},
		{"entry[3].resource.resourceType", "code", "", "Resource", "Bundle"},
		{"entry[3].resource.birthDate", "", "", "Resource", "Bundle"},
		{"entry[4].resource.futureElement", "", "", "Patient", "Patient"},
		{"entry[4].resource.futureElement.nested", "", "", "", "Patient"},
	} {
		if g := got[w.path]; g != w {
			t.Errorf("visit %q = %+v, want %+v", w.path, g, w)
		}
	}
	n := 0
	BundleEntries(v, func(i int, fullURL string, r *Value) bool {
		if i == 0 && (fullURL != "urn:uuid:1" || ResourceType(r) != "Patient") {
			t.Errorf("entry 0: %q %q", fullURL, ResourceType(r))
		}
		n++
		return true
	})
	if n != 5 {
		t.Errorf("BundleEntries saw %d entries, want 5", n)
	}
	c := 0
	Contained(v.Get("entry").Index(0).Get("resource"), func(i int, r *Value) bool {
		c++
		return ResourceType(r) == "Organization"
	})
	if c != 1 {
		t.Errorf("Contained saw %d, want 1", c)
	}
}

func TestWalkRemoveAndRewrite(t *testing.T) {
	v := mustParse(t, `{"resourceType":"Patient","id":"p1",
	  "name":[{"family":"Doe","given":["Ann","Beth","Cat"],"_given":[null,{"id":"g2"},null]},{"text":"X"}],
	  "birthDate":"1970-05-06","_birthDate":{"extension":[{"url":"u","valueDateTime":"1970-05-06T01:02:03Z"}]},
	  "telecom":[{"system":"phone","value":"555"}],"active":true}`)
	Walk(v, func(e *Elem) Action {
		switch {
		case e.Type == "ContactPoint":
			return Remove // the whole telecom array goes
		case e.Key == "given" && e.Index == 1:
			return Remove // _given[1] must go with it
		case e.Type == "date" || e.PrimitiveType == "date":
			return Remove
		case e.Key == "family":
			e.Value.SetString("Anon \"Q\"")
		case e.Type == "HumanName" && e.Index == 1:
			return Remove
		case e.Key == "_given":
			t.Errorf("null or removed _given item visited: %s", e.Path())
		}
		return Continue
	})
	want := `{"resourceType":"Patient","id":"p1","name":[{"family":"Anon \"Q\"","given":["Ann","Cat"]}],"active":true}`
	if got := string(v.AppendJSON(nil)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestWalkSkipChildren(t *testing.T) {
	v := mustParse(t, `{"resourceType":"Patient","name":[{"family":"Doe"}],"gender":"male"}`)
	var seen []string
	Walk(v, func(e *Elem) Action {
		seen = append(seen, e.Path())
		if e.Type == "HumanName" {
			return SkipChildren
		}
		return Continue
	})
	want := []string{"", "resourceType", "name[0]", "gender"}
	if len(seen) != len(want) {
		t.Fatalf("visited %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("visited %v, want %v", seen, want)
		}
	}
}

func TestWalkAsDatatype(t *testing.T) {
	v := mustParse(t, `{"family":"Doe","period":{"start":"2001"}}`)
	var typ string
	WalkAs(v, "HumanName", func(e *Elem) Action {
		if e.Path() == "period.start" {
			typ = e.Type
		}
		return Continue
	})
	if typ != "dateTime" {
		t.Fatalf("period.start typed %q", typ)
	}
}

func TestWalkRemovePrimitiveExtensionOnly(t *testing.T) {
	v := mustParse(t, `{"resourceType":"Patient","name":[{"given":["A","B","C"],"_given":[{"id":"a"},null,{"id":"c"}]},
	  {"given":["D"],"_given":[{"id":"d"}]}]}`)
	Walk(v, func(e *Elem) Action {
		if e.Type == "Element" && e.PrimitiveType == "string" && !(e.Index == 2) {
			return Remove
		}
		return Continue
	})
	want := `{"resourceType":"Patient","name":[{"given":["A","B","C"],"_given":[null,null,{"id":"c"}]},{"given":["D"]}]}`
	if got := string(v.AppendJSON(nil)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
