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
	sc.prevEnd = -1
	d := sc.digEnd(i)
	nd := d - i
	pure := d == j
	if !pure && nd <= 2 {
		if e := sc.compactDate(i, d, j); e > 0 && sc.rep(i, e, Date, false) {
			return e
		}
	}
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
		if sc.cue == cuePager && nd >= 4 && nd <= 6 && !(sc.at(d) == '.' && isDig[sc.at(d+1)]) {
			if sc.rep(i, d, Phone, false) {
				return d
			}
		}
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
			if v < 120 && ((pure && sc.ageLine(i, d)) || (j-d == 1 && (src[d]|0x20 == 'm' || src[d]|0x20 == 'f') && sc.lineStart(i))) {
				if sc.rep(i, d, Age, true) {
					return d
				}
			}
		}
	}
	if pure && nd <= 6 {
		if e := sc.street(i, d); e > 0 && sc.rep(i, e, Address, false) {
			sc.addrLines = 2
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
	if sc.at(k) == '.' && (isDig[sc.at(k+1)] || sc.at(k+1) == '[') {
		// a fifth number, or a tag that replaced one ("1.2.3.4.[IP]"
		// from "1.2.3.4.5:fe80::1"): not an address in either pass
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
		if k == s && sc.at(k) == '[' {
			// a tag where a group would be may have replaced one too long
			// ("fe80::100000000" vs "fe80::[ID]"): refused as that was
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

// phoneSep returns the end of a phone group separator at k: one of
// "-", ".", "/", " " optionally followed by a space ("312- 555- 0199"), or
// "" (k itself, kind 0). kind is the separator byte.
func (sc *scanner) phoneSep(k int) (int, byte) {
	c := sc.at(k)
	switch c {
	case '-', '.', '/':
		if sc.at(k+1) == ' ' {
			return k + 2, c
		}
		return k + 1, c
	case ' ':
		if c2 := sc.at(k + 1); c2 == '-' || c2 == '.' {
			if sc.at(k+2) == ' ' {
				return k + 3, c2
			}
			return k + 2, c2
		}
		return k + 1, ' '
	}
	return k, 0
}

// phoneCore parses a NANP number at i: (ddd) ddd-dddd, ddd-ddd-dddd,
// ddd.ddd.dddd, ddd/ddd-dddd, ddd- ddd- dddd, ddd ddd dddd, dddddddddd,
// (ddd ddd dddd), ddd-dddd, with an optional extension. strong reports a
// punctuated 10-digit form.
func (sc *scanner) phoneCore(i int) (end int, strong bool) {
	src := sc.src
	k := i
	if sc.at(k) == '(' {
		if sc.digEnd(k+1) != k+4 {
			return -1, false
		}
		if sc.at(k+4) != ')' {
			// "(312 555 0199)", "(312-555-0199)"
			e, _ := sc.phoneCore(k + 1)
			if e < 0 || sc.at(e) != ')' || sc.digEnd(k+1)-(k+1) != 3 || e-(k+1) < 12 {
				return -1, false
			}
			return e + 1, true
		}
		k += 5
		if c := sc.at(k); c == ' ' || c == '-' {
			k++
		}
		d := sc.digEnd(k)
		switch {
		case d-k == 7:
			end = d
		case d-k == 3:
			p, sep := sc.phoneSep(d)
			if sep == 0 || sep == '/' || sc.digEnd(p) != p+4 {
				return -1, false
			}
			end = p + 4
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
			p, s1 := sc.phoneSep(d)
			if s1 == 0 {
				return -1, false
			}
			d2 := sc.digEnd(p)
			switch d2 - p {
			case 3:
				q, s2 := sc.phoneSep(d2)
				if s2 != 0 && s2 != '/' && sc.digEnd(q) == q+4 {
					end = q + 4
					strong = !(s1 == ' ' && s2 == ' ') && !(s1 == '/' && s2 == '/') && (s1 == s2 || s1 == '/' || s1 == ' ')
					if s1 == ' ' && s2 == ' ' {
						// "617 555 0134": strong when area code and exchange follow the NANP rules
						strong = src[k] >= '2' && src[p] >= '2' && !(k > 0 && isDig[sc.at(k-2)] && sc.at(k-1) == ' ')
					}
				} else {
					return -1, false
				}
			case 4:
				if s1 != '-' || p != d+1 {
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
	if c := sc.at(e); (c == '-' || c == '/' || c == '.') && sc.at(e+1) == '[' {
		// joined to a tag: the first pass saw a token there and did not
		// take this run ("0199/SMITH.12" vs "0199/[NAME].12", "45/AB.10.0.0.1"
		// vs "45/AB.[IP]"), so neither does this one
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
	// end: after the last label that can end the domain (an alphabetic
	// top-level label of 2+ letters, after at least one other label), so a
	// number glued on by a dot ("a@x.org.3/14") is left out, not the whole
	// address missed
	labels, end := 0, -1
	for k < len(src) {
		s := k
		alpha := true
		for k < len(src) && (isAlpha[src[k]] || isDig[src[k]] || src[k] == '-') {
			if !isAlpha[src[k]] {
				alpha = false
			}
			k++
		}
		if k == s || src[k-1] == '-' || (k < len(src) && isTok[src[k]]) {
			// empty, ends in "-", or runs on into non-ASCII letters
			// ("x.org.José"): not a label
			break
		}
		labels++
		if labels >= 2 && alpha && k-s >= 2 {
			end = k
		}
		if sc.at(k) == '.' && isAlpha[sc.at(k+1)] || sc.at(k) == '.' && isDig[sc.at(k+1)] {
			k++
			continue
		}
		break
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
