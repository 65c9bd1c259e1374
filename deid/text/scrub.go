package text

import "unicode/utf8"

// Options configures a Scrubber. The zero value is the recommended default.
type Options struct {
	// LongNumberDigits is the minimum number of digits of an un-cued number
	// (no MRN/account/... cue before it, not a date, phone or code) that is
	// still scrubbed as OtherID. 0 means 7; a negative value disables the rule.
	LongNumberDigits int
	// ScrubNPI also scrubs numbers after "NPI". By default an NPI is kept: it
	// identifies a provider in a public registry, not the patient, and the
	// Safe Harbor list covers identifiers of the individual and relatives.
	ScrubNPI bool
}

// Scrubber replaces PHI in free text with category tags. It holds no
// per-call state and is safe for concurrent use.
type Scrubber struct {
	longDigits int
	scrubNPI   bool
}

// New returns a Scrubber configured by opts.
func New(opts Options) *Scrubber {
	s := &Scrubber{longDigits: opts.LongNumberDigits, scrubNPI: opts.ScrubNPI}
	if s.longDigits == 0 {
		s.longDigits = 7
	}
	return s
}

// ScrubString is Scrub for strings.
func (s *Scrubber) ScrubString(text string, known *Known, counts *Counts) string {
	return string(s.Scrub(make([]byte, 0, len(text)+32), []byte(text), known, counts))
}

// Scrub appends text with every detected PHI value replaced by its category
// tag to dst and returns the extended slice. Values in known (may be nil)
// are matched first, then the generic detectors run. For each replacement
// the count of its category in counts (may be nil) is incremented.
//
// Output bound: every replacement substitutes at least one input byte with
// a tag of at most MaxTagLen bytes, so the appended output is at most
// len(text) + (MaxTagLen-1)*r bytes long, where r is the number of
// replacements made by this call (the increase of counts.Total()).
// Tags already present in text ("[NAME]", "[DATE]", ...) are kept as they
// are, so scrubbing is idempotent. Valid UTF-8 input gives valid UTF-8 output
// (replacements start and end on ASCII bytes).
func (s *Scrubber) Scrub(dst, text []byte, known *Known, counts *Counts) []byte {
	sc := scanner{s: s, src: text, dst: dst, counts: counts, lastRep: -1, nameEnd: -1}
	if known != nil && (known.ntok > 0 || len(known.digits) > 0 || len(known.dates) > 0) {
		sc.known = known
	}
	sc.run()
	return sc.dst
}

type scanner struct {
	s       *Scrubber
	src     []byte
	dst     []byte
	known   *Known
	counts  *Counts
	last    int // src[:last] has been emitted
	lastRep int // end of the last replacement (or tag), -1 none
	nameEnd int // end of the last [NAME] replacement or tag, -1 none

	cue     cueKind
	cueCat  Category
	ttl     int8
	fax     int8 // tokens left in a fax context
	dateCue int8 // tokens left in a date context
	codeCue int8 // tokens left in a code context
}

var isTok, isDig, isAlpha, isHexT [256]bool

// tokLower maps token bytes to themselves lowercased (ASCII only), other
// bytes to 0 (no token byte is 0).
var tokLower [256]byte

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		isDig[c] = b >= '0' && b <= '9'
		isAlpha[c] = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
		isTok[c] = isDig[c] || isAlpha[c] || c >= 0x80
		isHexT[c] = isDig[c] || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')
		if isTok[c] {
			tokLower[c] = lower(b)
		}
	}
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

func (sc *scanner) at(i int) byte {
	if i < len(sc.src) && i >= 0 {
		return sc.src[i]
	}
	return 0
}

func (sc *scanner) tokEnd(i int) int {
	for i < len(sc.src) && isTok[sc.src[i]] {
		i++
	}
	return i
}

func (sc *scanner) digEnd(i int) int {
	for i < len(sc.src) && isDig[sc.src[i]] {
		i++
	}
	return i
}

// boundaryOK reports whether a span ending at e does not cut a token.
func (sc *scanner) boundaryOK(e int) bool {
	return e >= len(sc.src) || !isTok[sc.src[e]] || !isTok[sc.src[e-1]]
}

// rep replaces src[i:e] with the tag of cat. It refuses (returns false)
// spans that would cut a token, unless mid is set.
func (sc *scanner) rep(i, e int, cat Category, mid bool) bool {
	if e <= i || (!mid && !sc.boundaryOK(e)) {
		return false
	}
	sc.dst = append(sc.dst, sc.src[sc.last:i]...)
	sc.dst = append(sc.dst, cat.Tag()...)
	sc.last = e
	sc.lastRep = e
	if cat == Name {
		sc.nameEnd = e
	}
	if sc.counts != nil {
		sc.counts[cat]++
	}
	sc.reset()
	return true
}

// reset clears the cue context; done after every replacement and tag so a
// second pass over the output sees the same context.
func (sc *scanner) reset() {
	sc.cue, sc.ttl, sc.fax, sc.dateCue, sc.codeCue = cueNone, 0, 0, 0, 0
}

// step ages the cue context by one token.
func (sc *scanner) step() {
	if sc.ttl > 0 {
		sc.ttl--
		if sc.ttl == 0 {
			sc.cue = cueNone
		}
	}
	if sc.fax > 0 {
		sc.fax--
	}
	if sc.dateCue > 0 {
		sc.dateCue--
	}
	if sc.codeCue > 0 {
		sc.codeCue--
	}
}

func (sc *scanner) setCue(c cueKind, cat Category, ttl int8) {
	sc.cue, sc.cueCat, sc.ttl = c, cat, ttl
}

