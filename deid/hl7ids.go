package deid

// This file: HL7v2 identifiers: the patient's primary identifier, pseudonyms of CX and
// EI values, and the names, phones and addresses remembered for free text.

import (
	"strings"

	"github.com/safeharbor/safeharbor/deid/text"
)

// primaryID returns the patient's primary identifier and its authority
// key, chosen so that the same patient gets the same pseudonym whatever the
// order of its identifiers, whichever type code names the record number and
// whichever format they arrive in (idChooser; FHIR uses the same rule on
// Patient.identifier). pid is the index of the first PID segment (-1: none).
func (w *hl7Work) primaryID(pid int) (id, auth string) {
	if pid < 0 {
		return "", ""
	}
	var c idChooser
	s := w.m.Segment(pid)
	d := &w.d
	for fnum := 2; fnum <= 4; fnum++ {
		rest := s.Field(fnum)
		for more := len(rest) > 0; more; {
			var rp []byte
			rp, rest, more = cut(rest, d.Repetition)
			var cs [5][]byte
			comps(rp, d.Component, cs[:])
			typ := strings.ToUpper(w.str(cs[4]))
			if _, removed := idTypesRemoved[typ]; removed {
				continue
			}
			v := w.normalized(w.str(cs[0]))
			c.offerNormalized(v, w.authority(cs[3], v), idTypeRank(typ))
		}
	}
	return c.best()
}

// authority returns the authority key (NormalizeAuthority) of a CX-4
// assigning authority (HD: the namespace id HD-1, else the universal id
// HD-2), backed by the per-message store; "" when there is none or it
// repeats the identifier id (normalized) itself.
func (w *hl7Work) authority(hd []byte, id string) string {
	if len(hd) == 0 {
		return ""
	}
	hd1, rest, _ := cut(hd, w.d.Subcomponent)
	a := strings.TrimSpace(w.str(hd1))
	if a == "" {
		hd2, _, _ := cut(rest, w.d.Subcomponent)
		a = strings.TrimSpace(w.str(hd2))
	}
	if a == "" {
		return ""
	}
	w.norm = appendAuthority(w.norm[:0], a)
	if len(w.norm) == 0 || id != "" && strings.Contains(unsafeString(w.norm), id) {
		return ""
	}
	return w.intern(unsafeString(w.norm))
}

// idTypeRank orders identifier type codes (HL7 table 0203, also FHIR
// Identifier.type codes) for the choice of the primary identifier: medical
// record numbers under any of their usual codes first, then patient
// identifiers, then identifiers without a type, then the rest.
func idTypeRank(code string) int {
	switch code {
	case "MR", "MRN", "MEDREC", "MRT":
		return 0
	case "PI", "PT", "PN":
		return 1
	case "":
		return 2
	}
	return 3
}

// idChooser picks the primary identifier of a patient: the lowest
// idTypeRank, then the smallest normalized value, then the smallest
// authority key. A medical record number sent as MR by one system and as
// MEDREC or PI by another is the same choice, so the pseudonym (and the
// date shift derived from it) is the same.
type idChooser struct {
	rank      int
	val, auth string
}

func (c *idChooser) offer(id, auth string, rank int) {
	c.offerNormalized(normalizeID(id), auth, rank)
}

// offerNormalized is offer for a value already normalized (normalizeID)
// and an authority key (NormalizeAuthority).
func (c *idChooser) offerNormalized(n, auth string, rank int) {
	if n == "" {
		return
	}
	if c.val == "" || rank < c.rank || rank == c.rank && (n < c.val || n == c.val && auth < c.auth) {
		c.rank, c.val, c.auth = rank, n, auth
	}
}

func (c *idChooser) best() (id, auth string) { return c.val, c.auth }

// normalized returns normalizeID(v) backed by the per-message store.
func (w *hl7Work) normalized(v string) string {
	w.norm = appendNormalizedID(w.norm[:0], v)
	return w.intern(unsafeString(w.norm))
}

