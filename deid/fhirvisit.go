package deid

import (
	"fmt"
	"strings"

	"github.com/safeharbor/safeharbor/deid/text"
	"github.com/safeharbor/safeharbor/fhir"
)

// visit applies the FHIR profile to one element of the walk.
func (w *fhirWork) visit(el *fhir.Elem) fhir.Action {
	if w.err != nil {
		return fhir.SkipChildren
	}
	v := el.Value
	if el.Type != "" && el.Type == el.Resource && v.Kind() == fhir.Object {
		// entering a known resource: its patient's date shift
		if w.shifts != nil {
			if s, ok := w.shifts[v]; ok {
				w.shift = s
			}
		}
		return fhir.Continue
	}
	if el.Type == "" || el.Type == "Element" && el.PrimitiveType == "" && len(el.Key) > 1 && el.Key[0] == '_' {
		return w.unknownElem(el)
	}
	r := fhirRules.lookup(el)
	if r == nil {
		return fhir.Continue
	}
	return w.apply(r, el)
}

// fail records the first refusal, with the element's JSON path.
func (w *fhirWork) fail(err error, el *fhir.Elem) fhir.Action {
	if w.err == nil {
		p := el.Path()
		if p == "" {
			p = "$"
		}
		w.err = fmt.Errorf("%w (at %s)", err, p)
	}
	return fhir.SkipChildren
}

func (w *fhirWork) drop(c text.Category, kind string) fhir.Action {
	w.rep.Add(c, Removed, 1)
	if kind != "" {
		w.rep.drop(kind)
	}
	w.removed = true
	return fhir.Remove
}

// apply carries out treatment r.Treat on el.
func (w *fhirWork) apply(r *fhirRule, el *fhir.Elem) fhir.Action {
	v := el.Value
	e := w.e
	switch r.Treat {
	case tKeep, tParent:
		return fhir.Continue
	case tCode:
		if v.Kind() == fhir.String && el.Key != "resourceType" {
			w.codes = append(w.codes, v)
		}
		return fhir.Continue
	case tScrub:
		if v.Kind() == fhir.String {
			w.scrub = append(w.scrub, v)
		}
		return fhir.Continue
	case tRemove:
		return w.drop(r.Cat, "")
	case tHarvestRm:
		if v.Kind() == fhir.String {
			w.harvest(r.Cat, v.Str())
		}
		return w.drop(r.Cat, "")
	case tPseudo:
		if v.Kind() == fhir.String {
			w.harvest(r.Cat, v.Str())
			v.SetString(e.pseudo.Pseudonym("uid", v.Str()))
			w.rep.Add(r.Cat, Pseudonymized, 1)
			w.pseuded = true
		}
		return fhir.Continue
	case tResourceID:
		if v.Kind() != fhir.String {
			return w.drop(text.OtherID, "")
		}
		w.knownID(v.Str())
		v.SetString(w.mapID(v.Str()))
		w.pseuded = true
		w.rep.Add(text.OtherID, Pseudonymized, 1)
		return fhir.Continue
	case tName:
		w.addNames(v)
		return w.drop(text.Name, "")
	case tAddress:
		w.address(v)
	case tTelecom:
		w.telecom(v)
	case tIdentifier:
		return w.identifier(v)
	case tReference:
		w.reference(v, false)
	case tPersonRef:
		w.reference(v, true)
	case tDate:
		if v.Kind() == fhir.String {
			return w.date(v)
		}
	case tAge:
		w.age(v)
	case tAttachment:
		for _, k := range []string{"url", "data", "hash", "_url", "_data"} {
			if v.Delete(k) {
				w.rep.Add(text.Photo, Removed, 1)
				w.removed = true
			}
		}
	case tAnnotation:
		if a := v.Get("authorString"); a != nil {
			w.harvest(text.Name, a.Str())
			v.Delete("authorString")
			v.Delete("_authorString")
			w.rep.Add(text.Name, Removed, 1)
			w.removed = true
		}
	case tExtension:
		if !w.extensionAllowed(v) {
			return w.drop(text.OtherID, "extension")
		}
	case tModifierExt:
		if !w.extensionAllowed(v) {
			return w.fail(ErrModifierExtension, el)
		}
	case tURL:
		if v.Kind() != fhir.String {
			return w.drop(text.URL, "")
		}
		if nv, ok := w.mapURL(v.Str(), el.Key == "fullUrl"); ok {
			if nv != v.Str() {
				v.SetString(nv)
			}
			return fhir.Continue
		}
		return w.drop(text.URL, "url")
	case tURI:
		if v.Kind() == fhir.String && contactURI(v.Str()) {
			w.harvest(text.Email, v.Str())
			return w.drop(text.Email, "")
		}
		if v.Kind() == fhir.String {
			if nv := stripURI(v.Str()); nv != v.Str() {
				v.SetString(nv)
				w.rep.Add(text.URL, Removed, 1)
				w.removed = true
			}
		}
	case tUnknownRes:
		if !e.fhirPol.generic || v.Kind() != fhir.Object || !typeNameLike(fhir.ResourceType(v)) {
			return w.fail(ErrUnknownResource, el)
		}
		w.genericResource(v)
		return fhir.SkipChildren
	}
	return fhir.Continue
}

