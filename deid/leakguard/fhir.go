package leakguard

import (
	"strings"
	"unsafe"

	"github.com/safeharbor/safeharbor/fhir"
)

// FHIR harvest sources (PHI-free names used in errors).
var (
	srcHumanName  = source{name: "HumanName"}
	srcIdentifier = source{name: "Identifier.value"}
	srcTelecom    = source{name: "ContactPoint.value"}
	srcAddress    = source{name: "Address"}
	srcPostal     = source{name: "Address.postalCode"}
	srcID         = source{name: "Resource.id"}
	srcReference  = source{name: "Reference.reference"}
	srcDisplay    = source{name: "Reference.display"}
	srcFullURL    = source{name: "Bundle.entry.fullUrl"}
	srcBirthDate  = source{name: "birthDate"}
	srcDateTime   = source{name: "date"}
)

// notPatientSide are resource types whose names and contacts are not the
// patient's (providers and organisations, kept by Safe Harbor).
var notPatientSide = map[string]bool{
	"Practitioner": true, "PractitionerRole": true, "Organization": true, "Location": true,
	"HealthcareService": true, "Endpoint": true, "Device": false,
}

// personRefs are reference targets whose display is a person's name.
var personRefs = []string{"Patient/", "RelatedPerson/", "Person/"}

// HarvestFHIR adds the identifying values of the ORIGINAL resource root (a
// Bundle included; before de-identification, which edits in place). It
// reads the JSON structure, not the type table, so resources and elements
// of unknown types are harvested too: HumanName parts (family, given,
// text), Identifier.value, ContactPoint.value, Address line, city,
// district, postalCode and text, resource ids and the ids in references
// and fullUrls, person references' display, and every full date.
func (s *Set) HarvestFHIR(root *fhir.Value) {
	s.fhirNode(root, "", false)
}

func bytesOf(v string) []byte { return unsafe.Slice(unsafe.StringData(v), len(v)) }

func (s *Set) fhirNode(v *fhir.Value, key string, other bool) {
	switch v.Kind() {
	case fhir.Array:
		for _, e := range v.Elems() {
			s.fhirNode(e, key, other)
		}
		return
	case fhir.String:
		str := v.Str()
		if len(str) >= 10 && str[4] == '-' && (str[0] == '1' || str[0] == '2') {
			if y, m, d, ok := parseDate(bytesOf(str)); ok {
				src := srcDateTime
				if key == "birthDate" {
					src = srcBirthDate
				}
				s.addDate(y, m, d, src)
			}
		}
		return
	case fhir.Object:
	default:
		return
	}
	if rt := v.Get("resourceType"); rt != nil {
		other = notPatientSide[rt.Str()]
		if id := v.Get("id"); id.Kind() == fhir.String {
			s.add(Identifier, srcID, bytesOf(id.Str()), 0)
		}
	}
	switch key {
	case "name":
		if !other {
			s.humanName(v)
		}
	case "identifier":
		// a value equal to the last segment of its own system names the
		// system, which is kept ("…/Identifier/test1")
		if sys := v.Get("system").Str(); sys != "" {
			if i := strings.LastIndexAny(sys, "/:"); i >= 0 {
				sys = sys[i+1:]
			}
			s.kept = append(s.kept, seqHashBytes(bytesOf(sys)))
		}
		if val := v.Get("value"); val.Kind() == fhir.String {
			s.add(Identifier, srcIdentifier, bytesOf(val.Str()), 0)
		}
	case "telecom":
		if val := v.Get("value"); val.Kind() == fhir.String && !other {
			cat := Phone
			if sys := v.Get("system"); sys.Str() == "email" || strings.IndexByte(val.Str(), '@') >= 0 {
				cat = Email
			} else if sys.Str() == "url" {
				cat = Identifier
			}
			s.add(cat, srcTelecom, bytesOf(val.Str()), 0)
		}
	case "address":
		if !other {
			st, ctry := bytesOf(v.Get("state").Str()), bytesOf(v.Get("country").Str())
			addr := func(x []byte) {
				if !sameValue(x, st) && !sameValue(x, ctry) {
					s.add(Address, srcAddress, x, 0)
				}
			}
			for _, l := range v.Get("line").Elems() {
				addr(bytesOf(l.Str()))
			}
			addr(bytesOf(v.Get("city").Str()))
			addr(bytesOf(v.Get("district").Str()))
			addr(bytesOf(v.Get("text").Str()))
			s.add(ZIP, srcPostal, bytesOf(v.Get("postalCode").Str()), 0)
		}
	}
	if ref := v.Get("reference"); ref.Kind() == fhir.String {
		r := ref.Str()
		s.refID(srcReference, r)
		if d := v.Get("display"); d.Kind() == fhir.String {
			for _, p := range personRefs {
				if strings.HasPrefix(r, p) {
					s.add(Name, srcDisplay, bytesOf(d.Str()), 0)
					break
				}
			}
		}
	}
	if fu := v.Get("fullUrl"); fu.Kind() == fhir.String {
		s.refID(srcFullURL, fu.Str())
	}
	for k, c := range v.Members() {
		if k == "resourceType" || k == "id" && v.Get("resourceType") != nil {
			continue
		}
		s.fhirNode(c, k, other)
	}
}

// humanName harvests a HumanName (family, given, text).
func (s *Set) humanName(v *fhir.Value) {
	fam := bytesOf(v.Get("family").Str())
	given := v.Get("given")
	if given.Kind() == fhir.Array {
		for i, g := range given.Elems() {
			if i == 0 {
				s.addName(srcHumanName, fam, bytesOf(g.Str()))
			} else {
				s.add(Name, srcHumanName, bytesOf(g.Str()), 0)
			}
		}
		if given.Len() == 0 {
			s.add(Name, srcHumanName, fam, 0)
		}
	} else {
		s.add(Name, srcHumanName, fam, 0)
	}
	s.add(Name, srcHumanName, bytesOf(v.Get("text").Str()), 0)
}

// refID harvests the id of a reference or URL: the part after the last
// "/" or ":" ("Patient/123", "urn:uuid:...", "http://x/fhir/Patient/123/_history/2").
func (s *Set) refID(src source, r string) {
	if i := strings.Index(r, "/_history/"); i >= 0 {
		r = r[:i]
	}
	if i := strings.IndexByte(r, '?'); i >= 0 {
		r = r[:i]
	}
	if i := strings.LastIndexAny(r, "/:"); i >= 0 {
		r = r[i+1:]
	}
	if r != "" && r[0] != '#' {
		s.add(Identifier, src, bytesOf(r), 0)
	}
}
