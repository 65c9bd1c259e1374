package leakguard

import "time"

// parseDate reads a full date from a harvested value: HL7
// YYYYMMDD[HHMM[SS[.S]]][+ZZZZ] or ISO YYYY-MM-DD[Thh:mm...] (FHIR).
// Values less precise than a day are not full dates.
func parseDate(v []byte) (y, m, d int, ok bool) {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	n := digitRun(v, 0)
	switch {
	case n >= 8:
		y, m, d = num(v[0:4]), num(v[4:6]), num(v[6:8])
	case n == 4 && len(v) >= 10 && v[4] == '-' && digitRun(v, 5) == 2 && v[7] == '-' && digitRun(v, 8) == 2:
		if len(v) > 10 && class[v[10]] == cDigit {
			return 0, 0, 0, false
		}
		y, m, d = num(v[0:4]), num(v[5:7]), num(v[8:10])
	default:
		return 0, 0, 0, false
	}
	return y, m, d, validYMD(y, m, d)
}

// digitRun returns the number of digits of v from i.
func digitRun(v []byte, i int) int {
	j := i
	for j < len(v) && v[j] >= '0' && v[j] <= '9' {
		j++
	}
	return j - i
}

func num(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

var monthDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func validYMD(y, m, d int) bool {
	if y < 1800 || y > 2199 || m < 1 || m > 12 || d < 1 || d > monthDays[m] {
		return false
	}
	return m != 2 || d < 29 || y%4 == 0 && (y%100 != 0 || y%400 == 0)
}

// dateHit returns the harvested date equal to y-m-d (y < 100: any century),
// honouring the date shift.
func (s *Set) dateHit(y, m, d int) (dateEntry, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return dateEntry{}, false
	}
	for _, x := range s.dates {
		xy, xm, xd := int(x.ymd/10000), int(x.ymd/100%100), int(x.ymd%100)
		if xm != m || xd != d || (y >= 100 && xy != y) || (y < 100 && xy%100 != y) {
			continue
		}
		if s.shiftOK && y >= 100 && s.isShifted(y, m, d) {
			continue
		}
		return x, true
	}
	return dateEntry{}, false
}

// isShifted reports whether y-m-d is some original date moved by the shift:
// then it is the engine's shifted output, not a leak, even when it equals
// another original date.
func (s *Set) isShifted(y, m, d int) bool {
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -s.shift)
	v := int32(t.Year()*10000 + int(t.Month())*100 + t.Day())
	for _, x := range s.dates {
		if x.ymd == v {
			return true
		}
	}
	return false
}

// months maps the hashes of month names and abbreviations to 1-12.
var (
	monthSet  = newStaticSet(24)
	monthHash [24]uint64
	monthNum  [24]int
	nMonths   int
)

func init() {
	for i, names := range [12][]string{
		{"jan", "january"}, {"feb", "february"}, {"mar", "march"}, {"apr", "april"}, {"may"},
		{"jun", "june"}, {"jul", "july"}, {"aug", "august"}, {"sep", "sept", "september"},
		{"oct", "october"}, {"nov", "november"}, {"dec", "december"},
	} {
		for _, n := range names {
			monthSet.add(hashString(n))
			monthHash[nMonths], monthNum[nMonths] = hashString(n), i+1
			nMonths++
		}
	}
}

// monthAt returns the month named by the letters of out at [i, j).
func monthAt(out []byte, i, j int) int {
	if n := j - i; n < 3 || n > 9 {
		return 0
	}
	h := hashToken(out[i:j])
	if !monthSet.has(h) {
		return 0
	}
	for k := 0; k < nMonths; k++ {
		if monthHash[k] == h {
			return monthNum[k]
		}
	}
	return 0
}

// skipSpace skips blanks and the given punctuation from i.
func skipSep(out []byte, i int, max int) int {
	for k := 0; i < len(out) && k < max; k++ {
		switch out[i] {
		case ' ', ',', '.', '-', '/', '\t':
			i++
		default:
			return i
		}
	}
	return i
}

// ordinal skips an ordinal suffix (st, nd, rd, th) at i.
func ordinal(out []byte, i int) int {
	if i+1 < len(out) {
		a, b := out[i]|0x20, out[i+1]|0x20
		if (a == 's' && b == 't' || a == 'n' && b == 'd' || a == 'r' && b == 'd' || a == 't' && b == 'h') &&
			(i+2 >= len(out) || class[out[i+2]] != cAlpha) {
			return i + 2
		}
	}
	return i
}

