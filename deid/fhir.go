package deid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/safeharbor/safeharbor/deid/text"
	"github.com/safeharbor/safeharbor/fhir"
)

// Provenance systems written into FHIR meta.
const (
	// SecuritySystem is the code system of the meta.security labels.
	SecuritySystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
	// ProfileTagSystem is the code system of the meta.tag naming the profile
	// ("safe-harbor" or "shift") with the engine and rules versions.
	ProfileTagSystem = "https://github.com/safeharbor/safeharbor/deid-profile"
)

// ErrNotResource is returned for JSON that is not a FHIR resource.
var ErrNotResource = errors.New("deid: JSON is not a FHIR resource (no resourceType)")

type fhirWork struct {
	e       *Engine
	rep     *Report
	known   text.Known
	counts  text.Counts
	scrub   []*fhir.Value
	shift   int
	removed bool
	pseuded bool
	abstr   bool
	buf     []byte
	auths   fhirAuthorities
}

// FHIR de-identifies a FHIR R4 resource (a Bundle included) in place, by
// element type, for every resource type: names removed; addresses reduced to
// state, country and ZIP3; telecom values removed; identifier values
// pseudonymized (SSN and licences removed); resource ids, references and
// fullUrls mapped consistently so references still resolve; dates to the
// year; Narrative, photos, attachment data and URLs, device serial/UDI/lot
// numbers and Reference.display removed; extensions not on the allowlist
// dropped; free text (strings, markdown, Annotation text,
// CodeableConcept.text) scrubbed, first of the resource's own identifier
// values. Each resource gets meta.security labels and a profile tag.
func (e *Engine) FHIR(root *fhir.Value, rep *Report) (Result, error) {
	rt := fhir.ResourceType(root)
	if rt == "" {
		return Result{}, fmt.Errorf("%w (at $)", ErrNotResource)
	}
	w := &fhirWork{e: e, rep: rep}
	res := Result{Type: rt}

	// the patient comes first: pseudonym, shift, age
	var resources []*fhir.Value
	collectResources(root, &resources)
	w.auths = newFHIRAuthorities(resources)
	for _, r := range resources {
		if fhir.ResourceType(r) == "Patient" && res.Pseudonym == "" {
			if id, auth := primaryIdentifier(r, w.auths); id != "" {
				res.Pseudonym = e.pseudo.IDIn(auth, id)
			}
		}
	}
	if res.Pseudonym == "" {
		// a resource about a patient without the Patient: link through its reference
		for _, r := range resources {
			for _, k := range []string{"subject", "patient", "beneficiary"} {
				if ref := r.Get(k); ref != nil && ref.Get("reference") != nil {
					res.Pseudonym = e.pseudo.Pseudonym("ref", refID(ref.Get("reference").Str()))
					break
				}
			}
			if res.Pseudonym != "" {
				break
			}
		}
	}
	if e.cfg.Profile == Shift {
		w.shift = shiftDays(e.shiftKey, res.Pseudonym)
	}
	now := e.cfg.Now().UTC()
	for _, r := range resources {
		switch fhir.ResourceType(r) {
		case "Patient", "RelatedPerson", "Person", "Practitioner":
			bd := r.Get("birthDate")
			if bd == nil {
				continue
			}
			if d, ok := parseFHIRDate(bd.Str()); ok {
				if d.prec >= 8 {
					w.known.Add(text.Date, bd.Str())
				}
				if ageAt(d, now) >= 90 {
					r.Delete("birthDate")
					r.Delete("_birthDate")
					w.rep.Add(text.Age, Removed, 1)
					w.abstr = true
					if fhir.ResourceType(r) == "Patient" {
						res.Over90 = true
					}
				}
			}
		}
	}

	fhir.Walk(root, w.visit)
	for _, v := range w.scrub {
		if v.Kind() != fhir.String {
			continue
		}
		s := v.Str()
		w.buf = e.scrubber.Scrub(w.buf[:0], []byte(s), &w.known, &w.counts)
		if string(w.buf) != s {
			v.SetString(string(w.buf))
		}
	}
	rep.addScrubbed(&w.counts)
	if w.counts.Total() > 0 {
		w.removed = true
	}
	prune(root)
	for _, r := range resources {
		w.label(r)
	}
	if rep != nil {
		rep.Messages++
	}
	return res, nil
}