// pseudoMemo is one pseudonym computed for the current message.
type pseudoMemo struct {
	id, auth string // normalized identifier, authority key
	ps       [pseudoLen]byte
}

// maxMemo bounds the pseudonyms remembered per message (a linear search).
const maxMemo = 32

// appendPseudonym appends the pseudonym of an identifier without an
// authority (Pseudonymizer.ID).
func (w *hl7Work) appendPseudonym(dst []byte, id string) []byte {
	return w.appendPseudonymIn(dst, "", id)
}

// appendPseudonymIn appends the pseudonym of id assigned by auth (an
// authority key; Pseudonymizer.IDIn): an identifier that recurs in the
// message (PID-3 chosen as the primary identifier, order numbers in ORC and
// OBR) is hashed once.
func (w *hl7Work) appendPseudonymIn(dst []byte, auth, id string) []byte {
	w.norm = appendNormalizedID(w.norm[:0], id)
	key := unsafeString(w.norm)
	for i := range w.memo {
		if w.memo[i].id == key && w.memo[i].auth == auth {
			return append(dst, w.memo[i].ps[:]...)
		}
	}
	var ps [pseudoLen]byte
	w.e.pseudo.appendNormalizedIn(ps[:0], auth, w.norm)
	if len(w.memo) < maxMemo {
		w.memo = append(w.memo, pseudoMemo{w.intern(key), auth, ps})
	}
	return append(dst, ps[:]...)
}

// addKnownComponents remembers every component/subcomponent text of raw under cat.
func (w *hl7Work) addKnownComponents(raw []byte, cat text.Category) {
	for start := 0; ; {
		end := w.partEnd(raw, start)
		if v := raw[start:end]; len(v) >= 2 {
			if s := strings.TrimSpace(w.str(v)); len(s) >= 2 {
				w.remember(cat, s)
			}
		}
		if end == len(raw) {
			return
		}
		start = end + 1
	}
}

func (w *hl7Work) addNames(raw []byte) {
	d := &w.d
	for more, rest := true, raw; more; {
		var rp []byte
		rp, rest, more = cut(rest, d.Repetition)
		// XPN: 1 family (FN: surname & ...), 2 given, 3 middle; XCN shifts by one (1 is the id)
		var cs [4][]byte
		comps(rp, d.Component, cs[:])
		for _, comp := range cs {
			sub, _, _ := cut(comp, d.Subcomponent)
			v := strings.TrimSpace(w.str(sub))
			if len(v) >= 2 && !digits(v) {
				w.remember(text.Name, v)
			}
		}
	}
}

func (w *hl7Work) addPhones(raw []byte) {
	d := &w.d
	for more, rest := true, raw; more; {
		var rp []byte
		rp, rest, more = cut(rest, d.Repetition)
		var cs [12][]byte
		comps(rp, d.Component, cs[:])
		comp := func(c int) string { return strings.TrimSpace(w.str(cs[c-1])) }
		if v := comp(1); v != "" {
			w.remember(text.Phone, v)
		}
		if v := comp(4); v != "" {
			w.remember(text.Email, v)
		}
		if area, local := comp(6), comp(7); local != "" {
			w.remember(text.Phone, w.concat(area, local))
		}
		if v := comp(12); v != "" {
			w.remember(text.Phone, v)
		}
	}
}

