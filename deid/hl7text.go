package deid

// This file: HL7v2 free text: scrubbing of text values and coded-element text, OBX-5 by
// value type, and re-escaping of treated values.

import (
	"strings"

	"github.com/safeharbor/safeharbor/deid/text"
)

func (w *hl7Work) esc(dst []byte, v string) []byte {
	// the bytes before the first one AppendEscaped would encode are copied
	// as they are (its treatment of a byte never depends on earlier ones)
	i := 0
	for i < len(v) && w.class[v[i]] < clsSpecial {
		i++
	}
	if i == len(v) {
		return append(dst, v...)
	}
	start := len(dst)
	dst = append(dst, v[:i]...)
	out, ok := w.d.AppendEscaped(dst, v[i:])
	if !ok {
		return dst[:start]
	}
	return out
}

// escClass marks, in w.class, the bytes AppendEscaped encodes: delimiters,
// CR, LF and NUL.
func (w *hl7Work) escClass() {
	d := &w.d
	for _, c := range [...]byte{'\r', '\n', 0, d.Escape, d.Truncation} {
		if w.class[c] < clsSep {
			w.class[c] = clsSpecial
		}
	}
}

// scrub decodes one value, scrubs it and encodes it again.
func (w *hl7Work) scrub(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return dst
	}
	for ; w.built < len(w.pending); w.built++ {
		kv := w.pending[w.built]
		w.known.Add(kv.cat, kv.v)
	}
	w.tmp = w.d.AppendUnescaped(w.tmp[:0], raw)
	start := len(w.tmp)
	w.tmp = w.e.scrubber.Scrub(w.tmp, w.tmp[:start], &w.known, &w.counts)
	return w.esc(dst, unsafeString(w.tmp[start:]))
}

// codedRep scrubs the text components (2, 5 and 9) of one CE/CWE repetition.
func (w *hl7Work) codedRep(dst, rp []byte) []byte {
	d := &w.d
	var cs [6][]byte
	comps(rp, d.Component, cs[:])
	for _, sys := range [...]int{3, 6} {
		if v := cs[sys-1]; len(v) > 0 && countyCodeSystems[strings.ToUpper(w.str(v))] {
			w.rep.Add(text.Address, Removed, 1)
			return dst
		}
	}
	for c, rest, more := 1, rp, len(rp) > 0; more; c++ {
		var comp []byte
		comp, rest, more = cut(rest, d.Component)
		if c > 1 {
			dst = append(dst, d.Component)
		}
		if c == 2 || c == 5 || c == 9 {
			dst = w.scrub(dst, comp)
		} else {
			dst = append(dst, comp...)
		}
	}
	return dst
}

// countyCodeSystems are coding systems whose codes name a county or smaller area.
var countyCodeSystems = map[string]bool{"FIPS6_4": true, "FIPS6-4": true, "FIPS55-3": true, "FIPS 6-4": true, "GNIS": true}

// obx5 treats an observation value by its type (OBX-2, given as f2).
func (w *hl7Work) obx5(f2, raw []byte) []byte {
	vt0, _, _ := cut(f2, w.d.Component)
	vt := strings.ToUpper(strings.TrimSpace(w.str(vt0)))
	switch vt {
	case "NM", "SN", "NA", "NR", "ID", "IS", "CP", "MO", "TM", "CQ":
		return w.transform(f2, keepR, raw)
	case "CE", "CWE", "CNE", "CF":
		return w.transform(f2, codedR, raw)
	case "DT", "DTM", "TS", "DR":
		return w.dates(raw, false)
	case "ED", "RP":
		cat := text.Photo
		if vt == "RP" {
			cat = text.URL
		}
		w.rep.Add(cat, Removed, 1)
		return nil
	case "XPN", "PN":
		return w.transform(f2, nameR, raw)
	case "XAD", "AD":
		return w.transform(f2, addrR, raw)
	case "XTN", "TN":
		return w.transform(f2, phoneR, raw)
	case "CX":
		return w.transform(f2, mrnR, raw)
	case "EI", "HD":
		// entity and hierarchic designators here are instance identifiers (order, study UIDs)
		return w.transform(f2, eiR, raw)
	}
	// TX, FT, ST and anything unknown: free text
	return w.eachRep(raw, opText, text.Name)
}
