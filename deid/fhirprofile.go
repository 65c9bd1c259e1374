package deid

import (
	"fmt"
	"strings"

	"github.com/safeharbor/safeharbor/deid/text"
	"github.com/safeharbor/safeharbor/fhir"
)

// fhirTreat is what the FHIR engine does to an element. Each treatment is
// implemented once (fhirWork.apply); which element gets which treatment is
// the data in fhirProfile.
type fhirTreat uint8

const (
	tKeep        fhirTreat = iota // kept as is: codes, numbers, booleans, canonical urls (query removed)
	tScrub                        // kept, scrubbed as free text with the message's known identifiers
	tRemove                       // removed
	tHarvestRm                    // removed; a string value is remembered for free text first
	tPseudo                       // replaced by a keyed pseudonym
	tResourceID                   // mapped to a keyed UUID (references follow)
	tName                         // HumanName: removed, parts remembered for free text
	tAddress                      // Address: state, country, ZIP3 kept; the rest removed
	tTelecom                      // ContactPoint: value removed, system/use kept
	tIdentifier                   // Identifier: value pseudonymized; SSN/licence/passport types removed
	tReference                    // Reference: reference mapped; display by target type
	tPersonRef                    // Reference whose target is a person by position (an employer): display removed
	tDate                         // date/dateTime/instant: year (safe-harbor) or shifted (shift)
	tAge                          // Age/Duration: ≥ 90 years in any unit → 90 years with comparator ">="
	tAttachment                   // Attachment: url, data, hash removed; title scrubbed
	tAnnotation                   // Annotation: authorString removed; text scrubbed
	tExtension                    // Extension: kept only on the exact-url allowlist
	tModifierExt                  // modifierExtension: not on the allowlist → the input is refused
	tURL                          // Bundle urls: ids mapped, query strings removed, unclean bases replaced
	tURI                          // uri/url/canonical: kept without query string or userinfo
	tUnknownRes                   // resource of an unknown type: refused (default) or generic
	tUnknownElem                  // element unknown to the R4 table: dropped unless allowlisted
	tParent                       // handled by the row of the element holding it
	tCode                         // kept unless equal to a harvested identifier (→ tag) or date-shaped (→ year)
	numTreats
)

var treatNames = [numTreats]string{
	"kept", "kept, free-text scrubbed", "removed", "removed (value remembered for free text)",
	"pseudonymized (keyed HMAC)", "mapped to a keyed UUID", "removed (name parts remembered for free text)",
	"state, country and ZIP3 kept; line, city, district, text removed", "value removed; system, use kept",
	"value pseudonymized; SSN, driver's licence, passport identifiers removed",
	"reference mapped; display by target type (below)", "display removed (a person: employer); reference mapped",
	"year kept (shift profile: shifted by the patient's offset); malformed → year if readable, else removed",
	"≥ 90 years in any unit → `90` `a` with comparator `>=`", "url, data, hash removed; title scrubbed",
	"authorString removed; text scrubbed", "kept only if its url is on the exact allowlist, else removed",
	"input refused (ErrModifierExtension) unless its url is on the allowlist",
	"resource ids mapped, query string removed, base with digits/IP/userinfo replaced",
	"kept without query string and userinfo; `mailto:`, `tel:`, `fax:`, `sms:` uris removed",
	"input refused (ErrUnknownResource); with UnknownResources=generic: generic treatment, labelled",
	"removed unless listed in Config.AllowElements (then treated like an unknown resource's content)",
	"handled with the element holding it",
	"kept; a value equal to an identifier of the input → its tag, a date-shaped value → the year",
}

// fhirRule is one row of the FHIR profile: where it applies, what is done,
// which Safe Harbor identifier (safe-harbor.md letters) it answers, and why.
type fhirRule struct {
	// Where is "type X" (every element of FHIR type X), "element T.e"
	// (element e of type or backbone T; T "Resource" means any resource),
	// "key e" (element e of any type), or "primitive X" (primitive type X
	// when no other row applies).
	Where string
	Treat fhirTreat
	Cat   text.Category // category reported (and remembered) for removals
	SH    string        // Safe Harbor identifiers answered, "" if none
	Note  string
}

