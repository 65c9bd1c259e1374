package leakguard

import (
	"errors"
	"strconv"
)

// Syntax is the syntax of an output, for its escapes and for naming where
// a hit is.
type Syntax uint8

// Output syntaxes.
const (
	// Text is plain text (a dataset value, a text document).
	Text Syntax = iota
	// HL7 is an ER7 message: escape sequences (\T\, \S\ ...) separate
	// tokens, and a hit is located by segment and field ("OBX-5").
	HL7
	// JSON is JSON text: \n, \" and \uXXXX escapes separate tokens, and a
	// hit is located by its JSON path ("entry[2].resource.note[0].text").
	JSON
)

// ErrLeak is matched (errors.Is) by every *Hit.
var ErrLeak = errors.New("leak guard: identifying value found in output")

// Hit is an identifying value of the original found in an output. It is an
// error whose text names the category, where the value was in the original
// and where it was found in the output — never the value.
type Hit struct {
	// Category is the harvested value's category.
	Category Category
	// Source is where the value was in the original: an HL7v2 field
	// ("PID-3") or a FHIR element ("Identifier.value", "Patient.birthDate").
	Source string
	// Where is where it was found in the output: an HL7v2 field ("OBX-5"),
	// a JSON path, or what the caller set (a dataset column).
	Where string
	// Offset is the byte offset of the value in the output (for tests).
	Offset int
}

// Error returns e.g. "leak guard: identifier (PID-3) value found in output OBX-5".
func (h *Hit) Error() string {
	w := h.Where
	if w == "" {
		w = "at byte " + strconv.Itoa(h.Offset)
	}
	return "leak guard: " + h.Category.String() + " (" + h.Source + ") value found in output " + w
}

// Is makes errors.Is(hit, ErrLeak) true.
func (h *Hit) Is(target error) bool { return target == ErrLeak }

// Find reports the first harvested value present in out: a token sequence
// equal (case-insensitively) to a harvested form, standing on token
// boundaries, or a full date equal to a harvested date in any common
// spelling. It allocates only when it finds one (to name where).
func (s *Set) Find(out []byte, syn Syntax) (*Hit, bool) {
	h, _ := s.find(out, syn, 0)
	return h, h != nil
}

// FindAll calls fn for every hit in out, in order, until fn returns false.
func (s *Set) FindAll(out []byte, syn Syntax, fn func(*Hit) bool) {
	for i := 0; i < len(out); {
		h, next := s.find(out, syn, i)
		if h == nil || !fn(h) {
			return
		}
		i = next
	}
}

// find returns the first hit at or after byte i (a token start) and where
// to go on from.
func (s *Set) find(out []byte, syn Syntax, i int) (*Hit, int) {
	if len(s.entries) == 0 && len(s.dates) == 0 {
		return nil, len(out)
	}
	var esc byte
	switch syn {
	case HL7:
		if len(out) > 8 && out[0] == 'M' && out[1] == 'S' && out[2] == 'H' {
			esc = out[6]
			if class[esc] != cSep {
				esc = 0
			}
		}
	case JSON:
		esc = '\\'
	}
	hasDates := len(s.dates) > 0
	for i < len(out) {
		c := out[i]
		if class[c] == cSep {
			if c == esc && esc != 0 {
				i = skipEscape(out, i, syn)
			} else {
				i++
			}
			continue
		}
		j := i + 1
		cls := class[c]
		for j < len(out) {
			k := class[out[j]]
			if k == cSep {
				break
			}
			cls |= k
			j++
		}
		// a date has digits (20240315) or starts with a month name (March 15, 2024)
		if hasDates && (cls&cDigit != 0 || cls == cAlpha && j-i >= 3 && monthStart(c, out[i+1])) {
			if e, at, ok := s.datesIn(out, i, j); ok {
				if h := s.hit(out, syn, Date, e.src, at, 0); h != nil {
					return h, j
				}
			}
		}
		if s.lenMask&(1<<min(j-i, 63)) != 0 {
			h := hashToken(out[i:j])
			for e := s.lookup(h); e >= 0; e = s.entries[e].next {
				ent := &s.entries[e]
				if ent.n > 1 {
					if !s.seqAt(out, j, ent, esc, syn) {
						continue
					}
				} else if ent.flags&fDecimal != 0 && inDecimal(out, i, j) {
					continue
				}
				if ent.cat == Identifier && s.isKept(ent.whole) {
					continue
				}
				if h := s.hit(out, syn, ent.cat, ent.src, i, ent.flags); h != nil {
					return h, j
				}
			}
		}
		i = j
	}
	return nil, len(out)
}

