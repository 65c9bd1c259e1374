package fhir

import (
	"bytes"
	"os"
	"testing"

	"github.com/safeharbor/safeharbor/fhir/internal/gentypes/gen"
)

func TestElementTypes(t *testing.T) {
	tests := []struct {
		parent, key string
		want        Element
	}{
		{"Patient", "birthDate", Element{"date", false}},
		{"Patient", "deceasedDateTime", Element{"dateTime", false}},
		{"Patient", "deceasedBoolean", Element{"boolean", false}},
		{"Patient", "multipleBirthInteger", Element{"integer", false}},
		{"Patient", "name", Element{"HumanName", true}},
		{"Patient", "address", Element{"Address", true}},
		{"Patient", "telecom", Element{"ContactPoint", true}},
		{"Patient", "identifier", Element{"Identifier", true}},
		{"Patient", "photo", Element{"Attachment", true}},
		{"Patient", "text", Element{"Narrative", false}},
		{"Patient", "contained", Element{"Resource", true}},
		{"Patient", "gender", Element{"code", false}},
		{"Patient", "id", Element{"id", false}},
		{"Patient", "resourceType", Element{"code", false}},
		{"Patient", "contact", Element{"Patient.contact", true}},
		{"Patient.contact", "name", Element{"HumanName", false}},
		{"Patient.contact", "period", Element{"Period", false}},
		{"Observation", "effectiveDateTime", Element{"dateTime", false}},
		{"Observation", "effectivePeriod", Element{"Period", false}},
		{"Observation", "effectiveInstant", Element{"instant", false}},
		{"Observation", "issued", Element{"instant", false}},
		{"Observation", "valueQuantity", Element{"Quantity", false}},
		{"Observation", "valueString", Element{"string", false}},
		{"Observation", "valueCodeableConcept", Element{"CodeableConcept", false}},
		{"Observation", "note", Element{"Annotation", true}},
		{"Observation", "subject", Element{"Reference", false}},
		{"Observation", "component", Element{"Observation.component", true}},
		{"Observation.component", "valueQuantity", Element{"Quantity", false}},
		{"Observation.referenceRange", "low", Element{"Quantity", false}},
		{"Narrative", "div", Element{"xhtml", false}},
		{"Attachment", "data", Element{"base64Binary", false}},
		{"Attachment", "url", Element{"url", false}},
		{"Attachment", "creation", Element{"dateTime", false}},
		{"Period", "start", Element{"dateTime", false}},
		{"Meta", "lastUpdated", Element{"instant", false}},
		{"Meta", "profile", Element{"canonical", true}},
		{"Extension", "url", Element{"uri", false}},
		{"Extension", "valueDateTime", Element{"dateTime", false}},
		{"Extension", "valueAddress", Element{"Address", false}},
		{"Extension", "valueHumanName", Element{"HumanName", false}},
		{"Extension", "valueReference", Element{"Reference", false}},
		{"Extension", "valueBase64Binary", Element{"base64Binary", false}},
		{"Extension", "valuePositiveInt", Element{"positiveInt", false}},
		{"Extension", "extension", Element{"Extension", true}},
		{"HumanName", "given", Element{"string", true}},
		{"HumanName", "family", Element{"string", false}},
		{"Annotation", "time", Element{"dateTime", false}},
		{"Annotation", "authorReference", Element{"Reference", false}},
		{"Bundle", "entry", Element{"Bundle.entry", true}},
		{"Bundle", "timestamp", Element{"instant", false}},
		{"Bundle.entry", "resource", Element{"Resource", false}},
		{"Bundle.entry", "fullUrl", Element{"uri", false}},
		{"Bundle.entry.response", "outcome", Element{"Resource", false}},
		{"Bundle.entry.response", "lastModified", Element{"instant", false}},
		{"Parameters", "parameter", Element{"Parameters.parameter", true}},
		{"Parameters.parameter", "resource", Element{"Resource", false}},
		{"Parameters.parameter", "part", Element{"Parameters.parameter", true}},
		{"Parameters.parameter", "valueDate", Element{"date", false}},
		{"Questionnaire.item", "item", Element{"Questionnaire.item", true}},
		{"QuestionnaireResponse", "authored", Element{"dateTime", false}},
		{"QuestionnaireResponse.item.answer", "valueDate", Element{"date", false}},
		{"Appointment", "start", Element{"instant", false}},
		{"Encounter", "period", Element{"Period", false}},
		{"Encounter", "reasonCode", Element{"CodeableConcept", true}},
		{"Encounter", "reasonReference", Element{"Reference", true}},
		{"Contract", "instantiatesCanonical", Element{"Reference", false}},
		{"Condition", "onsetAge", Element{"Age", false}},
		{"Condition", "recordedDate", Element{"dateTime", false}},
		{"Immunization", "occurrenceDateTime", Element{"dateTime", false}},
		{"Immunization", "expirationDate", Element{"date", false}},
		{"MedicationRequest", "authoredOn", Element{"dateTime", false}},
		{"DocumentReference", "content", Element{"DocumentReference.content", true}},
		{"DocumentReference.content", "attachment", Element{"Attachment", false}},
		{"Signature", "when", Element{"instant", false}},
		{"Element", "extension", Element{"Extension", true}},
	}
	for _, tc := range tests {
		got, ok := ElementType(tc.parent, tc.key)
		if !ok || got != tc.want {
			t.Errorf("ElementType(%q, %q) = %+v, %v; want %+v", tc.parent, tc.key, got, ok, tc.want)
		}
	}
	if _, ok := ElementType("Patient", "noSuchElement"); ok {
		t.Error("unknown element found")
	}
	if _, ok := ElementType("NoSuchType", "id"); ok {
		t.Error("unknown type found")
	}
}

func TestResourceTypes(t *testing.T) {
	for _, n := range []string{"Patient", "Observation", "Bundle", "Parameters", "Binary", "MedicationRequest", "OperationOutcome"} {
		if !IsResourceType(n) {
			t.Errorf("IsResourceType(%q) = false", n)
		}
	}
	for _, n := range []string{"", "HumanName", "Resource", "DomainResource", "patient", "Patient.contact"} {
		if IsResourceType(n) {
			t.Errorf("IsResourceType(%q) = true", n)
		}
	}
	if n := len(ResourceTypes()); n < 140 || n > 160 {
		t.Errorf("got %d resource types, want the ~148 of R4", n)
	}
	// Every resource has a table; DomainResources can hold contained resources.
	for _, n := range ResourceTypes() {
		if !HasType(n) {
			t.Errorf("no table for resource %s", n)
		}
		_, hasText := ElementType(n, "text")
		_, hasContained := ElementType(n, "contained")
		if hasText != hasContained {
			t.Errorf("%s: text %v but contained %v", n, hasText, hasContained)
		}
	}
	// Every element type names a primitive, "Resource" or a table.
	for parent, el := range typeTable {
		for k, e := range el {
			if !IsPrimitiveType(e.Type) && e.Type != "Resource" && !HasType(e.Type) {
				t.Errorf("%s.%s has unknown type %q", parent, k, e.Type)
			}
		}
	}
}

// TestTypesGenUpToDate regenerates the table in memory and compares it
// with the committed types_gen.go.
func TestTypesGenUpToDate(t *testing.T) {
	want, err := gen.Generate()
	if err != nil {
		t.Fatalf("cannot regenerate the table from the golang-fhir-models source: %v", err)
	}
	got, err := os.ReadFile("types_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("types_gen.go is stale: run go generate ./fhir")
	}
}
