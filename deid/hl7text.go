package deid

// This file: HL7v2 free text: scrubbing of text values and coded-element text, OBX-5 by
// value type, and re-escaping of treated values.

import (
	"bytes"
	"strings"

	"github.com/safeharbor/safeharbor/deid/text"
)

func (w *hl7Work) esc(dst []byte, v string) []byte {
	// the bytes before the first one AppendEscaped would encode are copied
	// as they are (its treatment of a byte never depends on earlier ones)
	i := 0
	for i < len(v) && w.class[v[i]]&^(clsDigit|clsText) == 0 {
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

// scrub scrubs a text value part by part: the text between separators
// (components, subcomponents, repetitions) is scrubbed and the separators
// stay, so a separator is never re-encoded as an escape sequence.
func (w *hl7Work) scrub(dst, raw []byte) []byte {
	for start := 0; start < len(raw); {
		end := w.partEnd(raw, start)
		dst = w.scrubPart(dst, raw[start:end])
		if end == len(raw) {
			break
		}
		dst = append(dst, raw[end])
		start = end + 1
	}
	return dst
}

// buildKnown adds the values remembered so far to the free-text set.
func (w *hl7Work) buildKnown() {
	for ; w.built < len(w.pending); w.built++ {
		kv := w.pending[w.built]
		w.known.Add(kv.cat, kv.v)
	}
}

// scrubPart scrubs one part (no separator inside) and appends it, escaped
// only where the input was: a part without the escape character is its own
// decoded text (the scrubber keeps its bytes or writes tags, which hold no
// delimiter), a part the scrubber leaves unchanged is copied as it was, and
// otherwise escape characters the input had verbatim (a backslash that
// starts no escape sequence) stay verbatim unless the input also used \E\.
func (w *hl7Work) scrubPart(dst, v []byte) []byte {
	if len(v) == 0 {
		return dst
	}
	w.buildKnown()
	if !w.hasEscape(v) {
		return w.e.scrubber.Scrub(dst, v, &w.known, &w.counts)
	}
	w.tmp = w.d.AppendUnescaped(w.tmp[:0], v)
	n := len(w.tmp)
	w.tmp = w.e.scrubber.Scrub(w.tmp, w.tmp[:n], &w.known, &w.counts)
	out := w.tmp[n:]
	if bytes.Equal(out, w.tmp[:n]) {
		return append(dst, v...)
	}
	e := w.d.Escape
	if bytes.Contains(v, []byte{e, 'E', e}) {
		return w.esc(dst, unsafeString(out))
	}
	for len(out) > 0 {
		i := bytes.IndexByte(out, e)
		if i < 0 {
			return w.esc(dst, unsafeString(out))
		}
		dst = w.esc(dst, unsafeString(out[:i]))
		dst = append(dst, e)
		out = out[i+1:]
	}
	return dst
}

// compRep treats one repetition of a composite field by component: the
// components in r.text are scrubbed, those in r.date are dates, the others
// are kept and swept (keepAppend). A coded element (coded) whose coding
// system names counties or smaller areas is removed.
func (w *hl7Work) compRep(dst, rp []byte, r rule, coded bool) []byte {
	d := &w.d
	if coded {
		var cs [6][]byte
		comps(rp, d.Component, cs[:])
		for _, sys := range [...]int{3, 6} {
			if v := cs[sys-1]; len(v) > 0 && countyCodeSystems[strings.ToUpper(w.str(v))] {
				w.rep.Add(text.Address, Removed, 1)
				return dst
			}
		}
	}
	for c, rest, more := 1, rp, len(rp) > 0; more; c++ {
		var comp []byte
		comp, rest, more = cut(rest, d.Component)
		if c > 1 {
			dst = append(dst, d.Component)
		}
		var bit uint32
		if c < 32 {
			bit = 1 << c
		}
		switch {
		case len(comp) == 0:
		case r.text&bit != 0:
			dst = w.scrub(dst, comp)
		case r.date&bit != 0:
			dst = w.appendDateParts(dst, comp)
		default:
			dst = w.keepAppend(dst, comp, w.scanKept(comp))
		}
	}
	return dst
}

// countyCodeSystems are coding systems whose codes name a county or smaller area.
var countyCodeSystems = map[string]bool{"FIPS6_4": true, "FIPS6-4": true, "FIPS55-3": true, "FIPS 6-4": true, "GNIS": true}

// obx5 treats an observation value by its type (OBX-2, given as f2), as
// obx5Types says; TX, FT, ST and unknown types are free text.
func (w *hl7Work) obx5(f2, raw []byte) []byte {
	vt0, _, _ := cut(f2, w.d.Component)
	vt := strings.ToUpper(strings.TrimSpace(w.str(vt0)))
	r, ok := obx5Rule[vt]
	if !ok {
		r = textR
	}
	if r.k == kRemove {
		// encapsulated data or a reference: not remembered part by part
		w.rep.Add(r.cat, Removed, 1)
		return nil
	}
	return w.transform(f2, r, raw)
}