func (sc *scanner) phoneCat() Category {
	if sc.cue == cueFax || sc.fax > 0 {
		return Fax
	}
	return Phone
}

func (sc *scanner) run() {
	src := sc.src
	n := len(src)
	i := 0
	for i < n {
		c := src[i]
		if isTok[c] {
			// find the token's end and hash it (hashTok) in one pass
			j, h := i, uint64(fnvOffset)
			for j < n {
				l := tokLower[src[j]]
				if l == 0 {
					break
				}
				h = (h ^ uint64(l)) * fnvPrime
				j++
			}
			i = sc.token(i, j, h)
			continue
		}
		switch c {
		case '[':
			if e := tagAt(src, i); e > 0 {
				sc.reset()
				sc.lastRep = e
				if string(src[i:e]) == "[NAME]" {
					sc.nameEnd = e // same context as when the name was replaced
				}
				i = e
				continue
			}
		case '(', '+':
			if e, cat := sc.knownDigits(i); e > 0 && sc.rep(i, e, cat, false) {
				i = e
				continue
			}
			var e int
			if c == '(' {
				e, _ = sc.phoneCore(i)
			} else {
				e = sc.plusPhone(i)
			}
			if e > 0 && sc.rep(i, e, sc.phoneCat(), false) {
				i = e
				continue
			}
		case ':':
			if sc.at(i+1) == ':' {
				if e := sc.ipv6(i); e > 0 && sc.rep(i, e, IP, false) {
					i = e
					continue
				}
			}
		}
		i++
	}
	sc.dst = append(sc.dst, src[sc.last:]...)
}

// token handles the token src[i:j], whose hashTok is h, and returns where
// scanning resumes.
func (sc *scanner) token(i, j int, h uint64) int {
	src := sc.src
	c := src[i]
	if j < len(src) {
		switch src[j] {
		case '@', '.', '_', '-', '+', '%':
			if e := sc.email(i); e > 0 && sc.rep(i, e, Email, false) {
				return e
			}
		case ':':
			if j-i <= 4 && sc.allHex(i, j) {
				if e := sc.ipv6(i); e > 0 && sc.rep(i, e, IP, false) {
					return e
				}
			}
		}
	}
	if lc := c | 0x20; lc == 'h' || lc == 'w' {
		if e := sc.url(i, j); e > 0 && sc.rep(i, e, URL, false) {
			return e
		}
	}
	if sc.known != nil {
		if e, cat := sc.matchKnown(i, j, h); e > 0 && sc.rep(i, e, cat, false) {
			return e
		}
	}
	if isDig[c] {
		return sc.numeric(i, j)
	}
	if isAlpha[c] {
		return sc.word(i, j, h)
	}
	sc.step()
	return j
}

func (sc *scanner) allHex(i, j int) bool {
	for k := i; k < j; k++ {
		if !isHexT[sc.src[k]] {
			return false
		}
	}
	return true
}

// ---- known values ----

func (sc *scanner) matchKnown(i, j int, h uint64) (int, Category) {
	k := sc.known
	if isDig[sc.src[i]] && len(k.digits) > 0 {
		if e, cat := sc.knownDigits(i); e > 0 {
			return e, cat
		}
	}
	if k.ntok == 0 {
		return -1, 0
	}
	e, ok := k.get(h)
	if !ok {
		return -1, 0
	}
	best, bestCat := -1, Category(0)
	if e.hasSingle {
		best, bestCat = j, e.single
	}
	for s := e.firstSeq; s >= 0; s = k.seqs[s].next {
		q := k.seqs[s]
		end := j
		ok := true
		for t := int32(1); t < q.n; t++ {
			// skip up to 3 separator bytes
			p := end
			for p < len(sc.src) && p-end < 3 && !isTok[sc.src[p]] && sc.src[p] != '\n' {
				p++
			}
			if p == end || p >= len(sc.src) || !isTok[sc.src[p]] {
				ok = false
				break
			}
			pe := sc.tokEnd(p)
			if hashTok(sc.src[p:pe]) != k.hashes[q.start+t] {
				ok = false
				break
			}
			end = pe
		}
		if ok && end > best {
			best, bestCat = end, q.cat
		}
	}
	return best, bestCat
}

// knownDigits matches known digit-form values (phones, SSNs, numeric ids)
// at i regardless of punctuation.
func (sc *scanner) knownDigits(i int) (int, Category) {
	if sc.known == nil || len(sc.known.digits) == 0 {
		return -1, 0
	}
	src := sc.src
	k := i
	var v, v1 uint64 // v1: without a leading country code "1"
	nd, nd1 := 0, -1
	best, bestCat := -1, Category(0)
	groups := 0
	for k < len(src) && nd < 20 {
		for k < len(src) && (src[k] == '(' || src[k] == '+') && k-i < 2 {
			k++
		}
		s := k
		for k < len(src) && isDig[src[k]] {
			v = v*10 + uint64(src[k]-'0')
			if nd1 >= 0 {
				v1 = v1*10 + uint64(src[k]-'0')
				nd1++
			}
			nd++
			k++
		}
		if k == s {
			break
		}
		groups++
		if groups == 1 && nd == 1 && v == 1 {
			nd1 = 0
		}
		// only when some value has this many digits
		if dl := sc.known.dlens; dl&(1<<nd) != 0 || (nd1 >= 0 && dl&(1<<nd1) != 0) {
			for _, d := range sc.known.digits {
				if (int(d.n) == nd && d.v == v) || (int(d.n) == nd1 && d.v == v1) {
					if k > best {
						best, bestCat = k, d.cat
					}
				}
			}
		}
		// one separator (or ") ") then more digits
		p := k
		if p < len(src) && (src[p] == ')' || src[p] == '-' || src[p] == '.' || src[p] == ' ' || src[p] == '/') {
			p++
			if p < len(src) && src[p-1] == ')' && (src[p] == ' ' || src[p] == '-') {
				p++
			}
		}
		if p == k || p >= len(src) || !isDig[src[p]] {
			break
		}
		k = p
	}
	if best > 0 && !sc.boundaryOK(best) {
		return -1, 0
	}
	return best, bestCat
}

