package text

// ---- words ----

func (sc *scanner) word(i, j int, h uint64) int {
	src := sc.src
	tok := src[i:j]
	info, inTable := lookupH(tok, h)
	capital := isUpper(tok[0])
	df := sc.dictFlags(i, j, h)
	// A capitalized word right after a name ("[NAME] Haddad" when only the
	// given name was known) continues it.
	if sc.nameEnd >= 0 && i == sc.nameEnd+1 && src[sc.nameEnd] == ' ' && capital && !inTable && sc.nameOK(i, j, nmCont, df) {
		if e := sc.nameSpan(i, nmCont); e > 0 && sc.rep(i, e, Name, false) {
			return e
		}
	}
	// A name in a list after a plural kinship word: "sons Bob, Tim and Al".
	if sc.list && !inTable && sc.listSep(i) && sc.nameOK(i, j, nmStrong, df) {
		if e := sc.nameSpan(i, nmStrong); e > 0 && sc.rep(i, e, Name, false) {
			sc.list = true
			return e
		}
	}
	if !(inTable && (info.flags&fThru != 0 || eqFold(tok, "and"))) {
		sc.list = false
	}
	// Names after a cue.
	if m := cueNameMode[sc.cue]; m != nmNone && !inTable && sc.nameOK(i, j, m, df) {
		plural := sc.cue == cueNames
		if e := sc.nameSpan(i, m); e > 0 && sc.rep(i, e, Name, false) {
			sc.list = plural
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
	// Places after a cue ("lives in", "transferred to", "in"), facility
	// names ("Mercy Hospital", "St. Elsewhere"), address lines after a street.
	if e, s := sc.place(i, j, info, inTable, df); e > 0 && sc.rep(s, e, Address, false) {
		return e
	}
	if capital && !inTable && nameBytes(tok) {
		if e, cat := sc.capComma(i, j); e > 0 && sc.rep(i, e, cat, false) {
			return e
		}
	}
	// Names from the dictionaries without a cue.
	if !inTable && df&dName != 0 {
		if e, s := sc.dictName(i, j, df); e > 0 && sc.rep(s, e, Name, false) {
			return e
		}
	}
	if e := sc.ageWords(i, j); e > 0 && sc.rep(i, e, Age, false) {
		return e
	}
	// P.O. Box / PO Box
	if (j-i == 2 && (tok[0]|0x20) == 'p' && (tok[1]|0x20) == 'o') || (j-i == 1 && (tok[0]|0x20) == 'p' && sc.at(j) == '.' && (sc.at(j+1)|0x20) == 'o' && sc.at(j+2) == '.') {
		if e := sc.poBox(i, j); e > 0 && sc.rep(i, e, Address, false) {
			return e
		}
	}
	sc.prevStart, sc.prevEnd, sc.prevFlags = i, j, df
	if inTable {
		sc.prevFlags = 0
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
	case info.flags&fBy != 0 && (sc.cue == cueBy || sc.cue == cueFacVerb):
		sc.setCue(cueWeak, 0, 1)
	case info.flags&fPrep != 0 && (sc.cue == cuePlaceVerb || sc.cue == cueNone || sc.cue == cuePrep ||
		sc.cue == cueFacVerb || sc.cue == cueBy):
		switch sc.cue {
		case cuePlaceVerb:
			sc.setCue(cuePlace, 0, 1)
		case cueFacVerb, cueBy:
			sc.setCue(cueFacility, 0, 1)
		default:
			sc.setCue(cuePrep, 0, 1)
		}
	case info.flags&fThru != 0 && cueNameMode[sc.cue] != nmNone:
		// "name is Ann", "daughter is Ann": keep the cue one more word
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
	case cueNameMode[info.cue] != nmNone && sc.cue == cueID && sc.ttl > 0:
		sc.step() // "account name" etc: keep the id cue
	case info.cue == cueID && info.cat == OtherID && sc.lineStart(i) && sc.at(j) == ':' && j-i == 2 && isUpper(tok[1]):
		// the section header "ID:" (infectious disease) takes an
		// identifier only when it is all the line holds
		sc.setCue(cueID, OtherID, 1)
		sc.idHdr = true
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

// nameMode says how much a context vouches for a following name.
type nameMode uint8

const (
	nmNone   nameMode = iota
	nmTitle           // after Dr/Mr/Mrs/Ms: any word that is not a function word, in any case
	nmStrong          // after a kinship word, "named": a capitalized word, or a dictionary name in lowercase
	nmWeak            // after "patient", "seen by": a capitalized word outside the allowlist
	nmCont            // continuing a name: a capitalized word or a dictionary name
)

// cueNameMode maps a cue to the name mode it sets (nmNone: no name cue).
var cueNameMode = [...]nameMode{cueTitle: nmTitle, cueName: nmStrong, cueNames: nmStrong, cueWeak: nmWeak,
	cueAgeWord: nmNone}

// nameBytes reports whether tok holds only ASCII letters and non-ASCII
// (UTF-8) bytes, starting with a letter.
func nameBytes(tok []byte) bool {
	if len(tok) == 0 || isDig[tok[0]] {
		return false
	}
	for _, c := range tok {
		if !isAlpha[c] && c < 0x80 {
			return false
		}
	}
	return true
}

// nameOK reports whether src[k:w] (df: its dictionary flags) can be a name
// part in mode m.
func (sc *scanner) nameOK(k, w int, m nameMode, df uint64) bool {
	if w <= k {
		return false
	}
	tok := sc.src[k:w]
	if !nameBytes(tok) {
		return false
	}
	if _, in := lookup(tok); in {
		return false
	}
	up := isUpper(tok[0]) || tok[0] >= 0x80
	if len(tok) == 1 {
		return isUpper(tok[0]) && (sc.at(w) == '.' || (sc.at(w) == '\'' && isUpper(sc.at(w+1))))
	}
	caps := up && allUpper(tok)
	allow := df&dAllow != 0
	name := df&dName != 0
	switch m {
	case nmTitle:
		return up || name || !allow
	case nmStrong:
		if up {
			return name || !allow
		}
		return name && df&dFirst != 0 || name && !allow
	case nmWeak:
		if caps && len(tok) <= 3 {
			return name && !allow
		}
		if up {
			return !allow
		}
		return name && !allow
	case nmCont:
		return up || name
	}
	return false
}

func allUpper(tok []byte) bool {
	for _, c := range tok {
		if isLower(c) {
			return false
		}
	}
	return true
}

// nameSpan extends a name from the token at i (accepted in mode m) over up
// to four name tokens joined by a space, '-', '\” or an initial's ". ".
func (sc *scanner) nameSpan(i int, m nameMode) int {
	w := sc.tokEnd(i)
	if !sc.nameOK(i, w, m, sc.dictFlags(i, w, hashTok(sc.src[i:w]))) {
		return -1
	}
	lowerFirst := isLower(sc.src[i])
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
		if !sc.contOK(p, q, lowerFirst) {
			// a lowercase particle ("van der", "de la", "bin") continues a
			// name when a capitalized name part follows it
			r := q
			for k := 0; k < 2 && isParticle(sc.src[p:r]) && sc.at(r) == ' '; k++ {
				p2 := r + 1
				q2 := sc.tokEnd(p2)
				if sc.contOK(p2, q2, false) && isUpper(sc.src[p2]) {
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

// contOK reports whether src[p:q] continues a name; a lowercase name only
// continues with lowercase dictionary names.
func (sc *scanner) contOK(p, q int, lowerFirst bool) bool {
	if q <= p {
		return false
	}
	if lowerFirst != isLower(sc.src[p]) {
		return false
	}
	return sc.nameOK(p, q, nmCont, sc.dictFlags(p, q, hashTok(sc.src[p:q])))
}

// dictName decides a dictionary name without a cue at the token src[i:j]
// (df: its flags, a first name or surname). A name outside the allowlist
// is a name in any case; an allowlisted one ("Will", "Rose", "Brown") only
// as a capitalized full name "First Last". It returns the span.
func (sc *scanner) dictName(i, j int, df uint64) (e, s int) {
	tok := sc.src[i:j]
	if j-i < 3 || j-i > 15 {
		return -1, 0
	}
	up := isUpper(tok[0])
	caps := up && allUpper(tok)
	if df&dAllow == 0 {
		if caps && j-i <= 3 {
			return -1, 0
		}
		s = i
		// a dictionary name just before ("ann smith", "Will Smith")
		if sc.prevEnd >= 0 && sc.prevEnd == i-1 && sc.src[i-1] == ' ' && sc.prevFlags&dName != 0 &&
			sc.prevStart > sc.lastRep && isUpper(sc.src[sc.prevStart]) == up && sc.prevEnd-sc.prevStart >= 2 {
			s = sc.prevStart
		}
		return sc.nameSpan(i, nmCont), s
	}
	// allowlisted: "First Last" in title case, both from the dictionaries
	if !up || caps || df&dFirst == 0 || sc.at(j) != ' ' {
		return -1, 0
	}
	p := j + 1
	q := sc.tokEnd(p)
	if q-p < 2 || !isUpper(sc.src[p]) || allUpper(sc.src[p:q]) {
		return -1, 0
	}
	if _, in := lookup(sc.src[p:q]); in {
		return -1, 0
	}
	nf := sc.dictFlags(p, q, hashTok(sc.src[p:q]))
	if nf&dLast == 0 && (nf&dAllow != 0 || !nameBytes(sc.src[p:q])) {
		return -1, 0
	}
	return sc.nameSpan(i, nmCont), i
}

// dictFlags returns the dictionary flags of the token src[i:j] whose
// hashTok is h (accents folded for non-ASCII tokens); 0 for tokens that
// cannot be names or places.
func (sc *scanner) dictFlags(i, j int, h uint64) uint64 {
	if j-i < 2 || j-i > 24 || sc.s.lex == nil {
		return 0
	}
	for _, c := range sc.src[i:j] {
		if c >= 0x80 {
			return sc.s.lex.get(hashFold(sc.src[i:j]))
		}
		if isDig[c] {
			return 0
		}
	}
	return sc.s.lex.get(h)
}

// listSep reports whether only ", ", " and ", ", and " or " & " separate
// src[i] from the previous name.
func (sc *scanner) listSep(i int) bool {
	if sc.nameEnd < 0 || i-sc.nameEnd > 6 {
		return false
	}
	gap := sc.src[sc.nameEnd:i]
	switch string(gap) {
	case ", ", ",", " and ", ", and ", " & ", " AND ", " or ", "/":
		return true
	}
	return false
}

// lineStart reports whether only blanks precede src[i] on its line.
func (sc *scanner) lineStart(i int) bool {
	for k := i - 1; k >= 0; k-- {
		switch sc.src[k] {
		case '\n', '\r':
			return true
		case ' ', '\t':
		default:
			return false
		}
	}
	return true
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
