package leakguard

import (
	"github.com/safeharbor/safeharbor/hl7"
)

// FieldKind is how an HL7v2 field's identifying values are harvested.
type FieldKind uint8

// Field kinds (by HL7 data type).
const (
	XPN   FieldKind = iota + 1 // person name: family (.1.1), given (.2), middle (.3)
	XCN                        // person with id: id (.1), family (.2), given (.3), middle (.4)
	CX                         // identifier: .1 (or, when .1 is empty, the first other component with 5+ digits)
	EI                         // entity identifier: .1 (same fallback)
	EIP                        // parent identifier pair: .1.1 and .2.1
	XTN                        // telecom: .1, e-mail .4, area .6 + local .7, unformatted .12
	XAD                        // address: street .1, other .2, city .3, ZIP .5, other geography .8, county .9
	XON                        // organisation name (an employer): .1, whole only
	WHOLE                      // every component is an identifier (SSN, licence, device)
)

// HL7Field is one row of the harvest table.
type HL7Field struct {
	Field int
	Kind  FieldKind
}

// HL7Fields is the harvest table: the fields of HL7v2 (v2.5.1 numbering)
// holding the patient's, relatives', guarantor's and insured's identifying
// values, from ../shared/docs/safe-harbor.md. Providers' names and ids
// (kept by Safe Harbor) are not harvested. Full dates are harvested from
// every field of every segment (any component that is a date or timestamp
// of day precision), not from this table.
var HL7Fields = map[string][]HL7Field{
	"MSH": {{10, EI}},
	"PID": {{2, CX}, {3, CX}, {4, CX}, {5, XPN}, {6, XPN}, {9, XPN}, {11, XAD}, {13, XTN}, {14, XTN},
		{18, CX}, {19, WHOLE}, {20, CX}, {21, CX}, {23, WHOLE}, {40, XTN}},
	"PD1": {{10, CX}},
	"NK1": {{2, XPN}, {4, XAD}, {5, XTN}, {6, XTN}, {12, CX}, {13, XON}, {26, XPN}, {30, XPN}, {31, XTN},
		{32, XAD}, {33, CX}, {37, WHOLE}, {40, XTN}, {41, XTN}},
	"PV1": {{5, CX}, {19, CX}, {50, CX}},
	"GT1": {{2, CX}, {3, XPN}, {5, XAD}, {6, XTN}, {7, XTN}, {12, WHOLE}, {16, XON}, {17, XAD}, {18, XTN},
		{19, CX}, {21, XON}, {29, CX}, {45, XPN}, {46, XTN}, {51, XON}},
	"IN1": {{8, WHOLE}, {10, CX}, {11, XON}, {16, XPN}, {19, XAD}, {36, WHOLE}, {49, CX}},
	"IN2": {{1, CX}, {2, WHOLE}, {6, WHOLE}, {7, XPN}, {8, WHOLE}, {25, CX}, {26, WHOLE}, {61, CX}},
	"MRG": {{1, CX}, {2, CX}, {3, CX}, {4, CX}, {5, CX}, {6, CX}, {7, XPN}},
	"ORC": {{2, EI}, {3, EI}, {4, EI}, {8, EIP}},
	"OBR": {{2, EI}, {3, EI}, {29, EIP}},
	"OBX": {{18, EI}, {21, EI}},
	"TXA": {{12, EI}, {13, EI}, {14, EI}, {15, EI}},
	"SPM": {{2, EIP}, {3, EIP}, {30, CX}, {31, CX}, {32, EI}},
	"SCH": {{1, EI}, {2, EI}, {4, EI}, {23, EI}, {24, EI}, {26, EI}, {27, EI}},
	"SAC": {{2, EI}, {3, EI}, {4, EI}, {10, EI}},
	"DG1": {{20, EI}},
	"PR1": {{19, EI}},
	"ACC": {{11, XAD}},
	"RXA": {{15, WHOLE}},
}

// hl7Scratch is per-Set parsing storage.
type hl7Scratch struct {
	reps  [][]byte
	comps [][]byte
}

// hl7Kinds[segment][field] is the FieldKind of HL7Fields, 0 for none.
var hl7Kinds = map[string][]FieldKind{}

func init() {
	for seg, rows := range HL7Fields {
		n := 0
		for _, r := range rows {
			n = max(n, r.Field+1)
		}
		k := make([]FieldKind, n)
		for _, r := range rows {
			k[r.Field] = r.Kind
		}
		hl7Kinds[seg] = k
	}
}

// HarvestHL7 adds the identifying values of the ORIGINAL message m (before
// de-identification: the engine edits messages in place). One pass over
// each segment: fields of the harvest table are read by kind, and every
// component is checked for a full date.
func (s *Set) HarvestHL7(m *hl7.Message) {
	d := m.Delims()
	var delim [256]uint8 // 1: component-level delimiter, 2: field separator
	for _, c := range [...]byte{d.Component, d.Repetition, d.Subcomponent} {
		if c != 0 {
			delim[c] = 1
		}
	}
	delim[d.Field] = 2
	for i := 0; i < m.NumSegments(); i++ {
		seg := m.Segment(i).Bytes()
		if len(seg) < 4 {
			continue
		}
		var src source
		copy(src.seg[:], seg[:3])
		kinds := hl7Kinds[string(seg[:3])]
		field := 0
		if string(seg[:3]) == "MSH" {
			field = 1 // the first separator is MSH-1 itself
		}
		fstart, cstart := 3, 3
		for p := 3; p <= len(seg); p++ {
			var k uint8 = 2
			if p < len(seg) {
				if k = delim[seg[p]]; k == 0 {
					continue
				}
			}
			// a component ends at p: a full date or timestamp?
			if n := p - cstart; n >= 8 && (seg[cstart] == '1' || seg[cstart] == '2') {
				s.componentDate(seg[cstart:p], src, field)
			}
			cstart = p + 1
			if k != 2 {
				continue
			}
			if field < len(kinds) && kinds[field] != 0 && p > fstart {
				src.field = uint16(field)
				s.scratch = s.scratch[:0]
				s.h.reps = split(s.h.reps[:0], seg[fstart:p], d.Repetition)
				for _, rep := range s.h.reps {
					s.hl7Rep(kinds[field], rep, &d, src)
				}
			}
			field++
			fstart = p + 1
		}
	}
}