// addrRep treats one XAD repetition: state (4), ZIP3 (5), country (6) and
// address type (7) are kept.
func (w *hl7Work) addrRep(dst, rp []byte) []byte {
	d := &w.d
	var cs [10][]byte
	comps(rp, d.Component, cs[:])
	for _, c := range [...]int{1, 2, 3, 8, 9, 10} {
		if v := cs[c-1]; len(v) > 0 {
			w.addKnownComponents(v, text.Address)
			w.rep.Add(text.Address, Removed, 1)
		}
	}
	start := len(dst)
	zip := w.str(cs[4])
	if zip != "" {
		w.remember(text.ZIP, zip)
	}
	z3, okz := w.e.zip3(zip)
	if zip != "" {
		if okz {
			w.rep.Add(text.ZIP, Generalized, 1)
		} else {
			w.rep.Add(text.ZIP, Removed, 1)
		}
	}
	if d.Component == 0 {
		return dst
	}
	dst = append(dst, d.Component, d.Component, d.Component)
	dst = append(dst, noDigits(cs[3])...)
	dst = append(dst, d.Component)
	dst = w.esc(dst, z3)
	dst = append(dst, d.Component)
	dst = append(dst, noDigits(cs[5])...)
	dst = append(dst, d.Component)
	dst = append(dst, cs[6]...)
	for len(dst) > start && dst[len(dst)-1] == d.Component {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// noDigits returns v, or nil when v holds a digit: a state or country
// component with digits in it is a misplaced ZIP code or street number.
func noDigits(v []byte) []byte {
	for _, c := range v {
		if c >= '0' && c <= '9' {
			return nil
		}
	}
	return v
}

// idRep pseudonymizes CX-1 of one repetition, keeping CX-4 (assigning
// authority) and CX-5 (type); SSN and licence repetitions are removed.
func (w *hl7Work) idRep(dst, rp []byte, cat text.Category) []byte {
	d := &w.d
	var cs [5][]byte
	comps(rp, d.Component, cs[:])
	id := strings.TrimSpace(w.str(cs[0]))
	typ := cs[4]
	if id != "" {
		w.remember(cat, id)
	}
	if c, removed := idTypesRemoved[strings.ToUpper(w.str(typ))]; removed {
		w.remember(c, id)
		w.rep.Add(c, Removed, 1)
		return dst
	}
	if id != "" {
		w.rep.Add(cat, Pseudonymized, 1)
		n := w.normalized(id)
		dst = w.appendPseudonymIn(dst, w.authority(cs[3], n), n)
	}
	auth := cs[3]
	if strings.Contains(strings.ToUpper(w.str(auth)), strings.ToUpper(id)) {
		auth = nil // an authority that repeats the identifier
	}
	if d.Component != 0 && (len(auth) > 0 || len(typ) > 0) {
		dst = append(dst, d.Component, d.Component, d.Component)
		dst = append(dst, auth...)
		if len(typ) > 0 {
			dst = append(dst, d.Component)
			dst = append(dst, typ...)
		}
	}
	return dst
}

// ei pseudonymizes an EI (split by sep): its first part, the entity
// identifier, and any other part that reads as a number (idLike), wherever a
// sender put the number (ORC-2 as "^1234567890"); the same number gets the
// same pseudonym in every field. Namespace parts are kept, except any that
// repeat the identifier itself.
func (w *hl7Work) ei(dst, v []byte, sep byte) []byte {
	start := len(dst)
	id := ""
	for i, rest, more := 0, v, len(v) > 0; more; i++ {
		var part []byte
		part, rest, more = cut(rest, sep)
		if i > 0 {
			dst = append(dst, sep)
		}
		s := strings.TrimSpace(w.str(part))
		switch {
		case s == "":
		case i == 0 || eiPartIDLike(s):
			if id == "" {
				id = s
			}
			w.remember(text.OtherID, s)
			w.rep.Add(text.OtherID, Pseudonymized, 1)
			dst = w.appendPseudonym(dst, s)
		case strings.EqualFold(s, id):
		default:
			dst = append(dst, part...)
		}
	}
	for len(dst) > start && sep != 0 && dst[len(dst)-1] == sep {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// eiPartIDLike reports whether a namespace part of an EI reads as a record number
// rather than a namespace: it has four digits in a row and is not an OID
// (digits and at least two dots).
func eiPartIDLike(s string) bool {
	run, maxRun, dots, other := 0, 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			run++
			maxRun = max(maxRun, run)
			continue
		case c == '.':
			dots++
		default:
			other = true
		}
		run = 0
	}
	if maxRun < 4 {
		return false
	}
	return other || dots < 2
}
