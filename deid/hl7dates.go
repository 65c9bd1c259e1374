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
	out := w.buf[:0]
	for start := 0; ; {
		end := w.partEnd(raw, start)
		out = w.appendDateOnly(out, raw[start:end])
		if end == len(raw) {
			break
		}
		out = append(out, raw[end])
		start = end + 1
	}
	w.buf = trimTrailing(out, w.d.Repetition)
	return w.buf
}

// appendDateOnly treats one value of a date field: dates become their year
// (or are shifted), a one-letter code (the TS degree of precision) stays, and
// anything else is removed — a date field holding other text may hold anything.
func (w *hl7Work) appendDateOnly(dst, v []byte) []byte {
	if len(v) <= 1 {
		return append(dst, v...)
	}
	if dt, ok := parseHL7Date(unsafeString(v)); ok {
		return w.appendDate(dst, v, dt)
	}
	w.rep.Add(text.Date, Removed, 1)
	return dst
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

// sweepDates reduces full dates found in kept fields to the year.
func (w *hl7Work) sweepDates(raw []byte) []byte {
	found := false
	for start := 0; ; {
		end := w.partEnd(raw, start)
		if looksLikeDTM(raw[start:end]) {
			found = true
			break
		}
		if end == len(raw) {
			break
		}
		start = end + 1
	}
	if !found {
		return raw
	}
	out := w.buf[:0]
	for start := 0; ; {
		end := w.partEnd(raw, start)
		if v := raw[start:end]; looksLikeDTM(v) {
			dt, _ := parseHL7Date(unsafeString(v))
			out = w.appendDate(out, v, dt)
		} else {
			out = append(out, v...)
		}
		if end == len(raw) {
			break
		}
		out = append(out, raw[end])
		start = end + 1
	}
	w.buf = trimTrailing(out, w.d.Repetition)
	return w.buf
}

// looksLikeDTM reports whether v is exactly an HL7 date/time of at least day
// precision: 8, 10, 12 or 14 digits, optional fraction and zone.
func looksLikeDTM(v []byte) bool {
	n := 0
	for n < len(v) && v[n] >= '0' && v[n] <= '9' {
		n++
	}
	if n != 8 && n != 10 && n != 12 && n != 14 {
		return false
	}
	rest := v[n:]
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		rest = rest[i:]
	}
	if len(rest) > 0 && !(len(rest) == 5 && (rest[0] == '+' || rest[0] == '-')) {
		return false
	}
	dt, ok := parseHL7Date(unsafeString(v[:8]))
	return ok && dt.prec == 8 && dt.year >= 1800 && dt.year <= 2200
}
