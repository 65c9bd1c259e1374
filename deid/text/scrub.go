package text

import "sync"

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
	lex        *lexicon
}

// New returns a Scrubber configured by opts.
func New(opts Options) *Scrubber {
	s := &Scrubber{longDigits: opts.LongNumberDigits, scrubNPI: opts.ScrubNPI, lex: loadLexicon()}
	if s.longDigits == 0 {
		s.longDigits = 7
	}
	return s
}

// Span is one detected PHI value: text[Start:End] is of category Cat.
type Span struct {
	Start, End int
	Cat        Category
}

// ScrubString is Scrub for strings.
func (s *Scrubber) ScrubString(text string, known *Known, counts *Counts) string {
	return string(s.Scrub(make([]byte, 0, len(text)+32), []byte(text), known, counts))
}

var spanPool = sync.Pool{New: func() any { b := make([]Span, 0, 64); return &b }}

// Scrub appends text with every detected PHI value replaced by its category
// tag to dst and returns the extended slice. Values in known (may be nil)
// are matched first, then the generic detectors run. For each replacement
// the count of its category in counts (may be nil) is incremented. Scrub
// replaces exactly the spans that [Scrubber.Spans] returns.
//
// Output bound: every replacement substitutes at least one input byte with
// a tag of at most MaxTagLen bytes, so the appended output is at most
// len(text) + (MaxTagLen-1)*r bytes long, where r is the number of
// replacements made by this call (the increase of counts.Total()).
// Tags already present in text ("[NAME]", "[DATE]", ...) are kept as they
// are, so scrubbing is idempotent. Valid UTF-8 input gives valid UTF-8 output
// (replacements start and end on ASCII bytes).
func (s *Scrubber) Scrub(dst, text []byte, known *Known, counts *Counts) []byte {
	bp := spanPool.Get().(*[]Span)
	spans := s.Spans(text, known, (*bp)[:0])
	last := 0
	for _, sp := range spans {
		dst = append(dst, text[last:sp.Start]...)
		dst = append(dst, sp.Cat.Tag()...)
		last = sp.End
		if counts != nil {
			counts[sp.Cat]++
		}
	}
	dst = append(dst, text[last:]...)
	*bp = spans[:0]
	spanPool.Put(bp)
	return dst
}

// Spans appends to dst the PHI spans detected in text, in increasing order
// and not overlapping, and returns the extended slice. Every span starts and
// ends on a token boundary and covers at least one byte. Values in known
// (may be nil) are matched first, then the pattern, cue and dictionary
// detectors run.
func (s *Scrubber) Spans(text []byte, known *Known, dst []Span) []Span {
	if hasFormatEscape(text) {
		return s.spansEscaped(text, known, dst)
	}
	return s.spans(text, known, dst)
}

func (s *Scrubber) spans(text []byte, known *Known, dst []Span) []Span {
	sc := scanner{s: s, src: text, spans: dst, lastRep: -1, nameEnd: -1, prevEnd: -1}
	if known != nil && (known.ntok > 0 || len(known.digits) > 0 || len(known.dates) > 0) {
		sc.known = known
	}
	sc.run()
	return sc.spans
}

type scanner struct {
	s       *Scrubber
	src     []byte
	spans   []Span
	known   *Known
	lastRep int // end of the last replacement (or tag), -1 none
	nameEnd int // end of the last [NAME] replacement or tag, -1 none

	cue     cueKind
	cueCat  Category
	ttl     int8
	fax     int8 // tokens left in a fax context
	dateCue int8 // tokens left in a date context
	codeCue int8 // tokens left in a code context

	prevStart, prevEnd int    // the previous word token not replaced (prevEnd -1: none)
	prevFlags          uint64 // its dictionary flags

	list      bool // a name list after a plural kinship word may go on
	idHdr     bool // the id cue is the section header "ID:"
	addrLines int8 // lines after a street line that may continue the address
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
	sc.spans = append(sc.spans, Span{i, e, cat})
	sc.lastRep = e
	if cat == Name {
		sc.nameEnd = e
	}
	sc.reset()
	return true
}

// reset clears the cue context; done after every replacement and tag so a
// second pass over the output sees the same context.
func (sc *scanner) reset() {
	sc.cue, sc.ttl, sc.fax, sc.dateCue, sc.codeCue = cueNone, 0, 0, 0, 0
	sc.prevEnd = -1
	sc.list, sc.idHdr = false, false
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
	sc.idHdr = false
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
		case '\n':
			if sc.addrLines > 0 {
				sc.addrLines--
			}
		case '\'':
			// an apostrophe year: "CABG '98"; not right after a
			// replacement or tag, whose last byte differs between the
			// text and its scrubbed form ("2019-06-14'92" / "[DATE]'92")
			if (i == 0 || !isTok[src[i-1]]) && i != sc.lastRep && sc.digEnd(i+1) == i+3 && !isTok[sc.at(i+3)] && sc.at(i+3) != '\'' {
				if sc.rep(i, i+3, Date, false) {
					i += 3
					continue
				}
			}
		}
		i++
	}
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