// collectResources lists root and every bundled and contained resource.
func collectResources(r *fhir.Value, out *[]*fhir.Value) {
	if r == nil || r.Kind() != fhir.Object {
		return
	}
	*out = append(*out, r)
	fhir.BundleEntries(r, func(_ int, _ string, res *fhir.Value) bool {
		collectResources(res, out)
		return true
	})
	fhir.Contained(r, func(_ int, res *fhir.Value) bool {
		collectResources(res, out)
		return true
	})
	if p := r.Get("parameter"); p != nil && fhir.ResourceType(r) == "Parameters" {
		for _, e := range p.Elems() {
			collectResources(e.Get("resource"), out)
		}
	}
}

// primaryIdentifier returns the Patient's primary identifier by the same
// rule as HL7v2 (see hl7Work.primaryID).
func primaryIdentifier(p *fhir.Value, auths fhirAuthorities) (id, auth string) {
	ids := p.Get("identifier")
	if ids == nil {
		return "", ""
	}
	var c idChooser
	for _, id := range ids.Elems() {
		v := id.Get("value")
		if v == nil {
			continue
		}
		if _, rm := identifierRemoved(id); rm {
			continue
		}
		c.offer(v.Str(), auths.of(id), idTypeRank(identifierTypeCode(id)))
	}
	return c.best()
}

func identifierTypeCode(id *fhir.Value) string {
	t := id.Get("type")
	if t == nil {
		return ""
	}
	if cs := t.Get("coding"); cs != nil {
		for _, c := range cs.Elems() {
			if code := c.Get("code"); code != nil {
				return strings.ToUpper(code.Str())
			}
		}
	}
	return ""
}

// identifierRemoved reports whether an Identifier is a kind that is removed
// rather than pseudonymized (SSN, driver's licence, passport).
func identifierRemoved(id *fhir.Value) (text.Category, bool) {
	sys := ""
	if s := id.Get("system"); s != nil {
		sys = strings.ToLower(s.Str())
	}
	switch {
	case strings.Contains(sys, "us-ssn") || strings.HasSuffix(sys, "2.16.840.1.113883.4.1"):
		return text.SSN, true
	}
	if c, ok := idTypesRemoved[identifierTypeCode(id)]; ok {
		return c, true
	}
	if identifierTypeCode(id) == "SB" {
		return text.SSN, true
	}
	return 0, false
}

// noScrubParents are datatypes whose string children are codes or handled by
// their own rule, not free text.
var noScrubParents = map[string]bool{
	"Coding": true, "Quantity": true, "Identifier": true, "Reference": true, "Address": true,
	"ContactPoint": true, "HumanName": true, "Meta": true, "Age": true, "Duration": true,
	"Distance": true, "Count": true, "SimpleQuantity": true, "MoneyQuantity": true,
}