// ---- numbers ----

func (sc *scanner) num(i, maxd int) (v, e int) {
	e = i
	for e < len(sc.src) && isDig[sc.src[e]] && e-i < maxd {
		v = v*10 + int(sc.src[e]-'0')
		e++
	}
	return v, e
}

func (sc *scanner) numeric(i, j int) int {
	src := sc.src
	// continuation of a number: 13.2, 120/80, 2345-7, 10:30, x10^3
	if i >= 2 {
		switch src[i-1] {
		case '.', ',', '/', '-', ':', '^':
			if p := src[i-2]; isDig[p] || p == ']' || i-1 == sc.lastRep {
				sc.step()
				return j
			}
		}
	}
	d := sc.digEnd(i)
	nd := d - i
	pure := d == j
	if pure && nd <= 3 && sc.at(d) == '.' {
		if e := sc.ipv4(i); e > 0 && sc.rep(i, e, IP, false) {
			return e
		}
	}
	if pure {
		if e := sc.numDate(i, d); e > 0 && sc.rep(i, e, Date, false) {
			return e
		}
		if nd == 3 && sc.at(d) == '-' {
			if e := sc.ssnDashed(i); e > 0 && sc.rep(i, e, SSN, false) {
				return e
			}
		}
	}
	if e, strong := sc.phoneAt(i); e > 0 && (strong || sc.cue == cuePhone || sc.cue == cueFax) {
		if sc.rep(i, e, sc.phoneCat(), false) {
			return e
		}
	}
	if pure {
		if sc.cue == cueZip && nd == 5 {
			e := d
			if sc.at(d) == '-' && sc.digEnd(d+1)-(d+1) == 4 {
				e = d + 5
			}
			if sc.rep(i, e, ZIP, false) {
				return e
			}
		}
		if sc.cue == cueSSN {
			if e := sc.ssnLoose(i); e > 0 && sc.rep(i, e, SSN, false) {
				return e
			}
		}
	}
	if nd >= 2 && nd <= 3 {
		if v, _ := sc.num(i, 3); v >= 90 && v <= 150 {
			if (sc.cue == cueAge && (pure || sc.ageUnit(d))) || sc.ageUnit(d) {
				if sc.rep(i, d, Age, true) {
					return d
				}
			}
		}
	}
	if pure && nd <= 6 {
		if e := sc.street(i, d); e > 0 && sc.rep(i, e, Address, false) {
			return e
		}
	}
	if sc.cue == cueID {
		if e := sc.idSpan(i); e > 0 && sc.rep(i, e, sc.cueCat, false) {
			return e
		}
	}
	if nd <= 2 {
		if e := sc.dayMonth(i, d, j); e > 0 && sc.rep(i, e, Date, false) {
			return e
		}
	}
	if sc.s.longDigits > 0 && nd >= sc.s.longDigits && sc.codeCue == 0 {
		if !(sc.at(d) == '.' && isDig[sc.at(d+1)]) && sc.rep(i, j, OtherID, false) {
			return j
		}
	}
	sc.step()
	return j
}

func (sc *scanner) ipv4(i int) int {
	k := i
	for g := 0; g < 4; g++ {
		if g > 0 {
			if sc.at(k) != '.' || !isDig[sc.at(k+1)] {
				return -1
			}
			k++
		}
		v, e := sc.num(k, 3)
		if e-k > 3 || v > 255 {
			return -1
		}
		k = e
	}
	if sc.at(k) == '.' && isDig[sc.at(k+1)] {
		return -1
	}
	return k
}

func (sc *scanner) ipv6(i int) int {
	src := sc.src
	k := i
	groups, dbl, digit, stop := 0, false, false, false
	if sc.at(k) == ':' {
		if sc.at(k+1) != ':' {
			return -1
		}
		dbl = true
		k += 2
	}
	end := k
	for k < len(src) {
		s := k
		for k < len(src) && isHexT[src[k]] && k-s < 5 {
			if isDig[src[k]] {
				digit = true
			}
			k++
		}
		if k-s > 4 {
			return -1
		}
		if k == s {
			break
		}
		if sc.at(k) == '.' && groups >= 1 {
			if e := sc.ipv4(s); e > 0 {
				groups += 2
				end = e
				break
			}
			return -1
		}
		groups++
		end = k
		if sc.at(k) == ':' && sc.at(k+1) == ':' {
			if dbl {
				stop = true // a second "::" starts another address
				break
			}
			dbl = true
			k += 2
			end = k
			continue
		}
		if sc.at(k) == ':' && isHexT[sc.at(k+1)] {
			k++
			continue
		}
		break
	}
	if end < len(src) && (isTok[src[end]] || (src[end] == ':' && !stop)) {
		return -1
	}
	if !digit || groups > 8 {
		return -1
	}
	if !(dbl && groups >= 2) && !(!dbl && groups == 8) && !(dbl && groups >= 1 && src[i] == ':') {
		return -1
	}
	// do not end on "::" followed by nothing useful is fine; trim nothing
	return end
}

