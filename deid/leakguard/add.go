package leakguard

import (
	"unicode"
	"unicode/utf8"
)

type span struct {
	a, b int32
	h    uint64 // hashToken of the token
}

// Add harvests value as an identifying value of category cat found at src
// (a PHI-free location such as "PID-3"), by the Rules of cat. Values too
// short or too common to identify are skipped; a Date value is parsed
// (HL7 YYYYMMDD[HHMM...], YYYY-MM-DD[Thh:mm...]) and kept only when full.
func (s *Set) Add(cat Category, src, value string) { s.add(cat, source{name: src}, []byte(value), 0) }

// AddName harvests a person's name: each part by the Name rule, and the
// full name in both orders ("given family", "family given"), in which
// common-word parts are matched too.
func (s *Set) AddName(src, family, given string) {
	s.addName(source{name: src}, []byte(family), []byte(given))
}

func (s *Set) addName(src source, family, given []byte) {
	s.add(Name, src, family, 0)
	s.add(Name, src, given, 0)
	if len(family) == 0 || len(given) == 0 {
		return
	}
	for _, order := range [2][2][]byte{{given, family}, {family, given}} {
		start := len(s.toks)
		firstLen := -1
		for _, part := range order {
			eachToken(part, func(tok []byte) {
				if firstLen < 0 {
					firstLen = len(tok)
				}
				s.toks = append(s.toks, hashToken(tok))
			})
		}
		if len(s.toks)-start >= 2 {
			s.addSeq(Name, src, start, firstLen, 0)
		} else {
			s.toks = s.toks[:start]
		}
	}
}

// tokens splits v into s.spans and counts its letters, digits and other
// (non-ASCII) token bytes.
func (s *Set) tokens(v []byte) (spans []span, letters, digits, high int) {
	s.spans = s.spans[:0]
	for i := 0; i < len(v); {
		if class[v[i]] == cSep {
			i++
			continue
		}
		j := i
		h := uint64(fnvOffset)
		hi := false
		for j < len(v) {
			c := v[j]
			switch class[c] {
			case cSep:
				goto end
			case cAlpha:
				letters++
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
			case cDigit:
				digits++
			default:
				high++
				hi = true
			}
			h = (h ^ uint64(c)) * fnvPrime
			j++
		}
	end:
		if hi {
			h = hashUnicode(v[i:j])
		}
		s.spans = append(s.spans, span{int32(i), int32(j), h})
		i = j
	}
	return s.spans, letters, digits, high
}

func (s *Set) add(cat Category, src source, v []byte, flags uint8) {
	if cat == Date {
		if y, m, d, ok := parseDate(v); ok {
			s.addDate(y, m, d, src)
		}
		return
	}
	spans, letters, digits, high := s.tokens(v)
	if len(spans) == 0 {
		return
	}
	alnum := letters + digits + high
	if cat != Phone && cat != ZIP && cat != Email {
		// a state or country is kept by Safe Harbor: never a hit
		var h uint64
		for _, sp := range spans {
			h = seqHash(h, sp.h)
		}
		if stateHash.has(h) {
			return
		}
	}
	allDigits := letters == 0 && high == 0
	r := &Rules[cat]
	switch cat {
	case Name:
		for _, sp := range spans {
			if flags&fWhole != 0 {
				break
			}
			tok := v[sp.a:sp.b]
			if utf8.RuneCount(tok) < r.MinLen || hasDigit(tok) {
				continue
			}
			h := sp.h
			if commonHash.has(h) {
				continue
			}
			start := len(s.toks)
			s.toks = append(s.toks, h)
			s.addSeq(Name, src, start, len(tok), flags)
			if high > 0 {
				s.addFolded(src, tok, flags)
			}
		}
		if len(spans) >= 2 && alnum >= r.MinLen {
			s.addSpans(cat, src, v, spans, flags)
		}
	case Identifier:
		switch {
		case digits == 0, alnum < r.MinLen, isOID(v), isOID(urnOID(v)):
			return
		case allDigits && digits < r.MinDigits:
			return
		}
		if allDigits && len(spans) == 1 {
			flags |= fDecimal
		}
		s.addSpans(cat, src, v, spans, flags)
		if len(spans) > 1 {
			for _, sp := range spans {
				if tok := v[sp.a:sp.b]; len(tok) >= 6 && onlyDigits(tok) {
					start := len(s.toks)
					s.toks = append(s.toks, hashToken(tok))
					s.addSeq(cat, src, start, len(tok), flags|fDecimal)
				}
			}
			if allDigits {
				s.addJoined(cat, src, v, spans, flags|fDecimal)
			}
		}
	case Phone:
		// the digits before any letter ("555-0123 ext 12": 5550123)
		n := 0
		for _, sp := range spans {
			if !onlyDigits(v[sp.a:sp.b]) {
				break
			}
			n++
		}
		spans = spans[:n]
		nd := 0
		for _, sp := range spans {
			nd += int(sp.b - sp.a)
		}
		if nd < r.MinDigits {
			return
		}
		flags |= fDecimal
		s.addSpans(cat, src, v, spans, flags)
		s.addJoined(cat, src, v, spans, flags)
		// without the country code 1
		if first := v[spans[0].a:spans[0].b]; nd == 11 && first[0] == '1' {
			if len(first) == 1 {
				spans = spans[1:]
				s.addSpans(cat, src, v, spans, flags)
			}
			s.addJoinedFrom(cat, src, v, spans, 1, flags)
			nd = 10
		}
		// without the area code: the last 7 digits
		if nd == 10 {
			s.addJoinedFrom(cat, src, v, spans, 3, flags)
			if k := len(spans); k >= 2 && spans[k-2].b-spans[k-2].a == 3 && spans[k-1].b-spans[k-1].a == 4 {
				s.addSpans(cat, src, v, spans[k-2:], flags)
			}
		}
	case ZIP:
		if !allDigits || digits < r.MinDigits {
			return
		}
		flags |= fDecimal
		s.addSpans(cat, src, v, spans, flags)
		if first := v[spans[0].a:spans[0].b]; len(spans) > 1 && len(first) >= 5 {
			s.addSpans(cat, src, v, spans[:1], flags)
		} else if len(spans) == 1 && len(first) == 9 {
			start := len(s.toks)
			s.toks = append(s.toks, hashToken(first[:5]))
			s.addSeq(cat, src, start, 5, flags)
		}
	default: // Email, Address
		if alnum < r.MinLen {
			return
		}
		if allDigits && digits < Rules[Identifier].MinDigits {
			return
		}
		if len(spans) == 1 && commonHash.has(spans[0].h) {
			return
		}
		if allDigits && len(spans) == 1 {
			flags |= fDecimal
		}
		s.addSpans(cat, src, v, spans, flags)
	}
}

