package deid

import (
	"strconv"
	"strings"

	"github.com/safeharbor/safeharbor/deid/text"
	"github.com/safeharbor/safeharbor/fhir"
)

// date treats a date, dateTime or instant: the year (safe-harbor) or the
// date shifted by the patient's offset (shift). A malformed value is
// reduced to a year when one can be read, else removed.
func (w *fhirWork) date(v *fhir.Value) fhir.Action {
	s := v.Str()
	d, ok := parseFHIRDate(s)
	if ok && (!validFHIRTime(d.rest) || d.prec >= 8 && !validYMD(d.year, d.month, d.day)) {
		ok = false
	}
	if !ok {
		y, found := readYear(s)
		if !found {
			w.rep.Add(text.Date, Removed, 1)
			w.removed = true
			return fhir.Remove
		}
		w.harvest(text.Date, s)
		v.SetString(y)
		w.rep.Add(text.Date, Generalized, 1)
		w.abstr = true
		return fhir.Continue
	}
	if d.prec >= 8 {
		w.harvest(text.Date, s[:10])
	}
	if w.e.cfg.Profile == Shift {
		v.SetString(shiftFHIR(d, w.shift))
		w.rep.Add(text.Date, Shifted, 1)
		return fhir.Continue
	}
	if len(s) > 4 {
		v.SetString(strconv.Itoa(d.year))
		w.rep.Add(text.Date, Generalized, 1)
		w.abstr = true
	}
	return fhir.Continue
}

// validYMD reports whether y-m-d is a calendar date.
func validYMD(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	n := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		n = 29
	}
	return d <= n
}

// validFHIRTime reports whether rest, the text after a FHIR date's day, is
// empty or a valid time part: Thh:mm[:ss[.fff]] then Z or ±hh:mm.
func validFHIRTime(rest string) bool {
	if rest == "" {
		return true
	}
	two := func(s string, max int) bool {
		return len(s) >= 2 && digits(s[:2]) && int(s[0]-'0')*10+int(s[1]-'0') <= max
	}
	if rest[0] != 'T' || !two(rest[1:], 23) || len(rest) < 6 || rest[3] != ':' || !two(rest[4:], 59) {
		return false
	}
	r := rest[6:]
	if len(r) > 0 && r[0] == ':' {
		if !two(r[1:], 60) {
			return false
		}
		r = r[3:]
		if len(r) > 0 && r[0] == '.' {
			i := 1
			for i < len(r) && r[i] >= '0' && r[i] <= '9' {
				i++
			}
			if i == 1 {
				return false
			}
			r = r[i:]
		}
	}
	switch {
	case r == "" || r == "Z":
		return true
	case len(r) == 6 && (r[0] == '+' || r[0] == '-') && two(r[1:], 14) && r[3] == ':' && two(r[4:], 59):
		return true
	}
	return false
}

// readYear finds a year in a malformed date: four leading digits, else a
// standalone run of four digits from 1800 to 2199.
func readYear(s string) (string, bool) {
	if len(s) >= 4 && digits(s[:4]) && (len(s) == 4 || s[4] < '0' || s[4] > '9') {
		if y, _ := strconv.Atoi(s[:4]); y >= 1000 {
			return s[:4], true
		}
	}
	for i := 0; i+4 <= len(s); i++ {
		if !digits(s[i:i+4]) || i > 0 && s[i-1] >= '0' && s[i-1] <= '9' || i+4 < len(s) && s[i+4] >= '0' && s[i+4] <= '9' {
			continue
		}
		if y, _ := strconv.Atoi(s[i : i+4]); y >= 1800 && y < 2200 {
			return s[i : i+4], true
		}
	}
	return "", false
}

// UCUMSystem is the code system of units of measure.
const UCUMSystem = "http://unitsofmeasure.org"

// perYear is how many of a time unit (UCUM code or common text) make a year.
var perYear = map[string]float64{
	"a": 1, "ann": 1, "annum": 1, "y": 1, "yr": 1, "yrs": 1, "year": 1, "years": 1, "a_j": 1, "a_g": 1,
	"mo": 12, "mos": 12, "mon": 12, "month": 12, "months": 12, "mo_j": 12, "mo_g": 12,
	"wk": 52.1775, "wks": 52.1775, "week": 52.1775, "weeks": 52.1775, "w": 52.1775,
	"d": 365.25, "day": 365.25, "days": 365.25,
	"h": 8766, "hr": 8766, "hrs": 8766, "hour": 8766, "hours": 8766,
	"min": 525960, "mins": 525960, "minute": 525960, "minutes": 525960,
	"s": 31557600, "sec": 31557600, "secs": 31557600, "second": 31557600, "seconds": 31557600,
	"ms": 31557600000,
}

// unitPerYear reads the unit of an Age or Duration from its code, else its
// unit text. An unknown or missing unit counts as years (fail closed).
func unitPerYear(v *fhir.Value) float64 {
	for _, k := range []string{"code", "unit"} {
		u := v.Get(k)
		if u == nil || u.Kind() != fhir.String {
			continue
		}
		s := strings.ToLower(strings.TrimSpace(u.Str()))
		if i := strings.IndexByte(s, '{'); i >= 0 { // UCUM annotation: a{age}
			s = strings.TrimSpace(s[:i])
		}
		if n, ok := perYear[s]; ok {
			return n
		}
	}
	return 1
}

// age generalises an Age or Duration of 90 years or more, in any unit, to
// 90 years with comparator ">=", dropping its extensions and ids.
func (w *fhirWork) age(v *fhir.Value) {
	val := v.Get("value")
	if val == nil || val.Kind() != fhir.Number {
		return
	}
	n, err := strconv.ParseFloat(val.Raw(), 64)
	if err != nil || n/unitPerYear(v) < 90 {
		return
	}
	var keys []string
	for k := range v.Members() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		v.Delete(k)
	}
	v.Set("value", fhir.NewNumber("90"))
	v.Set("unit", fhir.NewString("years"))
	v.Set("system", fhir.NewString(UCUMSystem))
	v.Set("code", fhir.NewString("a"))
	v.Set("comparator", fhir.NewString(">="))
	w.rep.Add(text.Age, Generalized, 1)
	w.abstr = true
}

// idLike reports whether s looks like an identifier: no whitespace, 4 to
// 64 bytes, a digit, and not a plain number unless it has 6 digits or more.
func idLike(s string) bool {
	if len(s) < 4 || len(s) > 64 {
		return false
	}
	nd, other := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= ' ':
			return false
		case c >= '0' && c <= '9':
			nd++
		case c != '.' && c != ',':
			other = true
		}
	}
	return nd > 0 && (other || nd >= 6)
}