func (sc *scanner) ssnDashed(i int) int {
	// ddd-dd-dddd
	if sc.digEnd(i) != i+3 || sc.at(i+3) != '-' || sc.digEnd(i+4) != i+6 || sc.at(i+6) != '-' || sc.digEnd(i+7) != i+11 {
		return -1
	}
	if c := sc.at(i + 11); c == '-' && isDig[sc.at(i+12)] {
		return -1
	}
	return i + 11
}

// ssnLoose: 9 digits, or ddd dd dddd / ddd.dd.dddd, after an SSN cue.
func (sc *scanner) ssnLoose(i int) int {
	d := sc.digEnd(i)
	if d-i == 9 {
		return d
	}
	if d-i == 3 {
		s := sc.at(d)
		if (s == ' ' || s == '.' || s == '-') && sc.digEnd(d+1) == d+3 && sc.at(d+3) == s && sc.digEnd(d+4) == d+8 {
			return d + 8
		}
	}
	return -1
}

// phoneCore parses a NANP number at i: (ddd) ddd-dddd, ddd-ddd-dddd,
// ddd.ddd.dddd, ddd ddd dddd, dddddddddd, ddd-dddd, with an optional
// extension. strong reports a punctuated 10-digit form.
func (sc *scanner) phoneCore(i int) (end int, strong bool) {
	src := sc.src
	k := i
	if sc.at(k) == '(' {
		if sc.digEnd(k+1) != k+4 || sc.at(k+4) != ')' {
			return -1, false
		}
		k += 5
		if c := sc.at(k); c == ' ' || c == '-' {
			k++
		}
		d := sc.digEnd(k)
		switch {
		case d-k == 7:
			end = d
		case d-k == 3 && (sc.at(d) == '-' || sc.at(d) == '.' || sc.at(d) == ' ') && sc.digEnd(d+1) == d+5:
			end = d + 5
		default:
			return -1, false
		}
		strong = true
	} else {
		d := sc.digEnd(k)
		switch d - k {
		case 10:
			end = d
		case 3:
			s1 := sc.at(d)
			if s1 != '-' && s1 != '.' && s1 != ' ' {
				return -1, false
			}
			d2 := sc.digEnd(d + 1)
			switch d2 - (d + 1) {
			case 3:
				s2 := sc.at(d2)
				if (s2 == '-' || s2 == '.' || s2 == ' ') && sc.digEnd(d2+1) == d2+5 {
					end = d2 + 5
					strong = !(s1 == ' ' && s2 == ' ')
				} else {
					return -1, false
				}
			case 4:
				if s1 != '-' {
					return -1, false
				}
				end = d2
			default:
				return -1, false
			}
		default:
			return -1, false
		}
	}
	if end < len(src) && (isTok[src[end]] || ((src[end] == '-' || src[end] == '.') && isDig[sc.at(end+1)])) {
		return -1, false
	}
	// extension
	p := end
	if sc.at(p) == ',' {
		p++
	}
	if sc.at(p) == ' ' {
		p++
	}
	if w := sc.tokEnd(p); w > p {
		q := w
		switch t := src[p:w]; {
		case eqFold(t, "x") || eqFold(t, "ext") || eqFold(t, "extension"):
		case len(t) > 1 && (t[0]|0x20) == 'x' && isDig[t[1]]:
			q = p + 1
		default:
			q = -1
		}
		if q > 0 {
			if sc.at(q) == '.' {
				q++
			}
			if sc.at(q) == ' ' {
				q++
			}
			if e := sc.digEnd(q); e > q && e-q <= 6 && sc.boundaryOK(e) {
				end = e
			}
		}
	}
	return end, strong
}

// phoneAt parses a phone at digit i, with an optional leading "1-".
func (sc *scanner) phoneAt(i int) (int, bool) {
	if sc.src[i] == '1' {
		if c := sc.at(i + 1); (c == '-' || c == '.' || c == ' ') && (isDig[sc.at(i+2)] || sc.at(i+2) == '(') {
			if e, strong := sc.phoneCore(i + 2); e > 0 && (strong || sc.digEnd(i+2) == e) {
				return e, strong
			}
		}
	}
	return sc.phoneCore(i)
}

// plusPhone: "+" then 8..15 digits in groups separated by spaces, dashes,
// dots or parens; the longest such prefix ending at a group end.
func (sc *scanner) plusPhone(i int) int {
	src := sc.src
	k := i + 1
	nd, best := 0, -1
	for k < len(src) {
		c := src[k]
		if isDig[c] {
			nd++
			k++
			if nd > 15 {
				break
			}
			if nd >= 8 && (k >= len(src) || !isDig[src[k]]) && sc.boundaryOK(k) {
				best = k
			}
			continue
		}
		if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') && k+1 < len(src) && (isDig[src[k+1]] || src[k+1] == '(') {
			k++
			continue
		}
		if c == ')' && k+1 < len(src) && src[k+1] == ' ' {
			k++
			continue
		}
		break
	}
	return best
}