func (w *fhirWork) visit(el *fhir.Elem) fhir.Action {
	v := el.Value
	e := w.e
	// resource ids
	if el.Key == "id" && fhir.IsResourceType(el.ParentType) && v.Kind() == fhir.String {
		v.SetString(w.mapID(v.Str()))
		w.pseuded = true
		w.rep.Add(text.OtherID, Pseudonymized, 1)
		return fhir.Continue
	}
	if el.Key == "fullUrl" && v.Kind() == fhir.String {
		if nv, ok := w.mapReference(v.Str()); ok {
			v.SetString(nv)
		} else {
			return fhir.Remove
		}
		return fhir.Continue
	}
	switch el.Type {
	case "HumanName":
		w.addNames(v)
		w.rep.Add(text.Name, Removed, 1)
		w.removed = true
		return fhir.Remove
	case "Address":
		w.address(v)
		return fhir.Continue
	case "ContactPoint":
		if val := v.Get("value"); val != nil {
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
			w.known.Add(cat, val.Str())
			v.Delete("value")
			v.Delete("_value")
			w.rep.Add(cat, Removed, 1)
			w.removed = true
		}
		return fhir.Continue
	case "Identifier":
		val := v.Get("value")
		if val == nil {
			return fhir.Continue
		}
		id := strings.TrimSpace(val.Str())
		if id != "" {
			w.known.Add(text.MRN, id)
		}
		if c, rm := identifierRemoved(v); rm {
			w.rep.Add(c, Removed, 1)
			w.removed = true
			return fhir.Remove
		}
		if id != "" {
			val.SetString(e.pseudo.IDIn(w.auths.of(v), id))
			v.Delete("_value")
			w.rep.Add(text.MRN, Pseudonymized, 1)
			w.pseuded = true
		}
		return fhir.Continue
	case "Reference":
		if d := v.Get("display"); d != nil {
			w.known.Add(text.Name, d.Str())
			v.Delete("display")
			v.Delete("_display")
			w.rep.Add(text.Name, Removed, 1)
			w.removed = true
		}
		if r := v.Get("reference"); r != nil && r.Kind() == fhir.String {
			if nv, ok := w.mapReference(r.Str()); ok {
				r.SetString(nv)
			} else {
				v.Delete("reference")
				w.rep.Add(text.OtherID, Removed, 1)
			}
		}
		return fhir.Continue
	case "Narrative":
		w.rep.Add(text.Name, Removed, 1)
		w.removed = true
		return fhir.Remove
	case "Attachment":
		for _, k := range []string{"url", "data", "hash", "_url", "_data"} {
			if v.Delete(k) {
				w.rep.Add(text.Photo, Removed, 1)
				w.removed = true
			}
		}
		return fhir.Continue
	case "Annotation":
		if a := v.Get("authorString"); a != nil {
			w.known.Add(text.Name, a.Str())
			v.Delete("authorString")
			w.rep.Add(text.Name, Removed, 1)
		}
		return fhir.Continue
	case "Extension":
		if u := v.Get("url"); u != nil && strings.Contains(u.Str(), "://") && !e.allowExt[u.Str()] {
			w.rep.drop("extension")
			w.removed = true
			return fhir.Remove
		}
		return fhir.Continue
	case "Age":
		if val := v.Get("value"); val != nil && val.Kind() == fhir.Number {
			if n, err := strconv.ParseFloat(val.Raw(), 64); err == nil && n >= 90 {
				val.SetRawNumber("90")
				v.Set("comparator", fhir.NewString(">="))
				w.rep.Add(text.Age, Generalized, 1)
				w.abstr = true
			}
		}
		return fhir.Continue
	case "date", "dateTime", "instant":
		if v.Kind() == fhir.String {
			w.date(v)
		}
		return fhir.Continue
	case "base64Binary":
		w.rep.Add(text.Photo, Removed, 1)
		w.removed = true
		return fhir.Remove
	case "xhtml":
		w.removed = true
		return fhir.Remove
	}
	// resource-specific identifiers of things
	switch {
	case el.Key == "photo" && (el.ParentType == "Patient" || el.ParentType == "Practitioner" || el.ParentType == "Person" || el.ParentType == "RelatedPerson"):
		w.rep.Add(text.Photo, Removed, 1)
		w.removed = true
		return fhir.Remove
	case el.Key == "serialNumber" || el.Key == "lotNumber" ||
		el.ParentType == "Device" && (el.Key == "udiCarrier" || el.Key == "distinctIdentifier"):
		if v.Kind() == fhir.String {
			w.known.Add(text.Device, v.Str())
		}
		w.rep.Add(text.Device, Removed, 1)
		w.removed = true
		return fhir.Remove
	case el.ParentType == "Coverage" && (el.Key == "subscriberId" || el.Key == "dependent"):
		if v.Kind() == fhir.String {
			w.known.Add(text.HealthPlan, v.Str())
		}
		w.rep.Add(text.HealthPlan, Removed, 1)
		w.removed = true
		return fhir.Remove
	}
	// free text: strings and markdown that no rule above handled, and
	// strings of unknown elements
	if v.Kind() == fhir.String && !noScrubParents[el.ParentType] && el.PrimitiveType == "" {
		switch el.Type {
		case "string", "markdown", "":
			if el.Key != "resourceType" && el.Key != "url" {
				w.scrub = append(w.scrub, v)
			}
		}
	}
	return fhir.Continue
}

