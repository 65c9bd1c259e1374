package text

// Known holds the PHI values found in the structured part of one message
// (name parts, identifiers, phones, e-mails, street and city, dates), so
// that the same values are scrubbed wherever they recur in its free text.
//
// Matching is ASCII case-insensitive and on token boundaries, where a token
// is a maximal run of ASCII letters, digits and non-ASCII bytes; anything
// else separates tokens. A multi-token value ("123 Main Street", "Mary Ann",
// "Smith^John") matches as a sequence whose tokens may be separated by up to
// three non-token bytes each. Each token of a Name value also matches alone
// when it has at least Options.NameMinLen bytes (default 2), so the surname
// "May" or "Will" of this patient is scrubbed wherever it occurs. Values of
// other categories match only whole and need at least 3 token bytes.
//
// Dates (Date category) are parsed when added (HL7 YYYYMMDD[HHMM...],
// YYYY-MM-DD, MM/DD/YYYY) and match in every common spelling, including
// forms the generic detector would not take alone (MMDDYYYY, DDMMYYYY).
// Phone, Fax and SSN values, and other values made only of digits and
// punctuation with at least 5 digits, also match by their digits alone with
// any punctuation ("(555) 555-1212", "555.555.1212", "5555551212", with or
// without a leading country code 1).
//
// The zero value is ready to use. Reset empties it keeping its storage, so
// one Known can serve message after message. A Known must not be modified
// while a Scrub call is using it.
type Known struct {
	slots  []kslot // open-addressing hash set of lowercased token hashes
	gen    uint32  // slots whose gen differs are empty (Reset bumps it)
	ntok   int
	seqs   []kseq
	hashes []uint64
	digits []kdigits
	dlens  uint32 // bit n: some digit-form value has n digits
	dates  []kdate
	// lastDate is the last Date value added, skipped when added again.
	lastDate string
	// nameMin is the minimum length of a name part matched alone; 0 means 2.
	nameMin int
}

type kslot struct {
	h   uint64
	gen uint32 // used when equal to Known.gen
	e   kentry
}

func (k *Known) get(h uint64) (kentry, bool) {
	if k.ntok == 0 {
		return kentry{}, false
	}
	mask := uint64(len(k.slots) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		s := &k.slots[p]
		if s.gen != k.gen {
			return kentry{}, false
		}
		if s.h == h {
			return s.e, true
		}
	}
}

func (k *Known) put(h uint64, e kentry) {
	if 2*(k.ntok+1) > len(k.slots) {
		old := k.slots
		n := 16
		for n < 4*(k.ntok+1) {
			n *= 2
		}
		k.slots = make([]kslot, n)
		k.ntok = 0
		if k.gen == 0 {
			k.gen = 1
		}
		for _, s := range old {
			if s.gen == k.gen {
				k.put(s.h, s.e)
			}
		}
	}
	mask := uint64(len(k.slots) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		s := &k.slots[p]
		if s.gen != k.gen {
			*s = kslot{h: h, gen: k.gen, e: e}
			k.ntok++
			return
		}
		if s.h == h {
			s.e = e
			return
		}
	}
}

type kentry struct {
	single    Category // valid when hasSingle
	hasSingle bool
	firstSeq  int32 // index into seqs, -1 when none
}

type kseq struct {
	cat      Category
	start, n int32 // hashes[start:start+n]
	next     int32 // next sequence with the same first token, -1 ends
}

type kdigits struct {
	v   uint64
	n   uint8
	cat Category
}

type kdate struct{ y, m, d int }

// Reset removes every value, keeping allocated storage for reuse.
func (k *Known) Reset() {
	if k.ntok > 0 {
		k.gen++
		if k.gen == 0 {
			// wrapped: stamps of old generations could look current
			clear(k.slots)
			k.gen = 1
		}
	}
	k.ntok = 0
	k.dlens = 0
	k.seqs = k.seqs[:0]
	k.hashes = k.hashes[:0]
	k.digits = k.digits[:0]
	k.dates = k.dates[:0]
	k.lastDate = ""
}

// Len reports how many distinct matchable entries k holds (0 when empty).
func (k *Known) Len() int {
	if k == nil {
		return 0
	}
	return k.ntok + len(k.digits) + len(k.dates)
}

// SetNameMinLen sets the minimum length in bytes of a Name token matched
// alone (default 2). Values below 1 restore the default.
func (k *Known) SetNameMinLen(n int) { k.nameMin = n }

const fnvOffset, fnvPrime = 14695981039346656037, 1099511628211

// lowerT maps ASCII upper-case letters to lower case, other bytes to
// themselves; isDigitPunct marks the punctuation of a digit-form value.
var (
	lowerT       [256]byte
	isDigitPunct [256]bool
)

func init() {
	for c := range lowerT {
		lowerT[c] = byte(c)
		if c >= 'A' && c <= 'Z' {
			lowerT[c] = byte(c) + 32
		}
	}
	for _, c := range []byte(" -.()+/") {
		isDigitPunct[c] = true
	}
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

// hashTok hashes b lowercased (ASCII only).
func hashTok(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		h ^= uint64(lowerT[c])
		h *= fnvPrime
	}
	return h
}

