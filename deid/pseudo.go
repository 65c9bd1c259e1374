package deid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"hash"
	"strings"
	"sync"
)

// pseudoLen is the length of a pseudonym: 16 base32 characters, 80 bits.
const pseudoLen = 16

var b32 = base32.NewEncoding("ABCDEFGHJKLMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

// Pseudonymizer maps identifiers to keyed pseudonyms (HMAC-SHA256 with a
// secret key): stable for the same input and key, not reversible without the
// key, as 45 CFR 164.514(c) allows for a re-identification code. It is safe
// for concurrent use.
type Pseudonymizer struct {
	pool sync.Pool // of *pseudoState
}

type pseudoState struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// NewPseudonymizer derives the pseudonym key from the secret key.
func NewPseudonymizer(key []byte) *Pseudonymizer {
	sub := deriveKey(key, "safeharbor/pseudonym/v1")
	p := &Pseudonymizer{}
	p.pool.New = func() any { return &pseudoState{h: hmac.New(sha256.New, sub)} }
	return p
}

func deriveKey(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// normalizeID trims and upper-cases an identifier so trivial formatting
// differences between systems ("mrn12345 " and "MRN12345") link.
func normalizeID(v string) string {
	return string(appendNormalizedID(nil, v))
}

// Pseudonym returns the pseudonym of value within a namespace ("id" for
// record identifiers without an assigning authority, "id@AUTH" with one (see
// IDIn), "res" for FHIR resource ids, ...).
func (p *Pseudonymizer) Pseudonym(namespace, value string) string {
	var out [pseudoLen]byte
	p.appendPseudonym(out[:0], namespace, value)
	return string(out[:])
}

func (p *Pseudonymizer) appendPseudonym(dst []byte, namespace, value string) []byte {
	st := p.pool.Get().(*pseudoState)
	b := append(st.buf[:0], namespace...)
	b = append(b, 0)
	b = appendNormalizedID(b, value)
	dst = p.sum(dst, st, b)
	p.pool.Put(st)
	return dst
}

// appendNormalized is appendPseudonym for a value already normalized
// (appendNormalizedID).
func (p *Pseudonymizer) appendNormalized(dst []byte, namespace string, norm []byte) []byte {
	st := p.pool.Get().(*pseudoState)
	b := append(st.buf[:0], namespace...)
	b = append(b, 0)
	b = append(b, norm...)
	dst = p.sum(dst, st, b)
	p.pool.Put(st)
	return dst
}

// appendNormalizedIn is appendNormalized in the namespace of identifiers
// of authority auth (idNamespace), without building the namespace string.
func (p *Pseudonymizer) appendNormalizedIn(dst []byte, auth string, norm []byte) []byte {
	st := p.pool.Get().(*pseudoState)
	b := append(st.buf[:0], "id"...)
	if auth != "" {
		b = append(b, '@')
		b = append(b, auth...)
	}
	b = append(b, 0)
	b = append(b, norm...)
	dst = p.sum(dst, st, b)
	p.pool.Put(st)
	return dst
}

// sum appends the pseudonym of the namespaced, normalized input b (which
// st.buf becomes).
func (p *Pseudonymizer) sum(dst []byte, st *pseudoState, b []byte) []byte {
	st.buf = b
	st.h.Reset()
	st.h.Write(b)
	s := st.h.Sum(st.sum[:0])
	var enc [16]byte
	b32.Encode(enc[:], s[:10])
	return append(dst, enc[:pseudoLen]...)
}

// appendNormalizedID appends normalizeID(v) without allocating: trimmed,
// ASCII upper case (other bytes as they are, as strings.ToUpper would for
// identifiers, which are ASCII in practice).
func appendNormalizedID(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// ID returns the pseudonym of a record identifier without an assigning
// authority (order numbers, and MRNs, accounts... sent without one). It is
// IDIn("", value).
func (p *Pseudonymizer) ID(value string) string { return p.Pseudonym("id", value) }

// IDIn returns the pseudonym of a record identifier (MRN, account, visit,
// plan member number...) assigned by authority, a key NormalizeAuthority
// made: the same value from two authorities (MRN 1001 at two facilities) gets
// two pseudonyms, so two patients never share one and erasing one never
// shreds the other. An empty authority is the documented fallback: the
// identifier is namespaced by kind only (ID), as every identifier was before
// authorities were used, and does not link with the same value sent with an
// authority. The patient pseudonym is the IDIn of the patient's primary
// identifier, in either format.
func (p *Pseudonymizer) IDIn(authority, value string) string {
	if authority == "" {
		return p.ID(value)
	}
	return p.Pseudonym(idNamespace(authority), value)
}

// idNamespace is the Pseudonym namespace of identifiers of one authority.
func idNamespace(authority string) string {
	if authority == "" {
		return "id"
	}
	return "id@" + authority
}

// NormalizeAuthority makes the key of an assigning authority under which
// identifiers are pseudonymized: ASCII letters upper-cased, letters, digits,
// dots and non-ASCII bytes kept, spaces and other punctuation dropped, so
// that the spellings one namespace gets from different systems ("NIST MPI"
// in HL7v2 CX-4, "NIST-MPI" in a converted FHIR system) agree. Where the
// authority comes from:
//   - HL7v2 CX-4 (HD): the namespace id HD-1, else the universal id HD-2.
//   - FHIR Identifier: the system (an "urn:oid:" or "urn:uuid:" prefix
//     dropped; for a URL whose path ends ".../Identifier/<namespace>", the
//     convention of HL7v2-to-FHIR converters, the namespace), else the
//     assigner: its identifier value, its display, or the first identifier
//     value (else name) of the Organization it references in the same bundle.
//
// An identifier with no authority keeps the kind-only namespace (see IDIn).
func NormalizeAuthority(a string) string { return string(appendAuthority(nil, a)) }

// appendAuthority appends NormalizeAuthority(a) without allocating.
func appendAuthority(dst []byte, a string) []byte {
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch {
		case c >= 'a' && c <= 'z':
			dst = append(dst, c-('a'-'A'))
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c >= 0x80:
			dst = append(dst, c)
		}
	}
	return dst
}
