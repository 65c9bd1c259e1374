package deid

// This file: the assigning authority of FHIR Identifiers, under which their
// values are pseudonymized (see NormalizeAuthority).

import (
	"strings"

	"github.com/safeharbor/safeharbor/fhir"
)

// fhirAuthorities resolves the assigning authority of the Identifiers of
// one FHIR document: Organizations it holds (bundled or contained) can be
// the assigner an Identifier references.
type fhirAuthorities struct {
	orgs map[string]string // Organization id -> its first identifier value, else its name
}

// newFHIRAuthorities indexes the Organizations among resources.
func newFHIRAuthorities(resources []*fhir.Value) fhirAuthorities {
	var a fhirAuthorities
	for _, r := range resources {
		if fhir.ResourceType(r) != "Organization" {
			continue
		}
		id := r.Get("id")
		if id == nil || id.Str() == "" {
			continue
		}
		name := ""
		if ids := r.Get("identifier"); ids != nil {
			for _, i := range ids.Elems() {
				if v := i.Get("value"); v != nil && strings.TrimSpace(v.Str()) != "" {
					name = v.Str()
					break
				}
			}
		}
		if n := r.Get("name"); name == "" && n != nil {
			name = n.Str()
		}
		if name != "" {
			if a.orgs == nil {
				a.orgs = map[string]string{}
			}
			a.orgs[id.Str()] = name
		}
	}
	return a
}

// of returns the authority key of an Identifier: its system, else its
// assigner (identifier value, the referenced Organization, display); ""
// when it has none. See NormalizeAuthority.
func (a fhirAuthorities) of(id *fhir.Value) string {
	if s := id.Get("system"); s != nil && strings.TrimSpace(s.Str()) != "" {
		return NormalizeAuthority(systemNamespace(s.Str()))
	}
	as := id.Get("assigner")
	if as == nil {
		return ""
	}
	if ai := as.Get("identifier"); ai != nil {
		if v := ai.Get("value"); v != nil && strings.TrimSpace(v.Str()) != "" {
			return NormalizeAuthority(v.Str())
		}
	}
	if r := as.Get("reference"); r != nil {
		if n, ok := a.orgs[refID(r.Str())]; ok {
			return NormalizeAuthority(n)
		}
	}
	if d := as.Get("display"); d != nil {
		return NormalizeAuthority(d.Str())
	}
	return ""
}

// systemNamespace returns the part of an Identifier.system that names the
// authority: an OID or UUID without its urn: prefix; the namespace of a
// ".../Identifier/<namespace>" URL, the form HL7v2-to-FHIR converters give
// CX-4; otherwise the system itself.
func systemNamespace(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range [...]string{"urn:oid:", "urn:uuid:"} {
		if strings.HasPrefix(s, p) {
			return s[len(p):]
		}
	}
	if !strings.Contains(s, "://") {
		return s
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	segs := strings.Split(strings.TrimRight(s, "/"), "/")
	for i := len(segs) - 2; i >= 3; i-- {
		if strings.EqualFold(segs[i], "Identifier") {
			return strings.Join(segs[i+1:], "/")
		}
	}
	return s
}