// componentDate harvests v when it is a date or timestamp of day
// precision: 8, 12 or 14+ digits (YYYYMMDD[HHMM[SS[.S]]]) with an
// optional time zone.
func (s *Set) componentDate(v []byte, src source, field int) {
	n := digitRun(v, 0)
	if (n == 8 || n == 12 || n >= 14) && (n == len(v) || v[n] == '.' || v[n] == '+' || v[n] == '-') {
		if y, m, dd, ok := parseDate(v); ok {
			src.field = uint16(field)
			s.addDate(y, m, dd, src)
		}
	}
}

// hl7Rep harvests one repetition of a field of kind k.
func (s *Set) hl7Rep(k FieldKind, rep []byte, d *hl7.Delims, src source) {
	s.h.comps = split(s.h.comps[:0], rep, d.Component)
	cs := s.h.comps
	comp := func(n int) []byte { // component n (1-based), first subcomponent, unescaped
		if n > len(cs) {
			return nil
		}
		v := cs[n-1]
		if d.Subcomponent != 0 {
			for j, c := range v {
				if c == d.Subcomponent {
					v = v[:j]
					break
				}
			}
		}
		return s.unescape(v, d)
	}
	whole := func(n int) []byte { // component n with its subcomponents as spaces
		if n > len(cs) {
			return nil
		}
		return s.unescape(cs[n-1], d)
	}
	switch k {
	case XPN:
		s.addName(src, comp(1), comp(2))
		s.add(Name, src, comp(3), 0)
	case XCN:
		s.addID(src, cs, d)
		s.addName(src, comp(2), comp(3))
		s.add(Name, src, comp(4), 0)
	case CX, EI:
		s.addID(src, cs, d)
	case EIP:
		s.add(Identifier, src, comp(1), 0)
		s.add(Identifier, src, comp(2), 0)
	case XTN:
		s.add(Phone, src, comp(1), 0)
		s.add(Email, src, comp(4), 0)
		if local := comp(7); len(local) > 0 {
			area := comp(6)
			start := len(s.scratch)
			s.scratch = append(append(append(s.scratch, area...), ' '), local...)
			s.add(Phone, src, s.scratch[start:], 0)
		}
		s.add(Phone, src, comp(12), 0)
	case XAD:
		st, ctry := comp(4), comp(6)
		for _, n := range [...]int{1, 2, 3, 8, 9} {
			v := whole(n)
			if n == 2 && !hasDigit(v) || sameValue(v, st) || sameValue(v, ctry) {
				continue
			}
			s.add(Address, src, v, 0)
		}
		s.add(ZIP, src, comp(5), 0)
	case XON:
		s.add(Name, src, comp(1), fWhole)
	case WHOLE:
		for n := 1; n <= len(cs); n++ {
			s.add(Identifier, src, comp(n), 0)
		}
	}
}

// addID harvests CX.1 / EI.1, or when it is empty the first other
// component with 5 or more digits that is not an OID ("^1234567890").
func (s *Set) addID(src source, cs [][]byte, d *hl7.Delims) {
	if len(cs) == 0 {
		return
	}
	first := cs[0]
	if d.Subcomponent != 0 {
		for j, c := range first {
			if c == d.Subcomponent {
				first = first[:j]
				break
			}
		}
	}
	// namespaces and authorities (EI.2-4, CX.4-6) are kept by the engine:
	// an id equal to one of them is not checked
	for _, c := range cs[1:] {
		if d.Subcomponent != 0 {
			for j, b := range c {
				if b == d.Subcomponent {
					c = c[:j]
					break
				}
			}
		}
		if len(c) > 0 {
			s.kept = append(s.kept, seqHashBytes(c))
		}
	}
	if len(first) > 0 {
		s.add(Identifier, src, s.unescape(first, d), 0)
		return
	}
	for _, c := range cs[1:] {
		if countDigits(c) >= 5 && !isOID(c) {
			s.add(Identifier, src, s.unescape(c, d), 0)
			return
		}
	}
}

// unescape returns raw decoded (backed by s.scratch when it has escapes).
func (s *Set) unescape(raw []byte, d *hl7.Delims) []byte {
	if d.Escape == 0 {
		return raw
	}
	esc := false
	for _, c := range raw {
		if c == d.Escape {
			esc = true
			break
		}
	}
	if !esc {
		return raw
	}
	start := len(s.scratch)
	s.scratch = d.AppendUnescaped(s.scratch, raw)
	return s.scratch[start:]
}

// split splits b at sep into out.
func split(out [][]byte, b []byte, sep byte) [][]byte {
	if sep == 0 {
		return append(out, b)
	}
	start := 0
	for i, c := range b {
		if c == sep {
			out = append(out, b[start:i])
			start = i + 1
		}
	}
	return append(out, b[start:])
}

func countDigits(b []byte) int {
	n := 0
	for _, c := range b {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}

// isOID reports whether b is an OID (digits and dots, two dots or more).
func isOID(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	dots := 0
	for _, c := range b {
		switch {
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return false
		}
	}
	return dots >= 2
}