// Add records value as a known PHI value of category cat. Empty or too
// short values are ignored. Add never fails.
func (k *Known) Add(cat Category, value string) {
	if cat >= NumCategories {
		cat = OtherID
	}
	if cat == Date {
		if value == k.lastDate && value != "" {
			return // the same date again (HL7 repeats the message date)
		}
		if y, m, d, ok := parseKnownDate(value); ok {
			if !k.hasDate(y, m, d) {
				k.dates = append(k.dates, kdate{y, m, d})
			}
			k.lastDate = value
		}
		return
	}
	// One pass: the lowercased hash of every token, and the digit form
	// (digits and phone punctuation only).
	nd, other := 0, false
	var v uint64
	start := int32(len(k.hashes))
	total := 0
	minName := k.minName()
	for i := 0; i < len(value); {
		c := value[i]
		if !isTok[c] {
			if !isDigitPunct[c] {
				other = true
			}
			i++
			continue
		}
		j := i
		h := uint64(fnvOffset)
		for ; j < len(value); j++ {
			c := value[j]
			if !isTok[c] {
				break
			}
			if d := c - '0'; d <= 9 {
				if nd < 19 {
					v = v*10 + uint64(d)
				}
				nd++
			} else {
				other = true
			}
			h ^= uint64(lowerT[c])
			h *= fnvPrime
		}
		total += j - i
		k.hashes = append(k.hashes, h)
		if cat == Name && j-i >= minName {
			e, ok := k.get(h)
			if !ok {
				e.firstSeq = -1
			}
			if !e.hasSingle {
				e.single, e.hasSingle = Name, true
				k.put(h, e)
			}
		}
		i = j
	}
	// Digit form.
	if !other && nd >= 5 && nd <= 19 && (cat != Name) {
		if nd == 11 && (cat == Phone || cat == Fax) && v/10000000000 == 1 {
			v %= 10000000000
			nd = 10
		}
		if !k.hasDigits(v, nd, cat) {
			k.digits = append(k.digits, kdigits{v: v, n: uint8(nd), cat: cat})
			k.dlens |= 1 << nd
		}
	}
	// Token form.
	n := int32(len(k.hashes)) - start
	if n == 0 || (cat != Name && total < 3) || (cat == Name && total < minName) {
		k.hashes = k.hashes[:start]
		return
	}
	if n == 1 && cat != Name {
		h := k.hashes[start]
		k.hashes = k.hashes[:start]
		e, ok := k.get(h)
		if !ok {
			e.firstSeq = -1
		}
		if !e.hasSingle {
			e.single, e.hasSingle = cat, true
			k.put(h, e)
		}
		return
	}
	if n == 1 {
		k.hashes = k.hashes[:start]
		return
	}
	h := k.hashes[start]
	e, ok := k.get(h)
	if !ok {
		e.firstSeq = -1
	}
	k.seqs = append(k.seqs, kseq{cat: cat, start: start, n: n, next: e.firstSeq})
	e.firstSeq = int32(len(k.seqs) - 1)
	k.put(h, e)
}

func (k *Known) minName() int {
	if k.nameMin < 1 {
		return 2
	}
	return k.nameMin
}

// hasDigits reports whether the digit form (v, n, cat) is already held.
func (k *Known) hasDigits(v uint64, n int, cat Category) bool {
	if k.dlens&(1<<n) == 0 {
		return false
	}
	for _, d := range k.digits {
		if d.v == v && int(d.n) == n && d.cat == cat {
			return true
		}
	}
	return false
}

func (k *Known) hasDate(y, m, d int) bool {
	for _, kd := range k.dates {
		if kd.y == y && kd.m == m && kd.d == d {
			return true
		}
	}
	return false
}

// parseKnownDate parses YYYYMMDD[...], YYYY-MM-DD[T...], MM/DD/YYYY.
func parseKnownDate(s string) (y, m, d int, ok bool) {
	if len(s) >= 8 {
		a := 0
		for i := 0; i < 8; i++ {
			c := s[i] - '0'
			if c > 9 {
				a = -1
				break
			}
			a = a*10 + int(c)
		}
		if a >= 0 {
			y, m, d = a/10000, a/100%100, a%100
			return y, m, d, validYMD(y, m, d)
		}
	}
	num := func(s string) (int, bool) {
		if len(s) == 0 {
			return 0, false
		}
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			n = n*10 + int(s[i]-'0')
		}
		return n, true
	}
	if len(s) >= 10 && (s[4] == '-' || s[4] == '/') && s[7] == s[4] {
		a, ok1 := num(s[:4])
		b, ok2 := num(s[5:7])
		c, ok3 := num(s[8:10])
		if ok1 && ok2 && ok3 && validYMD(a, b, c) {
			return a, b, c, true
		}
	}
	if len(s) >= 10 && (s[2] == '/' || s[2] == '-') && s[5] == s[2] {
		a, ok1 := num(s[:2])
		b, ok2 := num(s[3:5])
		c, ok3 := num(s[6:10])
		if ok1 && ok2 && ok3 && validYMD(c, a, b) {
			return c, a, b, true
		}
	}
	return 0, 0, 0, false
}

func validYMD(y, m, d int) bool {
	if y < 1800 || y > 2199 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= daysIn[m] || (m == 2 && d == 29)
}

var daysIn = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