// numDate parses a numeric date starting at the digit run src[i:d].
func (sc *scanner) numDate(i, d int) int {
	src := sc.src
	nd := d - i
	switch nd {
	case 8, 10, 12, 14:
		v, _ := sc.num(i, 8)
		y, m, dd := v/10000, v/100%100, v%100
		if validYMD(y, m, dd) {
			if nd == 8 {
				return d
			}
			h, _ := sc.num(i+8, 2)
			mi := 0
			if nd >= 12 {
				mi, _ = sc.num(i+10, 2)
			}
			if h > 23 || mi > 59 {
				return -1
			}
			e := d
			if sc.at(e) == '.' && isDig[sc.at(e+1)] {
				e = sc.digEnd(e + 1)
			}
			if c := sc.at(e); (c == '+' || c == '-') && sc.digEnd(e+1) == e+5 {
				e += 5
			}
			return e
		}
		if nd == 8 {
			a, b := v/1000000, v/10000%100
			yy := v % 10000
			if validYMD(yy, a, b) && (sc.dateCue > 0 || (sc.known != nil && sc.known.hasDate(yy, a, b))) {
				return d
			}
			if validYMD(yy, b, a) && (sc.dateCue > 0 || (sc.known != nil && sc.known.hasDate(yy, b, a))) {
				return d
			}
		}
		return -1
	case 4:
		// YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY-MM
		s := sc.at(d)
		if s != '-' && s != '/' && s != '.' {
			return -1
		}
		y, _ := sc.num(i, 4)
		m, e := sc.num(d+1, 2)
		if e-(d+1) < 1 || isDig[sc.at(e)] {
			return -1
		}
		if sc.at(e) == s && isDig[sc.at(e+1)] {
			day, e2 := sc.num(e+1, 2)
			if !validYMD(y, m, day) || isDig[sc.at(e2)] {
				return -1
			}
			return sc.isoTime(e2)
		}
		if s != '.' && e-(d+1) == 2 && validYMD(y, m, 1) && !isTok[sc.at(e)] && !(sc.at(e) == s && isDig[sc.at(e+1)]) {
			return e // year-month
		}
		return -1
	case 1, 2:
		s := sc.at(d)
		if s != '-' && s != '/' && s != '.' {
			return -1
		}
		a, _ := sc.num(i, 2)
		run := sc.digEnd(d+1) - (d + 1)
		if run < 1 || run > 2 {
			b, e := sc.num(d+1, 4)
			if s != '.' && run == 4 && a >= 1 && a <= 12 && validYMD(b, a, 1) && !isTok[sc.at(e)] &&
				!(sc.at(e) == s && isDig[sc.at(e+1)]) {
				return e // MM/YYYY
			}
			return -1
		}
		b, e := sc.num(d+1, 2)
		if sc.at(e) == s && isDig[sc.at(e+1)] {
			yl := sc.digEnd(e+1) - (e + 1)
			y, e2 := sc.num(e+1, 4)
			if (yl != 2 && yl != 4) || (s == '.' && yl != 4) {
				return -1
			}
			if yl == 2 {
				y += 1900
				if y < 1950 {
					y += 100
				}
			}
			if validYMD(y, a, b) || validYMD(y, b, a) || (yl == 2 && (validYMD(y+100, a, b) || validYMD(y-100, a, b))) {
				if c := sc.at(e2); (c == s || c == '.') && isDig[sc.at(e2+1)] {
					return -1
				}
				return e2
			}
			return -1
		}
		// month/day without year: only after a date cue, '/' or '-'
		if sc.dateCue > 0 && s != '.' && validYMD(2000, a, b) && !isTok[sc.at(e)] && !((sc.at(e) == '/' || sc.at(e) == '-' || sc.at(e) == '.') && isDig[sc.at(e+1)]) {
			return e
		}
	}
	_ = src
	return -1
}

// isoTime extends a date ending at e over "Thh:mm[:ss[.f]][Z|±hh:mm]".
func (sc *scanner) isoTime(e int) int {
	if c := sc.at(e); (c == 'T' || c == 't') && sc.digEnd(e+1) == e+3 && sc.at(e+3) == ':' && sc.digEnd(e+4) == e+6 {
		k := e + 6
		if sc.at(k) == ':' && sc.digEnd(k+1) == k+3 {
			k += 3
			if sc.at(k) == '.' && isDig[sc.at(k+1)] {
				k = sc.digEnd(k + 1)
			}
		}
		if c := sc.at(k); c == 'Z' || c == 'z' {
			k++
		} else if (c == '+' || c == '-') && sc.digEnd(k+1) == k+3 && sc.at(k+3) == ':' && sc.digEnd(k+4) == k+6 {
			k += 6
		}
		return k
	}
	return e
}

// ageUnit reports whether an age unit follows the number ending at d:
// "yo", "y.o.", "y/o", "year old", "years old", "-year-old", "yrs old", "years of age".
func (sc *scanner) ageUnit(d int) bool {
	k := d
	if c := sc.at(k); c == ' ' || c == '-' {
		k++
	}
	w := sc.tokEnd(k)
	if w == k || w-k > 5 {
		return false
	}
	t := sc.src[k:w]
	switch {
	case eqFold(t, "yo") || eqFold(t, "yoa"):
		return true
	case eqFold(t, "y"):
		return (sc.at(w) == '.' || sc.at(w) == '/') && (sc.at(w+1)|0x20) == 'o'
	case eqFold(t, "year") || eqFold(t, "years") || eqFold(t, "yr") || eqFold(t, "yrs"):
		p := w
		if c := sc.at(p); c == ' ' || c == '-' {
			p++
		}
		q := sc.tokEnd(p)
		nw := sc.src[p:q]
		return eqFold(nw, "old") || (eqFold(nw, "of") && sc.at(q) == ' ' && eqFold(sc.src[q+1:min(q+4, len(sc.src))], "age"))
	}
	return false
}

