package text

// Places: towns after a cue ("lives in Lowell", "moved from San Diego"),
// dictionary towns after a preposition ("in Boston"), facilities after a
// transfer cue ("transferred to GH"), facility names ending in a facility
// word ("Mercy Hospital", "MOUNT AUBURN HOSPITAL"), "St. Elsewhere", and
// the city, state, ZIP and unit lines that follow a street line.

// facilityWords end a facility name ("Lowell General Hospital").
var facilityWords = map[string]bool{}

// unitWords are hospital units and services, never facility names by
// themselves ("transferred to ICU", "transfer to floor").
var unitWords = map[string]bool{}

// facilityList is facilityWords as a list; the lexicon also marks these
// words (dFacility) so the scanner tests them without a map access.
var facilityList = []string{"hospital", "hospitals", "clinic", "clinics", "infirmary", "hospice", "sanatorium",
	"sanitarium", "institute", "healthcare", "center", "centre", "memorial", "manor", "pavilion",
	"rehabilitation", "rehab", "medical", "health", "nursing", "home", "homes", "asylum", "practice",
	"associates", "pharmacy", "snf", "va", "vamc", "facility", "hosp", "ctr", "med"}

func init() {
	for _, w := range facilityList {
		facilityWords[w] = true
	}
	for _, w := range []string{"icu", "micu", "sicu", "ccu", "cvicu", "csru", "nicu", "picu", "tsicu", "ed",
		"er", "or", "pacu", "floor", "floors", "ward", "wards", "unit", "units", "rehab", "snf", "ltac", "ltach",
		"home", "hospice", "clinic", "ir", "cath", "lab", "ct", "mri", "us", "ep", "step", "stepdown", "tele",
		"telemetry", "medicine", "surgery", "ob", "gyn", "l&d", "psych", "ent", "gi", "vir", "ms", "osh", "hd",
		"dialysis", "nh", "alf", "ecf", "acf", "rhb", "the", "a", "an", "his", "her", "their"} {
		unitWords[w] = true
	}
}

// place detects a place or facility at the word src[i:j]; it returns the
// span (start s may precede i for a facility name ending at this word).
func (sc *scanner) place(i, j int, info wordInfo, inTable bool, df uint64) (e, s int) {
	src := sc.src
	up := isUpper(src[i]) || src[i] >= 0x80
	// the lines after a street line: "Apt 4B", "Boston, MA 02139"
	if sc.addrLines > 0 && sc.lineStart(i) {
		if e := sc.addrLine(i); e > 0 {
			return e, i
		}
	}
	switch sc.cue {
	case cuePlace:
		if e := sc.capRun(i, true); e > 0 {
			return e, i
		}
		if e := sc.dictPlace(i, false); e > 0 {
			return e, i
		}
	case cueFacility:
		if e := sc.capRun(i, false); e > 0 {
			return e, i
		}
		if e := sc.dictPlace(i, false); e > 0 {
			return e, i
		}
	case cuePrep:
		if up && !inTable {
			if e := sc.dictPlace(i, true); e > 0 {
				return e, i
			}
		}
	}
	if !up {
		return -1, 0
	}
	// St. Elsewhere, St Mary's
	if j-i == 2 && (src[i+1] == 't' || src[i+1] == 'T') && sc.at(j) == '.' && sc.at(j+1) == ' ' && isUpper(sc.at(j+2)) {
		if e := sc.capRun(j+2, true); e > 0 {
			return e, i
		}
	}
	// "... Hospital": look back over the capitalized words of the name
	if df&dFacility == 0 {
		return -1, 0
	}
	start, distinct := i, false
	for k := i; ; {
		p := k - 1
		if p >= 0 && src[p] == ' ' {
			p--
		}
		if p >= 0 && src[p] == '.' && p >= 2 && eqFold(src[p-2:p], "st") {
			p--
		}
		if p < 0 || !isTok[src[p]] || p <= sc.lastRep {
			break
		}
		ts := sc.tokStart(p + 1)
		if ts <= sc.lastRep {
			break
		}
		t := src[ts : p+1]
		if sc.at(ts+len(t)) == '\'' || !(isUpper(t[0]) || t[0] >= 0x80) || !nameBytes(t) {
			// "Children's": take the possessive, stop at lowercase words
			if !(ts > 0 && src[ts-1] == '\'' && eqFold(t, "s")) {
				break
			}
		}
		if _, in := lookup(t); in && !eqFold(t, "st") && !facilityWords[lowerWord(t)] {
			break
		}
		f := sc.dictFlags(ts, p+1, hashTok(t))
		if f&dAllow == 0 || f&(dName|dPlace) != 0 || eqFold(t, "st") || (allUpper(t) && len(t) >= 2 && !unitWords[lowerWord(t)]) {
			distinct = true
		}
		start, k = ts, ts
		if ts > 0 && src[ts-1] == '\'' {
			k = ts - 1
		}
	}
	if start == i || !distinct {
		return -1, 0
	}
	// and forward over more facility words ("Medical Center")
	e = j
	for sc.at(e) == ' ' {
		q := sc.tokEnd(e + 1)
		if q == e+1 || !isUpper(src[e+1]) || !facilityWords[lowerWord(src[e+1:q])] {
			break
		}
		e = q
	}
	return e, start
}

