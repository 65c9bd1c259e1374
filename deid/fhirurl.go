package deid

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/safeharbor/safeharbor/fhir"
)

// neutralBase replaces the base of an absolute FHIR URL whose base may
// identify someone (digits, an IP address, userinfo, a query).
const neutralBase = "https://deidentified.invalid/fhir/"

// mapID maps a resource id to a keyed pseudonymous id in UUID form, valid as a
// FHIR id and inside urn:uuid references.
func (w *fhirWork) mapID(id string) string {
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

// splitRef splits a literal reference "[base]Type/id[/_history/v]" into its
// parts; ok is false for other forms.
func splitRef(ref string) (base, typ, id, hist string, ok bool) {
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref, hist = ref[:i], ref[i:]
	}
	i := strings.LastIndexByte(ref, '/')
	if i <= 0 || i == len(ref)-1 {
		return "", "", "", "", false
	}
	j := strings.LastIndexByte(ref[:i], '/')
	typ = ref[j+1 : i]
	if !fhir.IsResourceType(typ) {
		return "", "", "", "", false
	}
	return ref[:j+1], typ, ref[i+1:], hist, true
}

// history keeps "/_history/<version>" when the version is a short number.
func history(h string) string {
	if h == "" {
		return ""
	}
	v := strings.TrimPrefix(h, "/_history/")
	if len(v) <= 9 && digits(v) {
		return h
	}
	return ""
}

// mapReference rewrites a reference or fullUrl so it points to the mapped id:
// "Type/id", absolute URLs ending in "Type/id" (their base cleaned),
// "urn:uuid:id" and "#id". Other forms (queries, urn:oid of a person) are
// not kept.
func (w *fhirWork) mapReference(ref string) (string, bool) {
	switch {
	case ref == "" || ref == "#":
		return ref, true
	case strings.HasPrefix(ref, "urn:uuid:"):
		return "urn:uuid:" + w.mapID(ref[len("urn:uuid:"):]), true
	case strings.HasPrefix(ref, "#"):
		return "#" + w.mapID(ref[1:]), true
	case strings.ContainsAny(ref, "?=#"):
		return "", false
	}
	base, typ, id, hist, ok := splitRef(ref)
	if !ok {
		return "", false
	}
	return cleanBase(base) + typ + "/" + w.mapID(id) + history(hist), true
}

// refTarget returns the resource type a reference points to ("" when it
// cannot be told): from the reference itself, or the Bundle entry or
// contained resource it names.
func (w *fhirWork) refTarget(ref string) string {
	var r *fhir.Value
	switch {
	case strings.HasPrefix(ref, "#"):
		r = w.byLocal[ref[1:]]
	case strings.HasPrefix(ref, "urn:"):
		r = w.byURL[ref]
	default:
		if i := strings.IndexByte(ref, '?'); i > 0 && fhir.IsResourceType(ref[strings.LastIndexByte(ref[:i], '/')+1:i]) {
			return ref[strings.LastIndexByte(ref[:i], '/')+1 : i]
		}
		if _, typ, _, _, ok := splitRef(ref); ok {
			return typ
		}
		r = w.byURL[ref]
	}
	if t := fhir.ResourceType(r); fhir.IsResourceType(t) {
		return t
	}
	return ""
}