// street parses "123 Main St[.] [NW] [, Apt 4]" starting at the number src[i:d].
func (sc *scanner) street(i, d int) int {
	src := sc.src
	if sc.at(d) != ' ' {
		return -1
	}
	k := d + 1
	words, end := 0, -1
	for n := 0; n < 6 && k < len(src); n++ {
		w := sc.tokEnd(k)
		if w == k {
			break
		}
		tok := src[k:w]
		info, _ := lookup(tok)
		ord := isDig[tok[0]] && len(tok) >= 3 && isAlpha[tok[len(tok)-1]]
		if !(isUpper(tok[0]) && allAlpha(tok)) && !ord {
			break
		}
		if info.flags&fSuffix != 0 && words >= 1 {
			end = w
		}
		words++
		if sc.at(w) == '.' && sc.at(w+1) == ' ' {
			w++
		}
		if sc.at(w) != ' ' {
			break
		}
		k = w + 1
	}
	if end < 0 {
		return -1
	}
	// optional unit: [.][,] Apt 4 / Suite 200 / #4
	p := end
	if sc.at(p) == '.' {
		p++
	}
	if sc.at(p) == ',' {
		p++
	}
	if sc.at(p) == ' ' {
		p++
	}
	if sc.at(p) == '#' {
		if e := sc.tokEnd(p + 1); e > p+1 {
			return e
		}
		return end
	}
	if w := sc.tokEnd(p); w > p {
		if info, _ := lookup(src[p:w]); info.flags&fUnit != 0 {
			q := w
			if sc.at(q) == '.' {
				q++
			}
			if sc.at(q) == ' ' {
				q++
			}
			if sc.at(q) == '#' {
				q++
			}
			if e := sc.tokEnd(q); e > q && hasDigit(src[q:e]) {
				return e
			}
		}
	}
	return end
}

func allAlpha(b []byte) bool {
	for _, c := range b {
		if !isAlpha[c] {
			return false
		}
	}
	return true
}

func hasDigit(b []byte) bool {
	for _, c := range b {
		if isDig[c] {
			return true
		}
	}
	return false
}

// idSpan takes an identifier after an id cue: alphanumeric tokens joined by
// '-' or '/', at least 4 bytes with at least 2 digits, not a decimal number.
func (sc *scanner) idSpan(i int) int {
	e := sc.tokEnd(i)
	for (sc.at(e) == '-' || sc.at(e) == '/') && isTok[sc.at(e+1)] {
		e = sc.tokEnd(e + 1)
	}
	if sc.at(e) == '.' && isDig[sc.at(e+1)] {
		return -1
	}
	nd := 0
	for _, c := range sc.src[i:e] {
		if isDig[c] {
			nd++
		}
	}
	if e-i < 4 || nd < 2 {
		return -1
	}
	return e
}

// dayMonth parses day-first dates: "4 March 2021", "4th of March", "04-Mar-2021".
func (sc *scanner) dayMonth(i, d, j int) int {
	day, _ := sc.num(i, 2)
	if day < 1 || day > 31 {
		return -1
	}
	if j > d {
		if !isOrdinal(sc.src[d:j]) {
			return -1
		}
	}
	k := j
	sep := sc.at(k)
	if sep != ' ' && sep != '-' && sep != '/' {
		return -1
	}
	k++
	w := sc.tokEnd(k)
	if sep == ' ' && w-k == 2 && (sc.src[k]|0x20) == 'o' && (sc.src[k+1]|0x20) == 'f' && sc.at(w) == ' ' {
		k = w + 1
		w = sc.tokEnd(k)
	}
	if !sc.isMonth(k, w) {
		return -1
	}
	e := w
	if sc.at(e) == '.' && sep == ' ' {
		e++
	}
	if c := sc.at(e); (c == sep || c == ' ' || c == ',') && isDig[sc.at(e+1)] || (c == ',' && sc.at(e+1) == ' ' && isDig[sc.at(e+2)]) {
		p := e + 1
		if sc.at(p) == ' ' {
			p++
		}
		if y, ye := sc.num(p, 4); ye-p == 4 && y >= 1800 && y <= 2199 && !isTok[sc.at(ye)] {
			return ye
		}
	}
	return w
}

// isMonth reports whether src[k:w] names a month ("May", "Mar" and "March"
// must be capitalized to be taken as a month).
func (sc *scanner) isMonth(k, w int) bool {
	if w <= k {
		return false
	}
	info, ok := lookup(sc.src[k:w])
	if !ok || info.month == 0 {
		return false
	}
	if (info.month == 5 || info.month == 3) && !isUpper(sc.src[k]) {
		return false
	}
	return true
}

// monthFirst parses "March 4, 2021", "Mar 4", "Jan 1 1978", "March 2021",
// "Mar-04-2021" at the month word src[i:j].
func (sc *scanner) monthFirst(i, j int) int {
	if !sc.isMonth(i, j) {
		return -1
	}
	k := j
	if sc.at(k) == '.' {
		k++
	}
	sep := sc.at(k)
	if sep == ',' && sc.at(k+1) == ' ' {
		k++
		sep = ' '
	}
	if sep != ' ' && sep != '-' && sep != '/' {
		return -1
	}
	k++
	v, d := sc.num(k, 4)
	nd := d - k
	if nd == 4 && v >= 1800 && v <= 2199 && !isTok[sc.at(d)] {
		return d // month year
	}
	if nd < 1 || nd > 2 || v < 1 || v > 31 {
		return -1
	}
	e := d
	if w := sc.tokEnd(d); w > d {
		if !isOrdinal(sc.src[d:w]) {
			return -1
		}
		e = w
	}
	// optional year
	p := e
	if sc.at(p) == ',' {
		p++
	}
	if c := sc.at(p); c == ' ' || (c == sep && sep != ' ') {
		p++
		if y, ye := sc.num(p, 4); ye-p == 4 && y >= 1800 && y <= 2199 && !isTok[sc.at(ye)] {
			return ye
		}
	}
	if c := sc.at(e); (c == '/' || c == '-' || c == '.' || c == ':') && isDig[sc.at(e+1)] {
		return -1
	}
	return e
}

