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
// record identifiers, "res" for FHIR resource ids, ...). Identifiers are
// namespaced by kind, not by assigning authority: HL7v2 PID-3 carries the
// authority in CX-4 while FHIR Patient.identifier often loses it, and the same
// patient must get the same pseudonym in both formats.
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

// ID returns the pseudonym of a record identifier (MRN, account, visit,
// order number...). The patient pseudonym is the ID of the patient's primary
// identifier, in either format.
func (p *Pseudonymizer) ID(value string) string { return p.Pseudonym("id", value) }
