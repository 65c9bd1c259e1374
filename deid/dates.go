package deid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"
)

// dtm is a parsed HL7 DT/DTM/TS or FHIR date/dateTime/instant value.
type dtm struct {
	year, month, day int
	prec             int    // 4 year, 6 month, 8 day, more = has time
	rest             string // time-of-day and zone text after the date part (kept by shift)
}

// parseHL7Date parses YYYY[MM[DD[HH[MM[SS[.S...]]]]]][+/-ZZZZ]. ok is false
// when s does not start with a plausible year.
func parseHL7Date(s string) (dtm, bool) {
	var d dtm
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n < 4 {
		return d, false
	}
	// s[:n] are ASCII digits
	d.year = int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	if d.year < 1000 {
		return d, false
	}
	d.prec = 4
	if n >= 6 {
		d.month = int(s[4]-'0')*10 + int(s[5]-'0')
		if d.month < 1 || d.month > 12 {
			return d, false
		}
		d.prec = 6
	}
	if n >= 8 {
		d.day = int(s[6]-'0')*10 + int(s[7]-'0')
		if d.day < 1 || d.day > 31 {
			return d, false
		}
		d.prec = 8
		d.rest = s[8:]
	}
	return d, true
}

// parseFHIRDate parses YYYY, YYYY-MM, YYYY-MM-DD and dateTime/instant forms.
func parseFHIRDate(s string) (dtm, bool) {
	var d dtm
	if len(s) < 4 || !digits(s[:4]) {
		return d, false
	}
	d.year, _ = strconv.Atoi(s[:4])
	d.prec = 4
	if len(s) >= 7 && s[4] == '-' && digits(s[5:7]) {
		d.month, _ = strconv.Atoi(s[5:7])
		d.prec = 6
		if len(s) >= 10 && s[7] == '-' && digits(s[8:10]) {
			d.day, _ = strconv.Atoi(s[8:10])
			d.prec = 8
			d.rest = s[10:]
		}
	}
	if d.month > 12 || d.day > 31 {
		return d, false
	}
	return d, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

func (d dtm) time() time.Time {
	m, day := d.month, d.day
	if m == 0 {
		m = 1
	}
	if day == 0 {
		day = 1
	}
	return time.Date(d.year, time.Month(m), day, 0, 0, 0, 0, time.UTC)
}

// ageAt returns the age in whole years of someone born at b on date at.
func ageAt(b dtm, at time.Time) int {
	age := at.Year() - b.year
	if b.prec < 8 {
		// without a full birth date, assume the birthday already passed: the
		// higher age, which errs toward treating someone as 90 or older
		return age
	}
	if int(at.Month()) < b.month || int(at.Month()) == b.month && at.Day() < b.day {
		age--
	}
	return age
}

// shiftDays returns the per-patient date shift in days, in [-365, 365] and never 0.
func shiftDays(shiftKey []byte, patient string) int {
	m := hmac.New(sha256.New, shiftKey)
	m.Write([]byte(patient))
	v := binary.BigEndian.Uint64(m.Sum(nil)[:8])
	d := int(v%730) - 365
	if d >= 0 {
		d++
	}
	return d
}

// shiftHL7 shifts an HL7 date by days, keeping its precision and time part.
// Dates less precise than a day are reduced to the year.
func shiftHL7(d dtm, days int) string {
	if d.prec < 8 {
		return strconv.Itoa(d.year)
	}
	return d.time().AddDate(0, 0, days).Format("20060102") + d.rest
}

// shiftFHIR is shiftHL7 for FHIR date formats.
func shiftFHIR(d dtm, days int) string {
	if d.prec < 8 {
		return strconv.Itoa(d.year)
	}
	return d.time().AddDate(0, 0, days).Format("2006-01-02") + d.rest
}