// addSpans records the tokens of v at spans as one sequence.
func (s *Set) addSpans(cat Category, src source, v []byte, spans []span, flags uint8) {
	if len(spans) == 0 {
		return
	}
	start := len(s.toks)
	for _, sp := range spans {
		s.toks = append(s.toks, sp.h)
	}
	s.addSeq(cat, src, start, int(spans[0].b-spans[0].a), flags)
}

// addJoined records the digits of the tokens at spans run together.
func (s *Set) addJoined(cat Category, src source, v []byte, spans []span, flags uint8) {
	s.addJoinedFrom(cat, src, v, spans, 0, flags)
}

// addJoinedFrom is addJoined without the first skip digits.
func (s *Set) addJoinedFrom(cat Category, src source, v []byte, spans []span, skip int, flags uint8) {
	if len(spans) < 2 && skip == 0 {
		return
	}
	b := s.buf[:0]
	for _, sp := range spans {
		b = append(b, v[sp.a:sp.b]...)
	}
	s.buf = b
	if skip >= len(b) {
		return
	}
	b = b[skip:]
	start := len(s.toks)
	s.toks = append(s.toks, hashToken(b))
	s.addSeq(cat, src, start, len(b), flags)
}

// addFolded records tok with its Latin accents removed ("Zoë" → "Zoe").
func (s *Set) addFolded(src source, tok []byte, flags uint8) {
	b := s.buf[:0]
	changed := false
	for i := 0; i < len(tok); {
		r, n := utf8.DecodeRune(tok[i:])
		i += n
		if f, ok := accentFold[unicode.ToLower(r)]; ok {
			b = append(b, f...)
			changed = true
			continue
		}
		b = utf8.AppendRune(b, r)
	}
	s.buf = b
	if !changed {
		return
	}
	start := len(s.toks)
	s.toks = append(s.toks, hashToken(b))
	s.addSeq(Name, src, start, len(b), flags)
}

var accentFold = map[rune]string{}

func init() {
	for _, p := range [...][2]string{
		{"àáâãäåāăą", "a"}, {"æ", "ae"}, {"çćĉċč", "c"}, {"ďđ", "d"}, {"èéêëēĕėęě", "e"},
		{"ĝğġģ", "g"}, {"ĥħ", "h"}, {"ìíîïĩīĭįı", "i"}, {"ĵ", "j"}, {"ķ", "k"}, {"ĺļľŀł", "l"},
		{"ñńņňŉ", "n"}, {"òóôõöøōŏő", "o"}, {"œ", "oe"}, {"ŕŗř", "r"}, {"śŝşšș", "s"}, {"ß", "ss"},
		{"ţťŧț", "t"}, {"ùúûüũūŭůűų", "u"}, {"ŵ", "w"}, {"ýÿŷ", "y"}, {"źżž", "z"}, {"þ", "th"}, {"ð", "d"},
	} {
		for _, r := range p[0] {
			accentFold[r] = p[1]
		}
	}
}

// urnOID returns what follows "urn:oid:" (or "urn-oid-"), else nil.
func urnOID(v []byte) []byte {
	if len(v) > 8 && (v[0]|0x20) == 'u' && (v[1]|0x20) == 'r' && (v[2]|0x20) == 'n' &&
		(v[4]|0x20) == 'o' && (v[5]|0x20) == 'i' && (v[6]|0x20) == 'd' && (v[3] == ':' || v[3] == '-') && v[7] == v[3] {
		return v[8:]
	}
	return nil
}

func hasDigit(b []byte) bool {
	for _, c := range b {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

func onlyDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