// fhirProfile is the FHIR treatment table. Lookup order: element, key,
// type, primitive; an element the R4 table does not know is tUnknownElem.
var fhirProfile = []fhirRule{
	{"type HumanName", tName, text.Name, "A", "names of patients, relatives, practitioners"},
	{"type Address", tAddress, text.Address, "B", "ZIP3 `000` for restricted areas; state/country holding digits removed"},
	{"type ContactPoint", tTelecom, text.Phone, "D E F N", "phone, fax, e-mail, url by ContactPoint.system"},
	{"type Identifier", tIdentifier, text.MRN, "G H I J K R", "system and type kept"},
	{"type Reference", tReference, text.Name, "A R", "targets Patient, RelatedPerson, Person, Practitioner, PractitionerRole → display removed (remembered as a name); a target that cannot be told (no reference, no type) → display removed; other targets (Organization, Location, Medication, Condition, …) → display scrubbed: organisations are not patient identifiers"},
	{"type Narrative", tRemove, text.Name, "all", "text.div may hold anything"},
	{"type Attachment", tAttachment, text.Photo, "N Q", "photos, documents"},
	{"type Annotation", tAnnotation, text.Name, "A", ""},
	{"type Extension", tExtension, 0, "all", "default allowlist: US Core race, ethnicity, birth sex (sub-extensions of an allowlisted extension are kept)"},
	{"type Age", tAge, text.Age, "C", ""},
	{"type Duration", tAge, text.Age, "C", "a Duration can hold an age"},
	{"type Signature", tRemove, text.Biometric, "P", "signatures"},
	{"type date", tDate, text.Date, "C", ""},
	{"type dateTime", tDate, text.Date, "C", ""},
	{"type instant", tDate, text.Date, "C", ""},
	{"type base64Binary", tRemove, text.Photo, "Q", "encapsulated data"},
	{"type xhtml", tRemove, text.Name, "all", ""},
	{"type Resource", tUnknownRes, 0, "all", "STU3-only or custom resource types"},
	{"element Resource.id", tResourceID, text.OtherID, "R", "references, fullUrls and Bundle urls follow"},
	{"element Reference.reference", tParent, 0, "R", "mapped to the target's keyed UUID; a conditional (query) reference or `urn:oid` is removed"},
	{"element Reference.display", tParent, 0, "A", "by target type (Reference row)"},
	{"element Identifier.value", tParent, 0, "H", "pseudonymized with its Identifier"},
	{"element Meta.source", tRemove, text.URL, "N R", "source urls often carry an MRN or server path"},
	{"element Bundle.entry.fullUrl", tURL, text.URL, "N R", ""},
	{"element Bundle.entry.request.url", tURL, text.URL, "N R", "`Patient?identifier=…` → `Patient`"},
	{"element Bundle.entry.response.location", tURL, text.URL, "N R", ""},
	{"element Bundle.link.url", tURL, text.URL, "N R", "search parameters (patient id, dates) removed"},
	{"element Bundle.entry.link.url", tURL, text.URL, "N R", ""},
	{"element Bundle.entry.request.ifNoneExist", tRemove, text.OtherID, "R", "a search query"},
	{"element Patient.photo", tRemove, text.Photo, "Q", ""},
	{"element Practitioner.photo", tRemove, text.Photo, "Q", ""},
	{"element Person.photo", tRemove, text.Photo, "Q", ""},
	{"element RelatedPerson.photo", tRemove, text.Photo, "Q", ""},
	{"element Patient.contact.organization", tPersonRef, text.Name, "A", "a contact's organisation is an employer"},
	{"element Device.udiCarrier", tRemove, text.Device, "M", ""},
	{"element Device.distinctIdentifier", tHarvestRm, text.Device, "M", ""},
	{"element Coverage.subscriberId", tHarvestRm, text.HealthPlan, "I", ""},
	{"element Coverage.dependent", tHarvestRm, text.HealthPlan, "I", ""},
	{"element Location.position", tRemove, text.Address, "B", "geocodes"},
	{"element ImagingStudy.series.uid", tPseudo, text.OtherID, "R", "DICOM UIDs are unique"},
	{"element ImagingStudy.series.instance.uid", tPseudo, text.OtherID, "R", "DICOM UIDs are unique"},
	{"key serialNumber", tHarvestRm, text.Device, "M", ""},
	{"key lotNumber", tHarvestRm, text.Device, "M", ""},
	{"key modifierExtension", tModifierExt, 0, "all", "a modifier changes the meaning of what holds it: dropping one is not safe"},
	{"primitive string", tScrub, 0, "all", "every kept string, including Coding.display, CodeableConcept.text, units, titles"},
	{"primitive markdown", tScrub, 0, "all", ""},
	{"primitive uri", tURI, text.URL, "N", "code systems, profiles, extension urls"},
	{"primitive url", tURI, text.URL, "N", ""},
	{"primitive canonical", tURI, text.URL, "N", ""},
	{"primitive code", tCode, 0, "all", "terminology codes are not scrubbed as text (a SNOMED code would read as a number)"},
	{"primitive id", tCode, 0, "all", "resource ids: above"},
	{"primitive time", tKeep, 0, "", "a time of day is not a date element"},
	{"unknown element", tUnknownElem, 0, "all", "so are `_x` siblings of unknown elements"},
}

