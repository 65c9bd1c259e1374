package text

import "unicode/utf8"

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