func (w *fhirWork) addNames(v *fhir.Value) {
	add := func(x *fhir.Value) {
		if x == nil {
			return
		}
		if x.Kind() == fhir.String {
			if s := strings.TrimSpace(x.Str()); len(s) >= 2 {
				w.known.Add(text.Name, s)
			}
			return
		}
		for _, e := range x.Elems() {
			if e.Kind() == fhir.String {
				if s := strings.TrimSpace(e.Str()); len(s) >= 2 {
					w.known.Add(text.Name, s)
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
			w.known.Add(text.Address, x.Str())
		} else {
			for _, e := range x.Elems() {
				if e.Kind() == fhir.String {
					w.known.Add(text.Address, e.Str())
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
		w.known.Add(text.ZIP, pc.Str())
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

func (w *fhirWork) date(v *fhir.Value) {
	s := v.Str()
	d, ok := parseFHIRDate(s)
	if !ok {
		w.rep.Add(text.Date, Removed, 1)
		v.SetString("")
		return
	}
	if d.prec >= 8 {
		w.known.Add(text.Date, s[:10])
	}
	if w.e.cfg.Profile == Shift {
		v.SetString(shiftFHIR(d, w.shift))
		w.rep.Add(text.Date, Shifted, 1)
		return
	}
	if len(s) > 4 {
		v.SetString(strconv.Itoa(d.year))
		w.rep.Add(text.Date, Generalized, 1)
		w.abstr = true
	}
}

// mapID maps a resource id to a keyed pseudonymous id in UUID form, valid as a
// FHIR id and inside urn:uuid references.
func (w *fhirWork) mapID(id string) string {
	m := hmac.New(sha256.New, w.e.shiftKey[:0:0])
	_ = m
	p := w.e.pseudo.Pseudonym("res", id)
	sum := sha256.Sum256([]byte(p)) // expand the keyed pseudonym to 128 bits of UUID
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// refID returns the id part of a reference ("Patient/123" → "123").
func refID(ref string) string {
	ref = strings.TrimPrefix(ref, "urn:uuid:")
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return strings.TrimPrefix(ref, "#")
}

// mapReference rewrites a reference or fullUrl so it points to the mapped id:
// "Type/id", absolute URLs ending in "Type/id", "urn:uuid:id" and "#id". Other
// forms (queries, urn:oid of a person) are not kept.
func (w *fhirWork) mapReference(ref string) (string, bool) {
	if ref == "" {
		return ref, true
	}
	hist := ""
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref, hist = ref[:i], ref[i:]
	}
	switch {
	case strings.HasPrefix(ref, "urn:uuid:"):
		return "urn:uuid:" + w.mapID(ref[len("urn:uuid:"):]) + hist, true
	case strings.HasPrefix(ref, "#"):
		return "#" + w.mapID(ref[1:]) + hist, true
	case strings.ContainsAny(ref, "?="):
		return "", false
	}
	i := strings.LastIndexByte(ref, '/')
	if i <= 0 {
		return "", false
	}
	j := strings.LastIndexByte(ref[:i], '/')
	typ := ref[j+1 : i]
	if !fhir.IsResourceType(typ) {
		return "", false
	}
	return ref[:i+1] + w.mapID(ref[i+1:]) + hist, true
}

// label adds meta.security provenance codes and the profile tag to a resource.
func (w *fhirWork) label(r *fhir.Value) {
	meta := r.Get("meta")
	if meta == nil || meta.Kind() != fhir.Object {
		meta = fhir.NewObject()
		r.Set("meta", meta)
	}
	sec := meta.Get("security")
	if sec == nil || sec.Kind() != fhir.Array {
		sec = fhir.NewArray()
		meta.Set("security", sec)
	}
	add := func(code, display string) {
		c := fhir.NewObject()
		c.Set("system", fhir.NewString(SecuritySystem))
		c.Set("code", fhir.NewString(code))
		c.Set("display", fhir.NewString(display))
		sec.Append(c)
	}
	if w.removed {
		add("REDACTED", "redacted")
	}
	if w.pseuded {
		add("PSEUDED", "pseudonymized")
	}
	if w.abstr {
		add("ABSTRED", "abstracted")
	}
	tags := meta.Get("tag")
	if tags == nil || tags.Kind() != fhir.Array {
		tags = fhir.NewArray()
		meta.Set("tag", tags)
	}
	t := fhir.NewObject()
	t.Set("system", fhir.NewString(ProfileTagSystem))
	t.Set("code", fhir.NewString(w.e.cfg.Profile.String()))
	disp := Version
	if w.e.cfg.RulesVersion != "" {
		disp += "; rules " + w.e.cfg.RulesVersion
	}
	t.Set("display", fhir.NewString(disp))
	tags.Append(t)
}

// prune deletes objects and arrays left empty by removals (FHIR forbids
// empty elements). Items of "_x" primitive-extension arrays become null
// instead, keeping them aligned with their primitive array.
func prune(v *fhir.Value) bool { return pruneKey(v, false) }

func pruneKey(v *fhir.Value, aligned bool) bool {
	switch v.Kind() {
	case fhir.Object:
		var drop []string
		for k, c := range v.Members() {
			if pruneKey(c, strings.HasPrefix(k, "_")) {
				drop = append(drop, k)
			}
		}
		for _, k := range drop {
			v.Delete(k)
		}
		return v.Len() == 0
	case fhir.Array:
		empty := true
		var emptied []int
		for i, c := range v.Elems() {
			if pruneKey(c, false) {
				if c.Kind() != fhir.Null {
					emptied = append(emptied, i)
				}
			} else {
				empty = false
			}
		}
		if empty {
			return true
		}
		if aligned {
			for _, i := range emptied {
				v.SetIndex(i, fhir.NewNull())
			}
			return false
		}
		v.DeleteIf(func(_ int, c *fhir.Value) bool {
			return (c.Kind() == fhir.Object || c.Kind() == fhir.Array) && c.Len() == 0
		})
		return v.Len() == 0
	case fhir.Null:
		return true
	}
	return false
}