// lowerWord returns tok lowercased in a small fixed buffer (as a string
// that does not escape; for map lookups).
func lowerWord(tok []byte) string {
	var buf [24]byte
	if len(tok) > len(buf) {
		return ""
	}
	for k, c := range tok {
		buf[k] = lower(c)
	}
	return string(buf[:len(tok)])
}

// capRun takes up to four capitalized words at i that are not function
// words; with town set the run is a town and any capitalized word counts,
// otherwise (a facility) the run needs a word outside the allowlist, a
// dictionary name or place, or an acronym that is not a hospital unit.
func (sc *scanner) capRun(i int, town bool) int {
	src := sc.src
	e, distinct := -1, false
	k := i
	for n := 0; n < 4; n++ {
		w := sc.tokEnd(k)
		if w == k || !(isUpper(src[k]) || src[k] >= 0x80) || !nameBytes(src[k:w]) {
			break
		}
		t := src[k:w]
		if _, in := lookup(t); in && !eqFold(t, "st") && !facilityWords[lowerWord(t)] {
			break
		}
		if unitWords[lowerWord(t)] {
			break
		}
		f := sc.dictFlags(k, w, hashTok(t))
		if town || f&dAllow == 0 || f&(dName|dPlace) != 0 || (allUpper(t) && len(t) >= 2) {
			distinct = true
		}
		e = w
		if sc.at(w) == '\'' && (sc.at(w+1)|0x20) == 's' && !isTok[sc.at(w+2)] {
			e = w + 2
			w = e
		}
		if sc.at(w) == '.' && eqFold(t, "st") {
			w++
		}
		if sc.at(w) != ' ' {
			break
		}
		k = w + 1
	}
	if !distinct {
		return -1
	}
	return e
}

// dictPlace matches the longest dictionary place name (one to four words)
// at i. With strict set a single word must be outside the allowlist.
func (sc *scanner) dictPlace(i int, strict bool) int {
	src := sc.src
	w := sc.tokEnd(i)
	if w-i < 2 {
		return -1
	}
	h := hashTok(src[i:w])
	f := sc.dictFlags(i, w, h)
	best := -1
	if f&dPlace != 0 && !(strict && f&dAllow != 0) && (isUpper(src[i]) || f&dAllow == 0) {
		best = w
	}
	for n := 1; n < 4 && f&dPlacePre != 0; n++ {
		if sc.at(w) != ' ' && sc.at(w) != '-' {
			break
		}
		p := w + 1
		q := sc.tokEnd(p)
		if q == p {
			break
		}
		h = (h ^ ' ') * fnvPrime
		for _, c := range src[p:q] {
			h = (h ^ uint64(lowerT[c])) * fnvPrime
		}
		f = sc.s.lex.get(h)
		w = q
		if f&dPlace != 0 {
			best = w
		}
	}
	return best
}

// addrLine takes a whole line after a street line when it reads as the
// rest of an address: unit ("Apt 4B", "Suite 200"), city, state, ZIP.
func (sc *scanner) addrLine(i int) int {
	src := sc.src
	k, end, words, ok := i, -1, 0, false
	for k < len(src) && src[k] != '\n' && src[k] != '\r' {
		c := src[k]
		switch {
		case c == ' ' || c == ',' || c == '#' || c == '.' || c == '-' || c == '\t':
			k++
			continue
		case isDig[c]:
			d := sc.tokEnd(k)
			if d-k == 5 {
				ok = true // a ZIP
			}
			end, k = d, d
			continue
		case isAlpha[c] || c >= 0x80:
			w := sc.tokEnd(k)
			t := src[k:w]
			info, in := lookup(t)
			if !(isUpper(c) || c >= 0x80) && info.flags&fUnit == 0 {
				return -1
			}
			if in && info.flags&(fUnit|fSuffix) == 0 && !isState(t) && info.month == 0 {
				return -1
			}
			if info.flags&fUnit != 0 || isState(t) || sc.dictFlags(k, w, hashTok(t))&dPlace != 0 {
				ok = true
			}
			words++
			end, k = w, w
			continue
		}
		return -1
	}
	if words == 0 || end < 0 || !ok {
		return -1
	}
	return end
}
