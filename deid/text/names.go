package text

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