// hit builds the Hit at offset at, or returns nil when the location exempts it.
func (s *Set) hit(out []byte, syn Syntax, cat Category, src source, at int, flags uint8) *Hit {
	h := &Hit{Category: cat, Source: src.String(), Offset: at}
	switch syn {
	case HL7:
		h.Where = hl7Where(out, at)
		if (cat == Name || cat == Address) && facilityHL7[h.Where] {
			return nil
		}
	case JSON:
		var last string
		h.Where, last = s.jsonWhere(out, at)
		if (cat == Name || cat == Address) && facilityJSON[last] {
			return nil
		}
	}
	return h
}

// isKept reports whether a value's sequence hash is one the record keeps
// as a namespace or authority.
func (s *Set) isKept(h uint64) bool {
	for _, k := range s.kept {
		if k == h {
			return true
		}
	}
	return false
}

// datesIn checks the dates starting in the token out[i:j]: at each run of
// digits, and at a month name.
func (s *Set) datesIn(out []byte, i, j int) (dateEntry, int, bool) {
	if class[out[i]] == cAlpha {
		k := i + 1
		for k < j && class[out[k]] == cAlpha {
			k++
		}
		if k-i >= 3 && k-i <= 9 && monthStart(out[i], out[i+1]) {
			if e, ok := s.dateAtMonth(out, i, k); ok {
				return e, i, true
			}
		}
	}
	for p := i; p < j; p++ {
		if class[out[p]] != cDigit || p > i && class[out[p-1]] == cDigit {
			continue
		}
		q := p + 1
		for q < len(out) && class[out[q]] == cDigit {
			q++
		}
		if e, _, ok := s.dateAtDigits(out, p, q); ok {
			return e, p, true
		}
		p = q - 1
	}
	return dateEntry{}, 0, false
}

// monthStart reports whether two letters may start a month name.
func monthStart(a, b byte) bool {
	a, b = a|0x20, b|0x20
	switch a {
	case 'j':
		return b == 'a' || b == 'u'
	case 'f':
		return b == 'e'
	case 'm':
		return b == 'a'
	case 'a':
		return b == 'p' || b == 'u'
	case 's':
		return b == 'e'
	case 'o':
		return b == 'c'
	case 'n':
		return b == 'o'
	case 'd':
		return b == 'e'
	}
	return false
}

// maxSep is the most separator bytes between two tokens of a sequence (an
// escape sequence counts as one).
const maxSep = 3

// seqAt reports whether the tokens after position j match the rest of ent.
func (s *Set) seqAt(out []byte, j int, ent *entry, esc byte, syn Syntax) bool {
	want := s.toks[ent.start+1 : ent.start+ent.n]
	p := j
	for _, w := range want {
		nsep := 0
		for p < len(out) && class[out[p]] == cSep {
			if out[p] == esc && esc != 0 {
				p = skipEscape(out, p, syn)
			} else {
				p++
			}
			if nsep++; nsep > maxSep {
				return false
			}
		}
		if nsep == 0 || p >= len(out) {
			return false
		}
		q := p + 1
		for q < len(out) && class[out[q]] != cSep {
			q++
		}
		if hashToken(out[p:q]) != w {
			return false
		}
		p = q
	}
	return true
}

// skipEscape returns the position after the escape sequence at i.
func skipEscape(out []byte, i int, syn Syntax) int {
	if syn == JSON {
		if i+1 < len(out) && out[i+1] == 'u' {
			return min(i+6, len(out))
		}
		return min(i+2, len(out))
	}
	// HL7: \X\ ... up to the closing escape character, within a few bytes
	esc := out[i]
	for k := i + 1; k < len(out) && k <= i+16; k++ {
		switch out[k] {
		case esc:
			return k + 1
		case '\r', '\n', '|':
			return i + 1
		}
	}
	return i + 1
}

// inDecimal reports whether the digits out[i:j] are part of a decimal
// number (12345.6, 0.12345).
func inDecimal(out []byte, i, j int) bool {
	return i >= 2 && out[i-1] == '.' && class[out[i-2]] == cDigit ||
		j+1 < len(out) && out[j] == '.' && class[out[j+1]] == cDigit
}
