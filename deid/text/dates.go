package text

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
				if yl == 2 && (sc.at(e2) == '%' || sc.ratioBefore(i)) {
					return -1 // PS 12/5/40%
				}
				return e2
			}
			return -1
		}
		// month/day without year: after a date cue, or "3/14" that is not
		// a ratio, score or fraction (CPAP 5/5, pain 8/10, 1/2 tab, 3 1/2)
		if s != '.' && validYMD(2000, a, b) && !isTok[sc.at(e)] && !((sc.at(e) == '/' || sc.at(e) == '-' || sc.at(e) == '.') && isDig[sc.at(e+1)]) {
			if sc.dateCue > 0 && (s == '/' || b > 12) {
				return e
			}
			if s == '/' && !(b <= 6 || ((b == 8 || b == 10) && a <= b)) && !sc.ratioBefore(i) && sc.at(e) != '%' {
				return e
			}
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
	if (info.month == 5 || (info.month == 3 && w-k == 3)) && !isUpper(sc.src[k]) {
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
	// a number joined on, or a tag that replaced one ("June 1/[EMAIL]"
	// from "June 1/2a@x.org"): not a date in either pass
	if c := sc.at(e); (c == '/' || c == '-' || c == '.' || c == ':') && (isDig[sc.at(e+1)] || sc.at(e+1) == '[') {
		return -1
	}
	return e
}

// ratioWords precede numbers written a/b that are not dates: ventilator
// settings, scores, strengths, fluids.
var ratioWords = map[string]bool{}

func init() {
	for _, w := range []string{"cpap", "peep", "psv", "ps", "bipap", "ipap", "epap", "vent", "ac", "simv", "tv",
		"fio2", "bp", "strength", "str", "motor", "grade", "murmur", "pain", "score", "scale", "gcs", "apgar",
		"apgars", "x", "ratio", "nc", "o2", "ns", "rate", "sbp", "dbp", "rr", "hr", "vs", "mmhg", "dose", "doses",
		"of", "out", "tab", "tabs", "sec", "ie", "i", "e", "ve", "settings", "set", "mode", "at", "vision",
		"va", "od", "os", "ou", "power", "reflexes", "dtr", "dtrs", "pulses", "edema", "sats", "rhythm"} {
		ratioWords[w] = true
	}
}

// ratioBefore reports whether the token before src[i] makes an a/b number a
// ratio: a ratio word, a number ("3 1/2"), or a token with digits ("D5 1/2").
func (sc *scanner) ratioBefore(i int) bool {
	k := i - 1
	for k >= 0 && (sc.src[k] == ' ' || sc.src[k] == ':' || sc.src[k] == '=') {
		k--
	}
	if k < 0 || !isTok[sc.src[k]] || k < sc.lastRep {
		// nothing before, or the token before was itself replaced: its
		// placeholder makes no ratio, so neither may the original
		// (scrubbing stays idempotent)
		return false
	}
	ts := sc.tokStart(k + 1)
	if ts < sc.lastRep {
		// only the token's tail after a replacement inside it ("94F",
		// whose "94" became "[AGE]") is seen again in the scrubbed text
		ts = sc.lastRep
	}
	t := sc.src[ts : k+1]
	if hasDigit(t) {
		return true
	}
	return ratioWords[lowerWord(t)]
}

// compactDate parses "03MAR1951", "3mar51" (day, month abbreviation, year)
// as the whole token src[i:j].
func (sc *scanner) compactDate(i, d, j int) int {
	if j-d < 5 || !isAlpha[sc.src[d]] {
		return -1
	}
	m := d
	for m < j && isAlpha[sc.src[m]] {
		m++
	}
	if m-d != 3 {
		return -1
	}
	info, ok := lookup(sc.src[d:m])
	if !ok || info.month == 0 {
		return -1
	}
	if y := sc.digEnd(m); y != j || (j-m != 2 && j-m != 4) {
		return -1
	}
	if day, _ := sc.num(i, 2); day < 1 || day > 31 {
		return -1
	}
	return j
}
