package deid

import (
	"errors"
	"fmt"
	"strings"
	"sync"

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
	codes   []*fhir.Value // kept codes, checked against the harvest after the walk
	found   []harvested   // identifier values found (known holds them for the scrubber)
	shift   int
	removed bool
	local   Report // counts of this call, merged into the caller's on success
	pseuded bool
	abstr   bool
	buf     []byte
	auths   fhirAuthorities
	err     error

	resources []*fhir.Value
	container []int                  // index in resources of a contained resource's container, else -1
	byURL     map[string]*fhir.Value // Bundle fullUrl → resource
	byLocal   map[string]*fhir.Value // contained "#id" → resource
	shifts    map[*fhir.Value]int    // resource → its patient's offset (shift profile)
	subExt    map[*fhir.Value]bool   // sub-extensions of allowlisted extensions
	generic   map[*fhir.Value]bool   // unknown-type resources treated generically
}

// Errors refusing a FHIR input (fail closed). Their messages hold the JSON
// path of the refused element, never a value.
var (
	// ErrUnknownResource: a resource whose type is not FHIR R4 (STU3-only,
	// custom) and Config.UnknownResources is not "generic".
	ErrUnknownResource = errors.New("deid: unknown FHIR resource type (not FHIR R4)")
	// ErrModifierExtension: a modifierExtension whose url is not on the
	// extension allowlist (it may change the meaning of what holds it).
	ErrModifierExtension = errors.New("deid: modifierExtension not on the allowlist")
)

// FHIR de-identifies a FHIR R4 resource (a Bundle included) in place, by
// element type, for every resource type, following the treatment table
// fhirProfile (rendered in docs/deid-fhir.md): names removed; addresses
// reduced to state, country and ZIP3; telecom values removed; identifier
// values pseudonymized (SSN and licences removed); resource ids, references,
// fullUrls and Bundle request/response/link urls mapped consistently so
// references still resolve (query strings removed); dates to the year (or
// shifted by the offset of the Patient each resource refers to); Age and
// Duration of 90 years or more generalised; Narrative, photos, attachment
// data and URLs, device serial/UDI/lot numbers removed; Reference.display
// removed for person targets and scrubbed for others; extensions not on the
// exact-url allowlist and elements unknown to the R4 type table dropped; every
// kept string scrubbed as free text, first of the resource's own identifier
// values. Each resource gets meta.security labels and a profile tag.
//
// It fails closed: a resource of an unknown type is refused with
// ErrUnknownResource (unless Config.UnknownResources is "generic"), a
// modifierExtension not on the allowlist with ErrModifierExtension; the
// error names the JSON path. On error the tree is left partly modified and
// must be discarded.
func (e *Engine) FHIR(root *fhir.Value, rep *Report) (Result, error) {
	rt := fhir.ResourceType(root)
	if rt == "" {
		return Result{}, fmt.Errorf("%w (at $)", ErrNotResource)
	}
	w := getFHIRWork(e)
	defer putFHIRWork(w)
	local := &w.local
	res := Result{Type: rt}
	if !fhir.IsResourceType(rt) {
		res.Type = "Resource" // a type name from outside R4 is not a safe label
	}

	// the patient comes first: pseudonym, shift, age
	w.collect(root, -1)
	resources := w.resources
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
		w.linkShifts(res.Pseudonym)
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
					w.harvest(text.Date, bd.Str())
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
	if w.err != nil {
		return Result{}, w.err
	}
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
	w.checkCodes()
	w.rep.addScrubbed(&w.counts)
	if w.counts.Total() > 0 {
		w.removed = true
	}
	prune(root)
	for _, r := range resources {
		w.label(r)
	}
	local.Messages++
	if rep != nil {
		rep.Merge(local)
	}
	return res, nil
}

// fhirWorkPool keeps fhirWork values (their slices and the Known set's
// storage) between calls.
var fhirWorkPool = sync.Pool{New: func() any { return new(fhirWork) }}

func getFHIRWork(e *Engine) *fhirWork {
	w := fhirWorkPool.Get().(*fhirWork)
	w.e = e
	w.rep = &w.local
	return w
}

// putFHIRWork resets w, dropping every pointer into the caller's tree, and
// returns it to the pool.
func putFHIRWork(w *fhirWork) {
	w.known.Reset()
	clear(w.scrub)
	clear(w.codes)
	clear(w.found)
	clear(w.resources)
	*w = fhirWork{
		known: w.known, scrub: w.scrub[:0], codes: w.codes[:0], found: w.found[:0],
		resources: w.resources[:0], container: w.container[:0], buf: w.buf[:0],
	}
	fhirWorkPool.Put(w)
}

// collect lists root and every bundled and contained resource into
// w.resources (with the index of a contained resource's container), and
// indexes Bundle fullUrls and contained ids.
func (w *fhirWork) collect(r *fhir.Value, container int) {
	if r == nil || r.Kind() != fhir.Object {
		return
	}
	self := len(w.resources)
	w.resources = append(w.resources, r)
	w.container = append(w.container, container)
	fhir.BundleEntries(r, func(_ int, fullURL string, res *fhir.Value) bool {
		if fullURL != "" && res != nil {
			if w.byURL == nil {
				w.byURL = map[string]*fhir.Value{}
			}
			w.byURL[fullURL] = res
		}
		w.collect(res, -1)
		return true
	})
	fhir.Contained(r, func(_ int, res *fhir.Value) bool {
		if id := res.Get("id"); id != nil && id.Kind() == fhir.String {
			if w.byLocal == nil {
				w.byLocal = map[string]*fhir.Value{}
			}
			w.byLocal[id.Str()] = res
		}
		w.collect(res, self)
		return true
	})
	if p := r.Get("parameter"); p != nil && fhir.ResourceType(r) == "Parameters" {
		for _, e := range p.Elems() {
			w.collect(e.Get("resource"), -1)
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
	if w.generic[r] {
		g := fhir.NewObject()
		g.Set("system", fhir.NewString(ProfileTagSystem))
		g.Set("code", fhir.NewString(UnknownGenericTag))
		g.Set("display", fhir.NewString("resource type unknown to FHIR R4: de-identified generically"))
		tags.Append(g)
	}
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
