package text

// Ages of 90 and over written as words ("ninety-two year old", "one
// hundred and one yo") or as a bare number opening a line ("92 s/p hip fx",
// "94F with ...").

// ageFollow are the words that, after a number of 90 or more opening a
// line, make it an age: sex, "s/p", "with", "yo", history words.
var ageFollow = map[string]bool{}

// numberWords are the tens and units of spelled-out ages.
var numberWords = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
	"seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
}

func init() {
	for _, w := range []string{"m", "f", "male", "female", "man", "woman", "gentleman", "lady", "yo", "y", "yr",
		"yrs", "year", "years", "s", "w", "with", "h", "hx", "pmh", "wm", "wf", "bm", "bf", "hm", "hf", "am",
		"af", "old", "yof", "yom", "yowf", "yowm", "presents", "admitted", "who", "widow", "widower", "nursing",
		"resident", "female", "male", "pt", "patient", "transferred", "brought", "sp", "c", "hpi"} {
		ageFollow[w] = true
	}
}

// ageLine reports whether the number src[i:d] (90..199) opens a line and is
// followed by an age word ("92 s/p", "92 F", "92M", "92 yo").
func (sc *scanner) ageLine(i, d int) bool {
	if !sc.lineStart(i) {
		return false
	}
	k := d
	if sc.at(k) == ' ' || sc.at(k) == '-' {
		k++
	}
	w := sc.tokEnd(k)
	if w == k || w-k > 12 || isDig[sc.src[k]] {
		return false
	}
	if sc.at(k+1) == '/' || sc.at(k+1) == '.' { // s/p, w/, h/o, y.o.
		return ageFollow[lowerWord(sc.src[k:k+1])]
	}
	return ageFollow[lowerWord(sc.src[k:w])]
}

// ageWords parses a spelled-out age of 90..199 at the word src[i:j]
// ("ninety", "ninety-two", "one hundred (and) one") followed by an age unit
// or after an age cue; it returns the end of the number words.
func (sc *scanner) ageWords(i, j int) int {
	t := sc.src[i:j]
	e := -1
	switch {
	case eqFold(t, "ninety"):
		e = j
		if c := sc.at(j); c == '-' || c == ' ' {
			w := sc.tokEnd(j + 1)
			if n, ok := numberWords[lowerWord(sc.src[j+1:w])]; ok && n < 10 {
				e = w
			}
		}
	case eqFold(t, "one") || eqFold(t, "a"):
		if sc.at(j) != ' ' {
			return -1
		}
		w := sc.tokEnd(j + 1)
		if !eqFold(sc.src[j+1:w], "hundred") {
			return -1
		}
		e = w
		k := w
		if sc.at(k) == ' ' || sc.at(k) == '-' {
			q := sc.tokEnd(k + 1)
			if eqFold(sc.src[k+1:q], "and") && sc.at(q) == ' ' {
				k = q
				q = sc.tokEnd(k + 1)
			}
			if _, ok := numberWords[lowerWord(sc.src[k+1:q])]; ok {
				e = q
				if c := sc.at(q); c == '-' || c == ' ' {
					r := sc.tokEnd(q + 1)
					if n, ok := numberWords[lowerWord(sc.src[q+1:r])]; ok && n < 10 {
						e = r
					}
				}
			}
		}
	default:
		return -1
	}
	if sc.cue == cueAge || sc.ageUnit(e) {
		return e
	}
	return -1
}
