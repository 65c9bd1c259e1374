package leakguard

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Byte classes. A token is a maximal run of letters, digits and non-ASCII
// bytes; anything else separates tokens.
const (
	cSep   = 0
	cAlpha = 1
	cDigit = 2
	cHigh  = 4
)

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			class[c] = cAlpha
		case c >= '0' && c <= '9':
			class[c] = cDigit
		case c >= 0x80:
			class[c] = cHigh
		case c == '_':
			class[c] = cAlpha // ids such as OP_0d70c6c8 are one token
		}
	}
	for _, w := range CommonWords {
		commonHash.add(hashString(w))
	}
	for _, w := range StateNames {
		stateHash.add(seqHashString(w))
	}
}

var (
	commonHash = newStaticSet(len(CommonWords))
	stateHash  = newStaticSet(len(StateNames)) // seqHash of each state name
)

// staticSet is a fixed set of hashes built at init (faster than a map in
// the harvest loop).
type staticSet struct{ slots []uint64 }

func newStaticSet(n int) *staticSet {
	size := 16
	for size < 4*n {
		size *= 2
	}
	return &staticSet{slots: make([]uint64, size)}
}

func (s *staticSet) add(h uint64) {
	h |= 1
	mask := uint64(len(s.slots) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		if s.slots[p] == 0 || s.slots[p] == h {
			s.slots[p] = h
			return
		}
	}
}