// ---- words ----

func (sc *scanner) word(i, j int, h uint64) int {
	src := sc.src
	tok := src[i:j]
	info, inTable := lookupH(tok, h)
	capital := isUpper(tok[0])
	// A capitalized word right after a name ("[NAME] Haddad" when only the
	// given name was known) continues it.
	if sc.nameEnd >= 0 && i == sc.nameEnd+1 && src[sc.nameEnd] == ' ' && capital && !inTable && allAlpha(tok) {
		if e := sc.nameSpan(i, false); e > 0 && sc.rep(i, e, Name, false) {
			return e
		}
	}
	// Names after a cue.
	if (sc.cue == cueTitle || sc.cue == cueName) && capital && !inTable && allAlpha(tok) {
		if e := sc.nameSpan(i, sc.cue == cueTitle); e > 0 && sc.rep(i, e, Name, false) {
			return e
		}
	}
	// Identifiers with letters after an id cue ("MRN A123456").
	if sc.cue == cueID {
		if e := sc.idSpan(i); e > 0 && sc.rep(i, e, sc.cueCat, false) {
			return e
		}
	}
	if info.month != 0 {
		if e := sc.monthFirst(i, j); e > 0 && sc.rep(i, e, Date, false) {
			return e
		}
	}
	if capital && !inTable && allAlpha(tok) {
		if e, cat := sc.capComma(i, j); e > 0 && sc.rep(i, e, cat, false) {
			return e
		}
	}
	// P.O. Box / PO Box
	if (j-i == 2 && (tok[0]|0x20) == 'p' && (tok[1]|0x20) == 'o') || (j-i == 1 && (tok[0]|0x20) == 'p' && sc.at(j) == '.' && (sc.at(j+1)|0x20) == 'o' && sc.at(j+2) == '.') {
		if e := sc.poBox(i, j); e > 0 && sc.rep(i, e, Address, false) {
			return e
		}
	}
	// Cue updates. "ID" is both Idaho and the most common identifier cue in
	// notes: the cue wins (a ZIP after it is still scrubbed, as an [ID]).
	if isState(tok) && !(inTable && info.cue == cueID) {
		sc.setCue(cueZip, 0, 1)
		sc.aux()
		return j
	}
	if !inTable {
		sc.step()
		return j
	}
	switch {
	case info.flags&fBy != 0 && sc.cue == cueBy:
		sc.setCue(cueName, 0, 1)
	case info.flags&fRecord != 0 && sc.cue == cueMedical:
		sc.setCue(cueID, MRN, 3)
	case info.flags&fSecurity != 0 && sc.cue == cueSocial:
		sc.setCue(cueSSN, 0, 3)
	case info.cue == cueTitle && j-i == 2 && (tok[0]|0x20) == 'm' && (tok[1]|0x20) == 'r' && sc.at(j) == '#':
		sc.setCue(cueID, MRN, 3)
	case info.cue == cueFax:
		sc.setCue(cueFax, 0, info.ttl)
		sc.fax = 5
	case info.cue == cuePhone:
		sc.setCue(cuePhone, 0, info.ttl)
		sc.fax = 0
	case info.cue == cueID && info.cat == OtherID && sc.cue == cueID && sc.ttl > 0:
		// "member id", "patient id": keep the more specific category
		sc.ttl = 3
	case info.cue == cueID && info.cat == MRN && sc.cue == cueID:
		sc.setCue(cueID, MRN, 3)
	case info.cue == cueName && sc.cue == cueID && sc.ttl > 0:
		sc.step() // "account name" etc: keep the id cue
	case info.cue != cueNone:
		sc.setCue(info.cue, info.cat, info.ttl)
	default:
		sc.step()
	}
	if info.flags&fDate != 0 {
		sc.dateCue = 3
	}
	if info.flags&fCode != 0 {
		if !(eqFold(tok, "npi") && sc.s.scrubNPI) {
			sc.codeCue = 3
			if sc.cue == cueID {
				sc.cue, sc.ttl = cueNone, 0
			}
		}
	}
	return j
}

// aux ages only the auxiliary counters (used when a token sets the main cue).
func (sc *scanner) aux() {
	if sc.fax > 0 {
		sc.fax--
	}
	if sc.dateCue > 0 {
		sc.dateCue--
	}
	if sc.codeCue > 0 {
		sc.codeCue--
	}
}

// nameTok reports whether src[k:w] can be part of a name.
func (sc *scanner) nameTok(k, w int, allCaps bool) bool {
	if w <= k || !isUpper(sc.src[k]) {
		return false
	}
	tok := sc.src[k:w]
	if !allAlpha(tok) {
		return false
	}
	if _, in := lookup(tok); in {
		return false
	}
	if len(tok) == 1 {
		return sc.at(w) == '.' || (sc.at(w) == '\'' && isUpper(sc.at(w+1)))
	}
	if !allCaps {
		for _, c := range tok[1:] {
			if isLower(c) {
				return true
			}
		}
		return false
	}
	return true
}