// mapURL rewrites a Bundle url (fullUrl, request.url, response.location,
// link.url): query strings and fragments removed, resource ids mapped, an
// unclean base replaced. ok is false when the url cannot be kept safely.
// A fullUrl must stay a whole reference target.
func (w *fhirWork) mapURL(u string, full bool) (string, bool) {
	if full || strings.HasPrefix(u, "urn:") {
		if strings.HasPrefix(u, "urn:") && !strings.HasPrefix(u, "urn:uuid:") {
			return "", false
		}
		return w.mapReference(u)
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	base, path := "", u
	if i := strings.Index(u, "://"); i >= 0 {
		// absolute: the base ends before the first resource type segment
		rest := u[i+3:]
		segs := strings.Split(rest, "/")
		k := 1
		for k < len(segs) && !fhir.IsResourceType(segs[k]) && segs[k] != "metadata" && !strings.HasPrefix(segs[k], "$") {
			k++
		}
		if k == len(segs) {
			return cleanBase(strings.TrimSuffix(u, "/") + "/"), true
		}
		base = cleanBase(u[:i+3] + strings.Join(segs[:k], "/") + "/")
		path = strings.Join(segs[k:], "/")
	}
	segs := strings.Split(path, "/")
	out := make([]string, 0, len(segs))
	for i := 0; i < len(segs); i++ {
		s := segs[i]
		switch {
		case fhir.IsResourceType(s):
			out = append(out, s)
			if i+1 < len(segs) && segs[i+1] != "" && segs[i+1][0] != '_' && segs[i+1][0] != '$' {
				out = append(out, w.mapID(segs[i+1]))
				i++
			}
		case s == "_history":
			if i+1 < len(segs) && len(segs[i+1]) <= 9 && digits(segs[i+1]) {
				out = append(out, s, segs[i+1])
				i++
			} else if i+1 < len(segs) {
				return "", false
			} else {
				out = append(out, s)
			}
		case s == "_search" || s == "metadata" || (strings.HasPrefix(s, "$") && relativeName(s[1:])):
			out = append(out, s)
		case s == "" && i == len(segs)-1:
			out = append(out, s)
		default:
			return "", false
		}
	}
	if len(out) == 0 {
		return "", false
	}
	return base + strings.Join(out, "/"), true
}

// cleanBase keeps the base of an absolute URL ("https://host/fhir/") when its
// host is a name and its path holds only letters, '-', '_' and '.', with no
// userinfo; otherwise (digits, an IP address, an identifier in the path) it
// is replaced by neutralBase, the same way each time so references resolve.
func cleanBase(base string) string {
	if base == "" {
		return ""
	}
	i := strings.Index(base, "://")
	if i <= 0 {
		return neutralBase
	}
	for _, c := range base[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return neutralBase
		}
	}
	rest := base[i+3:]
	host, path, _ := strings.Cut(rest, "/")
	if h, port, ok := strings.Cut(host, ":"); ok {
		if !digits(port) {
			return neutralBase
		}
		host = h
	}
	if host == "" {
		return neutralBase
	}
	for j := 0; j < len(host); j++ {
		c := host[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.') {
			return neutralBase
		}
	}
	for j := 0; j < len(path); j++ {
		c := path[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.' || c == '/') {
			return neutralBase
		}
	}
	return base
}

// stripURI removes the query string and any userinfo of a kept uri.
func stripURI(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		auth, _, _ := strings.Cut(rest, "/")
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			u = u[:i+3] + rest[at+1:]
		}
	}
	return u
}

// linkShifts gives each resource the date-shift offset of the Patient it is
// about (shift profile): a Patient its own; a resource with a subject,
// patient or beneficiary reference the offset of that Patient; a contained
// resource its container's. The offset derives from the Patient's resource
// id mapped through the keyed id map (mapID), which a standalone resource
// knows from its reference, so files of one patient de-identified apart
// shift alike. Without a Patient id the offset derives from the patient
// pseudonym, as in HL7v2.
func (w *fhirWork) linkShifts(pseudonym string) {
	w.shifts = make(map[*fhir.Value]int, len(w.resources))
	fallback := shiftDays(w.e.shiftKey, pseudonym)
	keys := make([]string, len(w.resources))
	for i, r := range w.resources {
		k := w.patientKey(r)
		if c := w.container[i]; c >= 0 && keys[c] != "" {
			k = keys[c]
		}
		keys[i] = k
		if k == "" {
			w.shifts[r] = fallback
		} else {
			w.shifts[r] = shiftDays(w.e.shiftKey, "fhir-patient\x00"+w.mapID(k))
		}
	}
	w.shift = fallback
}

// patientKey returns the resource id of the Patient r is about, or "".
func (w *fhirWork) patientKey(r *fhir.Value) string {
	if fhir.ResourceType(r) == "Patient" {
		if id := r.Get("id"); id != nil && id.Kind() == fhir.String {
			return id.Str()
		}
		return ""
	}
	for _, k := range []string{"subject", "patient", "beneficiary"} {
		ref := r.Get(k)
		if ref.Kind() == fhir.Array {
			ref = ref.Index(0)
		}
		rv := ref.Get("reference")
		if rv.Kind() != fhir.String {
			continue
		}
		s := rv.Str()
		var target *fhir.Value
		switch {
		case strings.HasPrefix(s, "#"):
			target = w.byLocal[s[1:]]
		default:
			target = w.byURL[s]
		}
		if target != nil {
			if fhir.ResourceType(target) != "Patient" {
				continue
			}
			if id := target.Get("id"); id.Kind() == fhir.String && id.Str() != "" {
				return id.Str()
			}
			return refID(s)
		}
		if strings.HasPrefix(s, "urn:uuid:") {
			return refID(s)
		}
		if _, typ, id, _, ok := splitRef(s); ok && typ == "Patient" {
			return id
		}
	}
	return ""
}