func (s *staticSet) has(h uint64) bool {
	h |= 1
	mask := uint64(len(s.slots) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		switch s.slots[p] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// hashToken hashes a token case-insensitively: ASCII letters are
// lower-cased; a token with non-ASCII bytes is decoded and each rune
// lower-cased (Unicode simple folding), so "ZOË" and "zoë" hash alike.
func hashToken(b []byte) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 0x80 {
			return hashUnicode(b)
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

func hashUnicode(b []byte) uint64 {
	h := uint64(fnvOffset)
	var buf [utf8.UTFMax]byte
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		if r == utf8.RuneError && n <= 1 {
			h = (h ^ 0xff) * fnvPrime
			continue
		}
		r = unicode.ToLower(r)
		k := utf8.EncodeRune(buf[:], r)
		for _, c := range buf[:k] {
			h = (h ^ uint64(c)) * fnvPrime
		}
	}
	return h
}

func hashString(s string) uint64 { return hashToken([]byte(s)) }

// seqHash combines token hashes into the hash of a token sequence.
func seqHash(h, t uint64) uint64 { return (h^t)*0x9E3779B97F4A7C15 + 1 }

// seqHashString is the sequence hash of the tokens of s.
func seqHashString(s string) uint64 {
	var h uint64
	eachToken([]byte(s), func(tok []byte) { h = seqHash(h, hashToken(tok)) })
	return h
}

// seqHashBytes is the sequence hash of the tokens of b.
func seqHashBytes(b []byte) uint64 {
	var h uint64
	for i := 0; i < len(b); {
		if class[b[i]] == cSep {
			i++
			continue
		}
		j := i + 1
		for j < len(b) && class[b[j]] != cSep {
			j++
		}
		h = seqHash(h, hashToken(b[i:j]))
		i = j
	}
	return h
}

// sameValue reports whether a and b have the same tokens (any case); false
// when either is empty.
func sameValue(a, b []byte) bool {
	return len(a) > 0 && len(b) > 0 && seqHashBytes(a) == seqHashBytes(b)
}

// eachToken calls fn for every token of b.
func eachToken(b []byte, fn func(tok []byte)) {
	for i := 0; i < len(b); {
		if class[b[i]] == cSep {
			i++
			continue
		}
		j := i + 1
		for j < len(b) && class[b[j]] != cSep {
			j++
		}
		fn(b[i:j])
		i = j
	}
}

// source is where a harvested value was in the original: an HL7v2
// segment and field, or a fixed PHI-free name (a FHIR element).
type source struct {
	name  string
	seg   [3]byte
	field uint16
}

// String names the source ("PID-3", "Identifier.value").
func (s source) String() string {
	if s.seg[0] == 0 {
		return s.name
	}
	return string(s.seg[:]) + "-" + strconv.Itoa(int(s.field))
}

// entry is one harvested value (or one form of it): a token sequence.
type entry struct {
	src   source
	whole uint64 // sequence hash of the tokens
	start int32  // toks[start:start+n]
	n     int32
	next  int32 // next entry with the same first token, -1 ends
	cat   Category
	flags uint8
}

const (
	fDecimal uint8 = 1 << iota // all digits: not a hit inside a decimal number
	fWhole                     // a name matched whole only (an organisation)
)

type slot struct {
	h    uint64
	head int32 // entry index
	gen  uint32
}

type dateEntry struct {
	ymd int32 // y*10000 + m*100 + d
	src source
}

// Set holds the identifying values harvested from one original record.
// The zero value is ready to use; Reset empties it keeping its storage.
type Set struct {
	entries []entry
	toks    []uint64
	slots   []slot
	gen     uint32
	nslot   int
	lenMask uint64 // bit n: some first token has n bytes (63: longer)
	dates   []dateEntry
	kept    []uint64 // sequence hashes of values the engine keeps (namespaces, authorities)
	shift   int      // the engine's date shift of the record, when shiftOK
	shiftOK bool     // output dates that are a shifted original date are not hits
	spans   []span
	buf     []byte // digit and accent forms being built (never an add argument)
	scratch []byte // unescaped values being harvested
	h       hl7Scratch
}

// Reset empties s, keeping its storage.
func (s *Set) Reset() {
	s.entries = s.entries[:0]
	s.toks = s.toks[:0]
	if s.nslot > 0 {
		s.gen++
		if s.gen == 0 {
			clear(s.slots)
			s.gen = 1
		}
		s.nslot = 0
	}
	s.lenMask = 0
	s.dates = s.dates[:0]
	s.kept = s.kept[:0]
	s.shift, s.shiftOK = 0, false
}

// Len returns the number of value forms and dates harvested.
func (s *Set) Len() int { return len(s.entries) + len(s.dates) }

// SetDateShift tells s that the output's dates were shifted by days (the
// date-shift profile): an output date equal to an original date shifted by
// days is not a hit. Call it after harvesting, before Find.
func (s *Set) SetDateShift(days int) { s.shift, s.shiftOK = days, true }

func (s *Set) lookup(h uint64) int32 {
	if s.nslot == 0 {
		return -1
	}
	mask := uint64(len(s.slots) - 1)
	for p := (h * 0x9E3779B97F4A7C15) >> 7 & mask; ; p = (p + 1) & mask {
		sl := &s.slots[p]
		if sl.gen != s.gen {
			return -1
		}
		if sl.h == h {
			return sl.head
		}
	}
}

func (s *Set) insert(h uint64, idx int32) {
	if 2*(s.nslot+1) > len(s.slots) {
		old := s.slots
		oldGen := s.gen
		n := 64
		for n < 4*(s.nslot+1) {
			n *= 2
		}
		s.slots = make([]slot, n)
		s.gen = 1
		s.nslot = 0
		for _, sl := range old {
			if sl.gen == oldGen {
				s.put(sl.h, sl.head)
			}
		}
	}
	// chain: the new entry points to the previous head
	s.entries[idx].next = s.lookup(h)
	s.put(h, idx)
}

func (s *Set) put(h uint64, head int32) {
	mask := uint64(len(s.slots) - 1)
	for p := (h * 0x9E3779B97F4A7C15) >> 7 & mask; ; p = (p + 1) & mask {
		sl := &s.slots[p]
		if sl.gen != s.gen {
			*sl = slot{h: h, head: head, gen: s.gen}
			s.nslot++
			return
		}
		if sl.h == h {
			sl.head = head
			return
		}
	}
}

// addSeq records a token sequence (hashes already in s.toks[start:]) as an
// entry, unless an equal sequence of the same category is there.
func (s *Set) addSeq(cat Category, src source, start int, firstLen int, flags uint8) {
	n := len(s.toks) - start
	if n <= 0 {
		return
	}
	h := s.toks[start]
	for e := s.lookup(h); e >= 0; e = s.entries[e].next {
		x := &s.entries[e]
		if int(x.n) == n && x.cat == cat && equalHashes(s.toks[x.start:x.start+x.n], s.toks[start:]) {
			s.toks = s.toks[:start]
			return
		}
	}
	var whole uint64
	for _, t := range s.toks[start:] {
		whole = seqHash(whole, t)
	}
	s.entries = append(s.entries, entry{src: src, whole: whole, start: int32(start), n: int32(n), cat: cat, flags: flags})
	s.insert(h, int32(len(s.entries)-1))
	s.lenMask |= 1 << min(firstLen, 63)
}

func equalHashes(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// addDate records a full date.
func (s *Set) addDate(y, m, d int, src source) {
	if !validYMD(y, m, d) {
		return
	}
	v := int32(y*10000 + m*100 + d)
	for _, x := range s.dates {
		if x.ymd == v {
			return
		}
	}
	s.dates = append(s.dates, dateEntry{v, src})
}