// nameSpan extends a name from the capitalized token at i over up to four
// name tokens joined by a space, '-', '\” or an initial's ". ".
func (sc *scanner) nameSpan(i int, allCaps bool) int {
	w := sc.tokEnd(i)
	if !sc.nameTok(i, w, allCaps) {
		return -1
	}
	end := w
	for n := 1; n < 4; n++ {
		p := end
		switch c := sc.at(p); {
		case c == '-' || c == '\'':
			p++
		case c == ' ':
			p++
		case c == '.' && end-sc.tokStart(end) == 1 && sc.at(p+1) == ' ':
			p += 2
		default:
			return end
		}
		q := sc.tokEnd(p)
		if !sc.nameTok(p, q, allCaps) {
			// a lowercase particle ("van der", "de la", "bin") continues a
			// name when a capitalized name part follows it
			r := q
			for k := 0; k < 2 && isParticle(sc.src[p:r]) && sc.at(r) == ' '; k++ {
				p2 := r + 1
				q2 := sc.tokEnd(p2)
				if sc.nameTok(p2, q2, allCaps) {
					q = q2
					r = -1
					break
				}
				p, r = p2, q2
			}
			if r != -1 {
				return end
			}
		}
		end = q
	}
	return end
}

// isParticle reports whether tok is a lowercase surname particle.
func isParticle(tok []byte) bool {
	switch string(tok) {
	case "van", "von", "der", "den", "de", "del", "della", "la", "le", "da", "di", "du", "dos", "das", "bin", "ibn", "al", "el", "ten", "ter", "st":
		return true
	}
	return false
}

func (sc *scanner) tokStart(e int) int {
	s := e
	for s > 0 && isTok[sc.src[s-1]] {
		s--
	}
	return s
}

// capComma looks at up to three capitalized name-like words starting with
// the token src[i:j] and ending at a comma; it detects a city before
// ", ST 12345" (Address) and a signature name before ", MD" (Name).
func (sc *scanner) capComma(i, j int) (int, Category) {
	k, w := i, j
	for n := 0; n < 3; n++ {
		if n > 0 {
			w = sc.tokEnd(k)
			if !sc.nameTok(k, w, false) {
				return -1, 0
			}
		}
		switch sc.at(w) {
		case ',':
			p := w + 1
			if sc.at(p) == ' ' {
				p++
			}
			q := sc.tokEnd(p)
			if q-p == 2 && isState(sc.src[p:q]) && sc.at(q) == ' ' {
				if d := sc.digEnd(q + 1); d-(q+1) == 5 && !isTok[sc.at(d)] {
					return w, Address
				}
			}
			if q > p && q-p <= 6 && credentials[string(sc.src[p:q])] && !isTok[sc.at(q)] {
				return w, Name
			}
			return -1, 0
		case ' ':
			k = w + 1
		case '.':
			if w-k != 1 || sc.at(w+1) != ' ' {
				return -1, 0
			}
			k = w + 2
		default:
			return -1, 0
		}
	}
	return -1, 0
}

func (sc *scanner) poBox(i, j int) int {
	k := j
	if sc.at(k) == '.' { // "P.O."
		k = sc.tokEnd(k + 1)
		if sc.at(k) != '.' {
			return -1
		}
		k++
	}
	if sc.at(k) == ' ' {
		k++
	}
	w := sc.tokEnd(k)
	if !eqFold(sc.src[k:w], "box") || sc.at(w) != ' ' {
		return -1
	}
	if e := sc.digEnd(w + 1); e > w+1 && !isTok[sc.at(e)] {
		return e
	}
	return -1
}

// email parses local@domain.tld starting at i.
func (sc *scanner) email(i int) int {
	src := sc.src
	k := i
	for k < len(src) && k-i < 64 && (isTok[src[k]] && src[k] < 0x80 || src[k] == '.' || src[k] == '_' || src[k] == '-' || src[k] == '+' || src[k] == '%') {
		k++
	}
	if sc.at(k) != '@' || k == i {
		return -1
	}
	k++
	labels, end, lastAlpha := 0, -1, true
	for k < len(src) {
		s := k
		alpha := true
		for k < len(src) && (isAlpha[src[k]] || isDig[src[k]] || src[k] == '-') {
			if !isAlpha[src[k]] {
				alpha = false
			}
			k++
		}
		if k == s || src[k-1] == '-' {
			break
		}
		labels++
		end, lastAlpha = k, alpha && k-s >= 2
		if sc.at(k) == '.' && isAlpha[sc.at(k+1)] || sc.at(k) == '.' && isDig[sc.at(k+1)] {
			k++
			continue
		}
		break
	}
	if labels < 2 || !lastAlpha {
		return -1
	}
	return end
}

// url parses http(s)://... or www.... up to whitespace or a quote/bracket,
// without trailing punctuation.
func (sc *scanner) url(i, j int) int {
	src := sc.src
	k := j
	t := src[i:j]
	switch {
	case eqFold(t, "http") || eqFold(t, "https") || eqFold(t, "ftp"):
		if sc.at(k) != ':' || sc.at(k+1) != '/' || sc.at(k+2) != '/' || !isTok[sc.at(k+3)] {
			return -1
		}
		k += 3
	case eqFold(t, "www"):
		if sc.at(k) != '.' || !isTok[sc.at(k+1)] {
			return -1
		}
	default:
		return -1
	}
	for k < len(src) {
		c := src[k]
		if c <= ' ' || c == '"' || c == '<' || c == '>' || c == '\'' || c == '[' || c == ']' || c == '`' || c == '{' || c == '}' || c == '|' || c == '\\' || c == 0x7f {
			break
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRune(src[k:])
			if r == utf8.RuneError || size <= 1 {
				break
			}
			k += size
			continue
		}
		k++
	}
	// Stopped inside a token (an invalid UTF-8 byte): back off to a token
	// boundary so the span never cuts a token.
	if k < len(src) && isTok[src[k]] {
		for k > j && isTok[src[k-1]] {
			k--
		}
	}
	for k > j {
		c := src[k-1]
		if c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' || c == '(' {
			k--
			continue
		}
		break
	}
	if k <= j+1 || !sc.boundaryOK(k) {
		return -1
	}
	return k
}