// fhirRuleIdx is the compiled lookup of fhirProfile.
type fhirRuleIdx struct {
	elem map[string]map[string]*fhirRule // parent type → key
	key  []*fhirRule                     // "key" rows: few, compared in turn (cheaper than hashing)
	keys []string
	typ  map[string]*fhirRule
	unk  *fhirRule
}

var fhirRules = compileFHIRProfile(fhirProfile)

func compileFHIRProfile(rows []fhirRule) *fhirRuleIdx {
	x := &fhirRuleIdx{elem: map[string]map[string]*fhirRule{}, typ: map[string]*fhirRule{}}
	for i := range rows {
		r := &rows[i]
		kind, arg, _ := strings.Cut(r.Where, " ")
		switch kind {
		case "type", "primitive":
			x.typ[arg] = r
		case "key":
			x.key = append(x.key, r)
			x.keys = append(x.keys, arg)
		case "element":
			i := strings.LastIndexByte(arg, '.')
			p, k := arg[:i], arg[i+1:]
			if x.elem[p] == nil {
				x.elem[p] = map[string]*fhirRule{}
			}
			x.elem[p][k] = r
		case "unknown":
			x.unk = r
		default:
			panic("deid: bad FHIR profile row " + r.Where)
		}
	}
	return x
}

// lookup returns the rule for an element, or nil when it is kept.
func (x *fhirRuleIdx) lookup(el *fhir.Elem) *fhirRule {
	if m := x.elem[el.ParentType]; m != nil {
		if r := m[el.Key]; r != nil {
			return r
		}
	}
	if el.Resource == el.ParentType && el.ParentType != "" {
		if r := x.elem["Resource"][el.Key]; r != nil {
			return r
		}
	}
	for i, k := range x.keys {
		if k == el.Key {
			return x.key[i]
		}
	}
	return x.typ[el.Type]
}

// fhirPolicy is the per-engine FHIR configuration.
type fhirPolicy struct {
	generic   bool
	allowElem map[string]map[string]bool // type → element
}

// Modes of Config.UnknownResources.
const (
	// UnknownRefuse refuses a resource of an unknown type (the default).
	UnknownRefuse = "refuse"
	// UnknownGeneric de-identifies it generically: strings scrubbed as free
	// text, dates generalised, id-like values pseudonymized, names,
	// addresses, telecom values, urls and unknown extensions removed. The
	// resource is labelled with a meta.tag of code UnknownGenericTag.
	UnknownGeneric = "generic"
	// UnknownGenericTag is the meta.tag code (system ProfileTagSystem) of a
	// resource of an unknown type de-identified generically.
	UnknownGenericTag = "unknown-type-generic"
)

func (p *fhirPolicy) init(cfg Config) error {
	switch cfg.UnknownResources {
	case "", UnknownRefuse:
	case UnknownGeneric:
		p.generic = true
	default:
		return fmt.Errorf("%w: UnknownResources must be %q or %q", ErrConfig, UnknownRefuse, UnknownGeneric)
	}
	for _, a := range cfg.AllowElements {
		i := strings.LastIndexByte(a, '.')
		if i <= 0 || i == len(a)-1 {
			return fmt.Errorf("%w: AllowElements entry %q is not Type.element", ErrConfig, a)
		}
		if p.allowElem == nil {
			p.allowElem = map[string]map[string]bool{}
		}
		t, k := a[:i], a[i+1:]
		if p.allowElem[t] == nil {
			p.allowElem[t] = map[string]bool{}
		}
		p.allowElem[t][k] = true
	}
	return nil
}
