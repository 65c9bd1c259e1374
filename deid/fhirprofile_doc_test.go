package deid

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/deid-hl7.md and docs/deid-fhir.md from the treatment tables")

const fhirDocPath = "../docs/deid-fhir.md"

// renderFHIRProfileDoc renders the FHIR treatment table (fhirProfile) and
// the lists the treatments use as Markdown.
func renderFHIRProfileDoc() string {
	var b strings.Builder
	b.WriteString(`# FHIR R4 de-identification profile

<!-- Generated from deid/fhirprofile.go by
     go test ./deid -run TestFHIRProfileDoc -update-docs
     Do not edit by hand: TestFHIRProfileDoc fails when this file and the table differ. -->

What the engine does to each FHIR element (` + "`deid.Engine.FHIR`" + `), in one table, to review side by side
with the 18 identifiers of 45 CFR 164.514(b)(2), lettered in the order HHS lists them: A names, B geography
smaller than a state, C dates and ages over 89, D phone, E fax, F e-mail, G SSN, H medical record number,
I health plan number, J account, K certificate/licence, L vehicle, M device, N URL, O IP address,
P biometric, Q photo, R any other unique number or code ("all" = a place that can hold any of them). The element's FHIR type comes from the R4 type table generated from
` + "`golang-fhir-models`" + ` (` + "`fhir/types_gen.go`" + `); the JSON is walked generically, so primitive extensions
(` + "`_birthDate`" + `) and unknown content are seen and treated, never silently passed through.

Lookup order: **element** (` + "`Type.element`" + `; ` + "`Resource.x`" + ` means element x of every resource), then **key**
(an element name under any type), then **type**, then **primitive** type. Elements with none of these
(boolean, integer, decimal, oid, uuid, …) are kept. Every kept ` + "`string`" + ` and ` + "`markdown`" + ` goes through the
free-text scrubber with the identifiers harvested from the whole input (names, ids, phones, addresses,
dates), after the walk.

| where | treatment | Safe Harbor | note |
|---|---|---|---|
`)
	for _, r := range fhirProfile {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", "`"+r.Where+"`", treatNames[r.Treat], r.SH, r.Note)
	}
	persons := make([]string, 0, len(personTargets))
	for t := range personTargets {
		persons = append(persons, t)
	}
	sort.Strings(persons)
	units := make([]string, 0, len(perYear))
	for u := range perYear {
		units = append(units, u)
	}
	sort.Strings(units)
	fmt.Fprintf(&b, `
## Reference.display by target type

The target type is read from the reference (`+"`Type/id`"+`, an absolute URL ending in it, a conditional
`+"`Type?…`"+`), from the Bundle entry (`+"`urn:uuid:`"+`) or contained resource (`+"`#id`"+`) it names, else from
`+"`Reference.type`"+`.

- person targets (%s), and `+"`Patient.contact.organization`"+` (an employer): display **removed** and
  remembered as a name for the free text;
- target unknown (no reference, no type): display **removed** (fail closed), not remembered (it may be
  clinical text, and remembering it would tag its words everywhere);
- any other target (Organization, Location, Medication, Condition, Observation, Specimen, …): display
  **kept, free-text scrubbed**. Organisation and location names are not identifiers of the individual under
  Safe Harbor (a hospital name is not a geographic subdivision); the employer case above is the exception.

`+"`CodeableConcept.text`"+` and `+"`Coding.display`"+` are clinical text: scrubbed like every string, never
name-tagged by guess.

## Extensions

Kept only when `+"`url`"+` equals an entry of `+"`Config.AllowExtensions`"+` exactly (default: %s). A
sub-extension with a plain relative url (`+"`ombCategory`"+`, `+"`text`"+`) is kept inside an allowlisted
extension only. A `+"`modifierExtension`"+` not on the allowlist refuses the whole input
(`+"`ErrModifierExtension`"+`), since dropping a modifier changes the meaning of what holds it.

## Unknown resource types and elements

`+"`Config.UnknownResources`"+`: `+"`%s`"+` (default) refuses an input holding a resource type that is not FHIR R4
(`+"`ErrUnknownResource`"+`, with the JSON path; the pipeline sends it to the DLQ). `+"`%s`"+` treats it by shape
and key (`+"`deid/fhirgeneric.go`"+`): HumanName-shaped objects removed, Address-shaped reduced, telecom
values removed, identifier values and id-like strings pseudonymized, references mapped, url-like strings
removed, date-like strings generalised, codes kept, every other string scrubbed; the resource gets a
`+"`meta.tag`"+` with code `+"`%s`"+`.

Elements unknown to the R4 table are dropped (counted as `+"`dropped element`"+` in the report) unless
`+"`Config.AllowElements`"+` lists them as `+"`Type.element`"+`; then they get the generic treatment.

## URLs

Resource ids map to keyed UUIDs; `+"`fullUrl`"+`, references, `+"`request.url`"+`, `+"`response.location`"+` and
`+"`link.url`"+` are rewritten with the same mapping (`+"`Patient/123/_history/2`"+` → `+"`Patient/<uuid>/_history/2`"+`),
query strings are removed (`+"`Patient?identifier=…`"+` → `+"`Patient`"+`), and an absolute base whose host or path
holds digits, an IP address or userinfo becomes `+"`%s`"+` (the same each time, so references still resolve).
A conditional reference (`+"`Patient?identifier=…`"+`) or `+"`urn:oid:`"+` reference is removed.

## Ages and durations

An Age or Duration is converted to years from its UCUM code, else its unit text (%s; an unknown unit
counts as years). At 90 years or more it becomes `+"`{\"value\":90,\"unit\":\"years\",\"system\":\"%s\",\"code\":\"a\",\"comparator\":\">=\"}`"+`.
A birth date of someone 90 or older is removed entirely (year too).

## Dates

Safe Harbor profile: the year. Shift profile: shifted by the offset of the Patient the resource is about.
A malformed date (impossible day or time, trailing text, other spellings) becomes the year when one can be
read (four leading digits, or a standalone 1800–2199), else is removed.

**Linkage of the shift offset.** A Patient's offset derives from its resource id mapped through the keyed id
map; a resource with a `+"`subject`"+`, `+"`patient`"+` or `+"`beneficiary`"+` reference takes the offset of that
Patient (resolved through the Bundle or contained resources when it is there, else from the reference's
id), a contained resource its container's. So a Patient and an Observation de-identified from separate
files shift alike. A resource with no Patient id anywhere falls back to the patient pseudonym's offset (the
HL7v2 rule), so FHIR and HL7v2 offsets of one patient agree only in that case.
`, strings.Join(persons, ", "), "`"+strings.Join(DefaultAllowedExtensions, "`, `")+"`",
		UnknownRefuse, UnknownGeneric, UnknownGenericTag, neutralBase, "`"+strings.Join(units, "` `")+"`", UCUMSystem)
	return b.String()
}

// TestFHIRProfileDoc: docs/deid-fhir.md is the rendering of the profile
// table; -update-docs rewrites it.
func TestFHIRProfileDoc(t *testing.T) {
	want := renderFHIRProfileDoc()
	if *updateDocs {
		if err := os.MkdirAll(filepath.Dir(fhirDocPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fhirDocPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(fhirDocPath)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./deid -run TestFHIRProfileDoc -update-docs)", err)
	}
	if string(got) != want {
		t.Errorf("%s differs from the FHIR profile table in deid/fhirprofile.go; regenerate: go test ./deid -run TestFHIRProfileDoc -update-docs", fhirDocPath)
	}
	// every treatment is named, every row parses
	for _, r := range fhirProfile {
		if treatNames[r.Treat] == "" {
			t.Errorf("row %s: treatment without a name", r.Where)
		}
	}
}