// unknownElem drops an element the R4 type table does not know, unless
// Config.AllowElements lists it: then its content is treated like an
// unknown resource's.
func (w *fhirWork) unknownElem(el *fhir.Elem) fhir.Action {
	if m := w.e.fhirPol.allowElem[el.ParentType]; m != nil && m[strings.TrimPrefix(el.Key, "_")] {
		if w.genValue(el.Value, el.Key, false) {
			return fhir.Remove
		}
		return fhir.SkipChildren
	}
	if el.Value.Kind() == fhir.String {
		w.harvest(text.OtherID, el.Value.Str())
	}
	return w.drop(text.OtherID, "element")
}

// harvested is an identifier value found in the input.
type harvested struct {
	cat text.Category
	val string
}

// harvest remembers an identifier value for the free-text scrubber and the
// code check.
func (w *fhirWork) harvest(cat text.Category, val string) {
	w.known.Add(cat, val)
	if cat == text.Date { // date-shaped codes are caught by shape
		return
	}
	val = strings.TrimSpace(val)
	w.found = append(w.found, harvested{cat, val})
	if cat == text.Name { // and each word of a name
		for start, i := 0, 0; i <= len(val); i++ {
			if i == len(val) || val[i] == ' ' || val[i] == ',' || val[i] == '.' || val[i] == '^' || val[i] == '-' || val[i] == '\'' {
				if i-start >= 3 && i-start < len(val) {
					w.found = append(w.found, harvested{cat, val[start:i]})
				}
				start = i + 1
			}
		}
	}
}

// checkCodes fails closed on kept codes: a code equal to a harvested
// identifier (or to a word of a harvested name) becomes that category's
// tag; a date-shaped code is treated as a date.
func (w *fhirWork) checkCodes() {
	for _, v := range w.codes {
		s := v.Str()
		if len(s) >= 7 && digits(s[:4]) && s[4] == '-' && digits(s[5:7]) {
			if w.date(v) == fhir.Remove {
				v.SetString(text.Date.Tag())
			}
			continue
		}
		if len(s) < 3 {
			continue
		}
		s = strings.TrimSpace(s)
		for _, h := range w.found {
			if len(h.val) == len(s) && strings.EqualFold(h.val, s) {
				v.SetString(h.cat.Tag())
				w.counts[h.cat]++
				break
			}
		}
	}
}

// knownID remembers an original resource id for free text when it looks
// like an identifier (has a digit; digits alone need 6 of them, shorter
// numbers are too often clinical values).
func (w *fhirWork) knownID(id string) {
	if idLike(id) {
		w.harvest(text.OtherID, id)
	}
}

// extensionAllowed reports whether an Extension (or modifierExtension) is
// kept: its url is on the allowlist exactly, or it is a sub-extension with
// a relative url ("ombCategory") of an allowlisted extension.
func (w *fhirWork) extensionAllowed(v *fhir.Value) bool {
	u := v.Get("url")
	if u == nil || u.Kind() != fhir.String {
		return false
	}
	if !w.e.allowExt[u.Str()] && !w.subExt[v] {
		return false
	}
	if subs := v.Get("extension"); subs != nil {
		for _, s := range subs.Elems() {
			if su := s.Get("url"); su != nil && relativeName(su.Str()) {
				if w.subExt == nil {
					w.subExt = map[*fhir.Value]bool{}
				}
				w.subExt[s] = true
			}
		}
	}
	return true
}

// contactURI reports whether u is a mailto:, tel:, fax: or sms: uri (an
// address of a person, e.g. a Direct address in Endpoint.address).
func contactURI(u string) bool {
	i := strings.IndexByte(u, ':')
	if i < 0 || i > 6 {
		return false
	}
	switch strings.ToLower(u[:i]) {
	case "mailto", "tel", "fax", "sms":
		return true
	}
	return false
}

