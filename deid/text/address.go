package text

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
		info, in := lookup(tok)
		// a function word ends the street name: "3 WAY FOLEY IN PLACE"
		if in && info.flags&(fSuffix|fUnit) == 0 && !(len(tok) == 1 && words == 0) {
			break
		}
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

// capComma looks at up to three capitalized name-like words starting with
// the token src[i:j] and ending at a comma; it detects a city before
// ", ST 12345" (Address) and a signature name before ", MD" (Name).
func (sc *scanner) capComma(i, j int) (int, Category) {
	k, w := i, j
	for n := 0; n < 3; n++ {
		if n > 0 {
			w = sc.tokEnd(k)
			if !sc.nameOK(k, w, nmCont, sc.dictFlags(k, w, hashTok(sc.src[k:w]))) || !isUpper(sc.src[k]) {
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
