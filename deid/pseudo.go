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
	pool sync.Pool
}

// NewPseudonymizer derives the pseudonym key from the secret key.
func NewPseudonymizer(key []byte) *Pseudonymizer {
	sub := deriveKey(key, "safeharbor/pseudonym/v1")
	p := &Pseudonymizer{}
	p.pool.New = func() any { return hmac.New(sha256.New, sub) }
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
	return strings.ToUpper(strings.TrimSpace(v))
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
	h := p.pool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(namespace))
	h.Write([]byte{0})
	h.Write([]byte(normalizeID(value)))
	var sum [sha256.Size]byte
	s := h.Sum(sum[:0])
	p.pool.Put(h)
	var enc [32]byte
	b32.Encode(enc[:], s[:10])
	return append(dst, enc[:pseudoLen]...)
}

// ID returns the pseudonym of a record identifier (MRN, account, visit,
// order number...). The patient pseudonym is the ID of the patient's primary
// identifier, in either format.
func (p *Pseudonymizer) ID(value string) string { return p.Pseudonym("id", value) }
