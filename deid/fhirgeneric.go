package deid

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/safeharbor/safeharbor/deid/text"
	"github.com/safeharbor/safeharbor/fhir"
)

// Generic treatment of a resource whose type the R4 table does not know
// (Config.UnknownResources = "generic") and of allowlisted unknown elements.
// Without a type table the treatment goes by shape and key, failing closed:
// HumanName-shaped objects removed, Address-shaped reduced, ContactPoint
// values removed, Identifier values pseudonymized, references mapped,
// displays outside a Coding removed unless their target is known not to be
// a person, narrative and meta replaced, extensions on the exact allowlist
// only; strings: date-looking → year, url-looking → removed, id-like or under
// an id-like key → pseudonymized, codes kept, everything else scrubbed as
// free text; numbers under an id-like key removed, ages ≥ 90 generalised.

// genericResource de-identifies an unknown-type resource and marks it for
// its label.
func (w *fhirWork) genericResource(v *fhir.Value) {
	if w.generic == nil {
		w.generic = map[*fhir.Value]bool{}
	}
	w.generic[v] = true
	if rt := v.Get("resourceType"); rt != nil {
		w.codes = append(w.codes, rt) // checked against the input's identifiers
	}
	w.genValue(v, "", true)
}

// typeNameLike reports whether s can be a resource type name: an upper-case
// ASCII letter then up to 63 letters and digits. Anything else is refused
// even by the generic treatment (it would be kept as the type).
func typeNameLike(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// genericCodeKeys hold codes, kept unless they contain whitespace.
var genericCodeKeys = map[string]bool{
	"code": true, "system": true, "status": true, "use": true, "resourceType": true, "language": true,
	"gender": true, "intent": true, "priority": true, "comparator": true, "contentType": true, "unit": true,
	"relation": true, "method": true, "mode": true, "kind": true, "url": false,
}

// contactKeys are member names of unknown types that hold a contact point
// (fail closed: its value is removed whatever its shape).
var contactKeys = []string{"telecom", "phone", "fax", "email", "mobile", "pager", "contactpoint"}

// contactKey reports whether a member name suggests a contact point.
func contactKey(k string) bool {
	lk := strings.ToLower(k)
	for _, c := range contactKeys {
		if strings.Contains(lk, c) {
			return true
		}
	}
	return false
}

// idKey reports whether a member name suggests an identifier.
func idKey(k string) bool {
	l := strings.ToLower(k)
	for _, s := range []string{"id", "mrn", "ssn", "number", "account", "identifier", "npi", "license", "licence", "passport", "phone", "fax", "email", "zip", "postal"} {
		if strings.HasSuffix(l, s) || strings.HasPrefix(l, s) {
			return true
		}
	}
	return false
}

// genValue treats v, the value of member key, generically. It reports
// whether v is to be removed.
func (w *fhirWork) genValue(v *fhir.Value, key string, resource bool) bool {
	switch v.Kind() {
	case fhir.Object:
		return w.genObject(v, key, resource)
	case fhir.Array:
		v.DeleteIf(func(_ int, c *fhir.Value) bool { return w.genValue(c, key, false) })
		return v.Len() == 0
	case fhir.String:
		return w.genString(v, key)
	case fhir.Number:
		if idKey(key) {
			w.harvest(text.OtherID, v.Raw())
			w.rep.Add(text.OtherID, Removed, 1)
			w.removed = true
			return true
		}
		if strings.Contains(strings.ToLower(key), "age") {
			if n, err := strconv.ParseFloat(v.Raw(), 64); err == nil && n >= 90 {
				v.SetRawNumber("90")
				w.rep.Add(text.Age, Generalized, 1)
				w.abstr = true
			}
		}
	}
	return false
}

func (w *fhirWork) genObject(o *fhir.Value, key string, resource bool) bool {
	if w.err != nil {
		return true
	}
	if !resource && o.Get("resourceType") != nil {
		if fhir.IsResourceType(fhir.ResourceType(o)) {
			fhir.Walk(o, w.visit) // a known resource inside: the typed treatment
			return false
		}
		if !typeNameLike(fhir.ResourceType(o)) {
			if w.err == nil {
				w.err = fmt.Errorf("%w (inside a resource of unknown type)", ErrUnknownResource)
			}
			return true
		}
		w.genericResource(o)
		return false
	}
	has := func(k string) bool { return o.Get(k) != nil }
	switch {
	case has("family") || has("given"):
		w.addNames(o)
		w.rep.Add(text.Name, Removed, 1)
		w.removed = true
		return true
	case has("div"):
		w.rep.Add(text.Name, Removed, 1)
		w.removed = true
		return true
	}
	if has("line") || has("city") || has("postalCode") || has("district") {
		w.address(o)
	}
	handled := "\x00" // the member already treated (none yet; "" is a valid key)
	if idKey(key) && has("value") && !has("code") {
		w.identifier(o) // the value of an identifier-named object
		handled = "value"
	} else if contactKey(key) && has("value") {
		w.telecom(o) // a contact point by its member name, whatever its value's shape
	} else if sys := o.Get("system"); sys != nil && o.Get("value") != nil {
		switch sys.Str() {
		case "phone", "fax", "email", "url", "sms", "pager", "other":
			w.telecom(o)
		default:
			if !has("code") {
				w.identifier(o)
				handled = "value"
			}
		}
	}
	coding := has("code") && (has("system") || has("display"))
	if has("reference") || has("display") && !coding {
		w.reference(o, false)
	}
	var drop []string
	for k, c := range o.Members() {
		switch {
		case k == handled || k == "resourceType" || k == "display" && !coding:
			continue
		case k == "id" && resource:
			if c.Kind() == fhir.String {
				w.knownID(c.Str())
				c.SetString(w.mapID(c.Str()))
				w.pseuded = true
				continue
			}
			drop = append(drop, k)
		case k == "reference":
			continue // mapped above
		case k == "meta" || k == "text" && c.Kind() == fhir.Object:
			drop = append(drop, k) // labels are added again; narrative removed
		case k == "extension" || k == "modifierExtension":
			if c.Kind() != fhir.Array {
				drop = append(drop, k)
				continue
			}
			c.DeleteIf(func(_ int, x *fhir.Value) bool {
				if w.extensionAllowed(x) {
					return w.genValue(x, "extension", false)
				}
				if k == "modifierExtension" && w.err == nil {
					w.err = fmt.Errorf("%w (inside a resource of unknown type)", ErrModifierExtension)
				}
				w.rep.drop("extension")
				w.removed = true
				return true
			})
			if c.Len() == 0 {
				drop = append(drop, k)
			}
		default:
			if k == "system" && coding || k == "url" && c.Kind() == fhir.String && relativeName(c.Str()) {
				continue
			}
			if w.genValue(c, k, false) {
				drop = append(drop, k)
			}
		}
	}
	for _, k := range drop {
		o.Delete(k)
	}
	return o.Len() == 0
}

// genString treats a string member generically; it reports removal.
func (w *fhirWork) genString(v *fhir.Value, key string) bool {
	s := v.Str()
	lk := strings.TrimPrefix(key, "_")
	if s == "" {
		return false
	}
	if len(s) >= 7 && digits(s[:4]) && s[4] == '-' && digits(s[5:7]) {
		return w.date(v) == fhir.Remove
	}
	if strings.Contains(s, "://") || strings.HasPrefix(s, "urn:") || strings.HasPrefix(strings.ToLower(s), "www.") {
		if lk == "system" {
			if nv := stripURI(s); nv != s {
				v.SetString(nv)
			}
			return false
		}
		w.harvest(text.URL, s)
		w.rep.Add(text.URL, Removed, 1)
		w.removed = true
		return true
	}
	if contactKey(lk) {
		w.harvest(text.Phone, s)
		w.rep.Add(text.Phone, Removed, 1)
		w.removed = true
		return true
	}
	if genericCodeKeys[lk] && !strings.ContainsAny(s, " \t\r\n") && len(s) <= 64 {
		return false
	}
	if idKey(lk) || idLike(s) {
		w.harvest(text.OtherID, s)
		v.SetString(w.e.pseudo.ID(s))
		w.rep.Add(text.OtherID, Pseudonymized, 1)
		w.pseuded = true
		return false
	}
	w.scrub = append(w.scrub, v)
	return false
}
