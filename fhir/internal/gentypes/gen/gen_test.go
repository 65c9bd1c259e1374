package gen

import (
	"reflect"
	"strings"
	"testing"

	models "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// TestTableMatchesReflection cross-checks the source-derived table against
// the compiled model structs via reflection: every json key is present,
// repetition matches slice-ness, and Go bool/number fields get the
// matching FHIR primitive.
func TestTableMatchesReflection(t *testing.T) {
	dir, err := ModelDir()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	samples := map[string]any{
		"Patient": models.Patient{}, "Patient.contact": models.PatientContact{},
		"Observation": models.Observation{}, "Observation.component": models.ObservationComponent{},
		"Bundle": models.Bundle{}, "Bundle.entry": models.BundleEntry{},
		"Parameters.parameter": models.ParametersParameter{}, "Extension": models.Extension{},
		"HumanName": models.HumanName{}, "Address": models.Address{}, "Attachment": models.Attachment{},
		"Encounter": models.Encounter{}, "Claim.item": models.ClaimItem{},
		"QuestionnaireResponse.item.answer": models.QuestionnaireResponseItemAnswer{},
	}
	checked := 0
	for name, s := range samples {
		el, ok := tab.Types[name]
		if !ok {
			t.Errorf("no table for %s", name)
			continue
		}
		rt := reflect.TypeOf(s)
		for i := 0; i < rt.NumField(); i++ {
			f := rt.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			e, ok := el[key]
			if !ok {
				t.Errorf("%s.%s missing", name, key)
				continue
			}
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if (ft.Kind() == reflect.Slice && ft.Name() != "RawMessage") != e.Repeating {
				t.Errorf("%s.%s repeating %v, Go type %s", name, key, e.Repeating, f.Type)
			}
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			switch {
			case ft.Kind() == reflect.Bool && e.Type != "boolean":
				t.Errorf("%s.%s bool typed %s", name, key, e.Type)
			case ft.Name() == "Number" && e.Type != "decimal":
				t.Errorf("%s.%s json.Number typed %s", name, key, e.Type)
			case ft.Kind() == reflect.Struct && e.Type != ft.Name() && !strings.Contains(e.Type, "."):
				t.Errorf("%s.%s struct %s typed %s", name, key, ft.Name(), e.Type)
			}
			checked++
		}
	}
	t.Logf("cross-checked %d fields of %d types", checked, len(samples))
}
