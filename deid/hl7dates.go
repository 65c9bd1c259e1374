package deid

// This file: HL7v2 dates: date fields to the year (or shifted), birth dates at 90 or
// older removed, and full dates swept out of kept fields.

import (
	"encoding/binary"
	"strconv"

	"github.com/safeharbor/safeharbor/deid/text"
)

// dates reduces every date in the field to its year (or shifts it). A value
// in a date field that is not a date is removed: it may be anything. A birth
// date of someone 90 or older is removed entirely.
func (w *hl7Work) dates(raw []byte, dob bool) []byte {
	if dob {
		first, _, _ := cut(raw, w.d.Repetition)
		v := w.str(first)
		if b, ok := parseHL7Date(v); ok {
			if b.prec >= 8 {
				// YYYYMMDD: the eight digits parseHL7Date read
				w.remember(text.Date, v[:8])
			}
			if ageAt(b, w.ref) >= 90 {
				w.rep.Add(text.Age, Removed, 1)
				return nil
			}
		}
	}
	w.buf = trimTrailing(w.appendDateParts(w.buf[:0], raw), w.d.Repetition)
	return w.buf
}

// appendDateParts appends raw with every part (the text between
// separators) treated by appendDateOnly.
func (w *hl7Work) appendDateParts(dst, raw []byte) []byte {
	for start := 0; ; {
		end := w.partEnd(raw, start)
		dst = w.appendDateOnly(dst, raw[start:end])
		if end == len(raw) {
			return dst
		}
		dst = append(dst, raw[end])
		start = end + 1
	}
}

// appendDateOnly treats one value of a date field: a well-formed timestamp
// becomes its year (or is shifted); a malformed one (odd length, separators,
// trailing text) becomes the year it starts with, under both profiles, since
// it cannot be shifted exactly; a one-letter code (the TS degree of
// precision) stays; anything else is removed — a date field holding other
// text may hold anything.
func (w *hl7Work) appendDateOnly(dst, v []byte) []byte {
	if len(v) <= 1 {
		return append(dst, v...)
	}
	if wellFormedDTM(v) {
		if dt, ok := parseHL7Date(unsafeString(v)); ok {
			return w.appendDate(dst, v, dt)
		}
	}
	if y, ok := leadingYear(v); ok {
		w.rep.Add(text.Date, Generalized, 1)
		return append(dst, y...)
	}
	w.rep.Add(text.Date, Removed, 1)
	return dst
}

// appendKeptDate treats a part of a kept value that timestampLike accepts.
func (w *hl7Work) appendKeptDate(dst, v []byte) []byte {
	if wellFormedDTM(v) {
		if dt, ok := parseHL7Date(unsafeString(v)); ok {
			return w.appendDate(dst, v, dt)
		}
	}
	if len(v) >= 8 && eightDigits(v) {
		w.remember(text.Date, unsafeString(v[:8]))
	}
	y, _ := leadingYear(v)
	w.rep.Add(text.Date, Generalized, 1)
	return append(dst, y...)
}

// minYear and maxYear bound the years read from timestamps.
const minYear, maxYear = 1800, 2200

// leadingYear returns the year a value starts with: four digits of a
// plausible year, not followed by a digit unless the value goes on like a
// date (YYYYMM...).
func leadingYear(v []byte) ([]byte, bool) {
	if len(v) < 4 {
		return nil, false
	}
	for _, c := range v[:4] {
		if c < '0' || c > '9' {
			return nil, false
		}
	}
	y := int(v[0]-'0')*1000 + int(v[1]-'0')*100 + int(v[2]-'0')*10 + int(v[3]-'0')
	if y < minYear || y > maxYear {
		return nil, false
	}
	if len(v) >= 6 && v[4] >= '0' && v[4] <= '9' {
		// digits go on: a date only if a month follows
		if m := int(v[4]-'0')*10 + int(v[5]-'0'); v[5] < '0' || v[5] > '9' || m < 1 || m > 12 {
			return nil, false
		}
	} else if len(v) == 5 && v[4] >= '0' && v[4] <= '9' {
		return nil, false
	}
	return v[:4], true
}

// timestampLike reports whether a part of a kept value is a timestamp,
// well-formed or not: YYYYMMDD (a valid month and day of a plausible year)
// followed by anything, or YYYY-MM-DD.
func timestampLike(v []byte) bool {
	if len(v) < 8 {
		return false
	}
	if eightDigits(v) {
		dt, ok := parseHL7Date(unsafeString(v[:8]))
		return ok && dt.prec == 8 && dt.year >= minYear && dt.year <= maxYear
	}
	if isoDate(v) {
		_, ok := leadingYear(v)
		return ok
	}
	return false
}

// isoDate reports whether v starts with YYYY-MM-DD.
func isoDate(v []byte) bool {
	if len(v) < 10 || v[4] != '-' || v[7] != '-' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	m, d := int(v[5]-'0')*10+int(v[6]-'0'), int(v[8]-'0')*10+int(v[9]-'0')
	return m >= 1 && m <= 12 && d >= 1 && d <= 31
}

// appendDate appends the treated form of a parsed date value v.
func (w *hl7Work) appendDate(dst, v []byte, dt dtm) []byte {
	if dt.prec >= 8 {
		w.remember(text.Date, unsafeString(v[:8]))
	}
	if w.e.cfg.Profile == Shift {
		w.rep.Add(text.Date, Shifted, 1)
		return append(dst, shiftHL7(dt, w.shift)...)
	}
	if len(v) > 4 {
		w.rep.Add(text.Date, Generalized, 1)
	}
	return strconv.AppendInt(dst, int64(dt.year), 10)
}

// eightDigits reports whether b starts with 8 ASCII digits.
func eightDigits(b []byte) bool {
	x := binary.LittleEndian.Uint64(b)
	// every byte in '0'..'9': its high nibble is 3 and adding 6 to it does
	// not carry into the high nibble
	return x&0xF0F0F0F0F0F0F0F0 == 0x3030303030303030 &&
		(x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0 == 0x3030303030303030
}

// wellFormedDTM reports whether v is exactly an HL7 DT/DTM/TS value:
// 4, 6, 8, 10, 12 or 14 digits, a fraction of 1 to 4 digits after seconds,
// and an optional +/-ZZZZ zone, with a valid month and day.
func wellFormedDTM(v []byte) bool {
	n := 0
	for n < len(v) && v[n] >= '0' && v[n] <= '9' {
		n++
	}
	switch n {
	case 4, 6, 8, 10, 12, 14:
	default:
		return false
	}
	rest := v[n:]
	if len(rest) > 0 && rest[0] == '.' {
		if n != 14 {
			return false
		}
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 || i > 5 {
			return false
		}
		rest = rest[i:]
	}
	if len(rest) > 0 && !(len(rest) == 5 && (rest[0] == '+' || rest[0] == '-') && digits(unsafeString(rest[1:]))) {
		return false
	}
	dt, ok := parseHL7Date(unsafeString(v[:n]))
	return ok && dt.year >= minYear && dt.year <= maxYear
}