// dateAtDigits checks the dates that start with the digit run out[i:j]
// (out[i-1] is not a digit). It returns the date found and the end.
func (s *Set) dateAtDigits(out []byte, i, j int) (dateEntry, int, bool) {
	n := j - i
	switch {
	case n == 8 || n == 12 || n >= 14:
		// YYYYMMDD (HL7 dates and timestamps to the minute, second or
		// beyond; 10 digits are an NPI or a phone more often than
		// YYYYMMDDHH), and for exactly 8 digits MMDDYYYY and DDMMYYYY
		if e, ok := s.dateHit(num(out[i:i+4]), num(out[i+4:i+6]), num(out[i+6:i+8])); ok {
			return e, j, true
		}
		if n == 8 {
			y := num(out[i+4 : i+8])
			if e, ok := s.dateHit(y, num(out[i:i+2]), num(out[i+2:i+4])); ok {
				return e, j, true
			}
			if e, ok := s.dateHit(y, num(out[i+2:i+4]), num(out[i:i+2])); ok {
				return e, j, true
			}
		}
	case n == 4:
		// YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD
		if j+1 < len(out) && isDateSep(out[j]) {
			sep := out[j]
			m1 := digitRun(out, j+1)
			k := j + 1 + m1
			if m1 >= 1 && m1 <= 2 && k < len(out) && out[k] == sep {
				d1 := digitRun(out, k+1)
				if d1 >= 1 && d1 <= 2 {
					e, ok := s.dateHit(num(out[i:j]), num(out[j+1:k]), num(out[k+1:k+1+d1]))
					return e, k + 1 + d1, ok
				}
			}
		}
	case n <= 2:
		// M/D/YYYY, D/M/YYYY, D.M.YYYY, M-D-YY
		if j+1 < len(out) && isDateSep(out[j]) {
			sep := out[j]
			b := digitRun(out, j+1)
			k := j + 1 + b
			if b >= 1 && b <= 2 && k < len(out) && out[k] == sep {
				yl := digitRun(out, k+1)
				if yl == 4 || yl == 2 {
					y := num(out[k+1 : k+1+yl])
					a, bb := num(out[i:j]), num(out[j+1:k])
					end := k + 1 + yl
					if e, ok := s.dateHit(y, a, bb); ok {
						return e, end, true
					}
					if e, ok := s.dateHit(y, bb, a); ok {
						return e, end, true
					}
					return dateEntry{}, end, false
				}
			}
		}
		// D Month YYYY, 15-Mar-2024, 15th of March 2024
		k := skipSep(out, ordinal(out, j), 2)
		if k+2 < len(out) && (out[k]|0x20) == 'o' && (out[k+1]|0x20) == 'f' && out[k+2] == ' ' {
			k += 3
		}
		e := k
		for e < len(out) && class[out[e]] == cAlpha {
			e++
		}
		if m := monthAt(out, k, e); m != 0 {
			y0 := skipSep(out, e, 3)
			if yl := digitRun(out, y0); yl == 4 || yl == 2 && out[e] == '-' {
				ent, ok := s.dateHit(num(out[y0:y0+yl]), m, num(out[i:j]))
				return ent, y0 + yl, ok
			}
		}
	}
	return dateEntry{}, j, false
}

// dateAtMonth checks "Month D, YYYY" at the letters out[i:j].
func (s *Set) dateAtMonth(out []byte, i, j int) (dateEntry, bool) {
	m := monthAt(out, i, j)
	if m == 0 {
		return dateEntry{}, false
	}
	k := skipSep(out, j, 2)
	dl := digitRun(out, k)
	if dl < 1 || dl > 2 {
		return dateEntry{}, false
	}
	d := num(out[k : k+dl])
	y0 := skipSep(out, ordinal(out, k+dl), 3)
	if yl := digitRun(out, y0); yl == 4 {
		return s.dateHit(num(out[y0:y0+4]), m, d)
	}
	return dateEntry{}, false
}

func isDateSep(c byte) bool { return c == '-' || c == '/' || c == '.' }