// relativeName reports whether u is a plain sub-extension name: letters,
// digits, '-' and '_' only.
func relativeName(u string) bool {
	if u == "" {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// personTargets are the resource types whose Reference.display is a
// person's name.
var personTargets = map[string]bool{
	"Patient": true, "RelatedPerson": true, "Person": true, "Practitioner": true, "PractitionerRole": true,
}

// reference maps Reference.reference and treats Reference.display by the
// target's type: a person (or a target that cannot be told) → removed,
// anything else → scrubbed as free text.
func (w *fhirWork) reference(v *fhir.Value, person bool) {
	r := v.Get("reference")
	target := ""
	if r != nil && r.Kind() == fhir.String {
		target = w.refTarget(r.Str())
	}
	if target == "" {
		if t := v.Get("type"); t != nil && t.Kind() == fhir.String {
			target = t.Str()
			if i := strings.LastIndexByte(target, '/'); i >= 0 {
				target = target[i+1:]
			}
			if !fhir.IsResourceType(target) {
				target = ""
			}
		}
	}
	if d := v.Get("display"); d != nil {
		switch {
		case person || personTargets[target]:
			if d.Kind() == fhir.String {
				w.harvest(text.Name, d.Str())
			}
			fallthrough
		case target == "":
			v.Delete("display")
			v.Delete("_display")
			w.rep.Add(text.Name, Removed, 1)
			w.removed = true
		default:
			if d.Kind() == fhir.String {
				w.scrub = append(w.scrub, d)
			}
		}
	}
	if r != nil {
		if r.Kind() == fhir.String {
			if nv, ok := w.mapReference(r.Str()); ok {
				r.SetString(nv)
				return
			}
		}
		v.Delete("reference")
		v.Delete("_reference")
		w.rep.Add(text.OtherID, Removed, 1)
		w.removed = true
	}
}

func (w *fhirWork) identifier(v *fhir.Value) fhir.Action {
	val := v.Get("value")
	if val == nil {
		return fhir.Continue
	}
	id := strings.TrimSpace(val.Str())
	if id != "" {
		w.harvest(text.MRN, id)
	}
	if c, rm := identifierRemoved(v); rm {
		return w.drop(c, "")
	}
	if val.Kind() != fhir.String {
		v.Delete("value")
		return fhir.Continue
	}
	if id != "" {
		val.SetString(w.e.pseudo.IDIn(w.auths.of(v), id))
		v.Delete("_value")
		w.rep.Add(text.MRN, Pseudonymized, 1)
		w.pseuded = true
	}
	return fhir.Continue
}

func (w *fhirWork) telecom(v *fhir.Value) {
	val := v.Get("value")
	if val == nil {
		return
	}
	cat := text.Phone
	switch sys := v.Get("system"); {
	case sys == nil:
	case sys.Str() == "email":
		cat = text.Email
	case sys.Str() == "fax":
		cat = text.Fax
	case sys.Str() == "url":
		cat = text.URL
	}
	w.harvest(cat, val.Str())
	v.Delete("value")
	v.Delete("_value")
	w.rep.Add(cat, Removed, 1)
	w.removed = true
}

func (w *fhirWork) addNames(v *fhir.Value) {
	add := func(x *fhir.Value) {
		if x == nil {
			return
		}
		if x.Kind() == fhir.String {
			if s := strings.TrimSpace(x.Str()); len(s) >= 2 {
				w.harvest(text.Name, s)
			}
			return
		}
		for _, e := range x.Elems() {
			if e.Kind() == fhir.String {
				if s := strings.TrimSpace(e.Str()); len(s) >= 2 {
					w.harvest(text.Name, s)
				}
			}
		}
	}
	add(v.Get("family"))
	add(v.Get("given"))
	add(v.Get("text"))
}

// address keeps state, country, use, type and period, and the ZIP3 of postalCode.
func (w *fhirWork) address(v *fhir.Value) {
	for _, k := range []string{"line", "city", "district", "text"} {
		x := v.Get(k)
		if x == nil {
			continue
		}
		if x.Kind() == fhir.String {
			w.harvest(text.Address, x.Str())
		} else {
			for _, e := range x.Elems() {
				if e.Kind() == fhir.String {
					w.harvest(text.Address, e.Str())
				}
			}
		}
		v.Delete(k)
		v.Delete("_" + k)
		w.rep.Add(text.Address, Removed, 1)
		w.removed = true
	}
	for _, k := range []string{"state", "country"} {
		if x := v.Get(k); x != nil && strings.ContainsAny(x.Str(), "0123456789") {
			v.Delete(k) // digits: a misplaced ZIP or street number
			w.removed = true
		}
	}
	if pc := v.Get("postalCode"); pc != nil {
		w.harvest(text.ZIP, pc.Str())
		v.Delete("_postalCode")
		if z, ok := w.e.zip3(pc.Str()); ok {
			pc.SetString(z)
			w.rep.Add(text.ZIP, Generalized, 1)
			w.abstr = true
		} else {
			v.Delete("postalCode")
			w.rep.Add(text.ZIP, Removed, 1)
			w.removed = true
		}
	}
}
