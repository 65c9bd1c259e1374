package rules

// Path values for the evaluator: HL7v2 fields located in the raw message
// and FHIR elements and codes, read without copying where possible.

import (
	"bytes"
	"strings"

	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
)

// value returns the text of path k in the current row context, cached per row.
func (e *Evaluator) value(k int) string {
	if k < 0 || k >= len(e.vcache) {
		return ""
	}
	c := &e.vcache[k]
	ref := &e.set.paths[k]
	if ref.hl7 != nil {
		if e.m == nil {
			return ""
		}
		i := e.segment(&ref.hl7.p, ref.hl7.code)
		if i < 0 {
			return ""
		}
		if i < e.hstride {
			c = &e.hcache[k*e.hstride+i]
		}
		if c.gen == e.mgen && c.seg == int32(i) {
			return c.s
		}
		s := e.text(e.element(e.m.Segment(i), &ref.hl7.p))
		*c = cachedValue{e.mgen, int32(i), s}
		return s
	}
	if c.gen == e.gen {
		return c.s
	}
	s := ""
	if e.root != nil {
		s = fhirText(e.fhirValue(ref))
	}
	*c = cachedValue{e.gen, -1, s}
	return s
}

// segment finds the segment a path names relative to the row: an explicit
// occurrence is absolute; the row's own segment type is the row segment;
// any other is the nearest preceding one, else the first in the message.
func (e *Evaluator) segment(p *hl7.Path, name uint32) int {
	names := e.names
	if p.Occurrence > 0 {
		k := 0
		for i, n := range names {
			if n == name {
				if k++; k == p.Occurrence {
					return i
				}
			}
		}
		return -1
	}
	if e.cur >= 0 && e.cur < len(names) {
		for i := e.cur; i >= 0; i-- {
			if names[i] == name {
				return i
			}
		}
	}
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// segCode packs a segment name's three bytes for quick comparison.
func segCode(name string) uint32 {
	if len(name) < 3 {
		return 0
	}
	return uint32(name[0])<<16 | uint32(name[1])<<8 | uint32(name[2])
}

// setNames records the name code of every segment of e.m.
func (e *Evaluator) setNames() {
	e.names = e.names[:0]
	for i := range e.m.NumSegments() {
		b := e.m.Segment(i).Bytes()
		code := uint32(0)
		if len(b) >= 3 {
			code = uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
		}
		e.names = append(e.names, code)
	}
}

// element returns the raw bytes a path addresses inside a segment (first
// repetition unless one is given).
func (e *Evaluator) element(s hl7.Segment, p *hl7.Path) []byte {
	raw := s.Field(p.Field)
	if s.Is("MSH") && p.Field <= 2 {
		return raw
	}
	return locate(raw, &e.d, max(p.Rep, 1), p.Comp, p.Sub)
}

// locate returns repetition rep, component comp (0: the whole repetition)
// and subcomponent sub (0: the whole component) of a raw field, scanning
// only as far as the element it returns.
func locate(raw []byte, d *hl7.Delims, rep, comp, sub int) []byte {
	rs, cs := d.Repetition, d.Component
	i := 0
	if rep > 1 {
		if rs == 0 {
			return nil
		}
		for r := 1; r < rep; r++ {
			j := bytes.IndexByte(raw[i:], rs)
			if j < 0 {
				return nil
			}
			i += j + 1
		}
	}
	if comp == 0 || cs == 0 {
		if comp > 1 {
			return nil
		}
		end := len(raw)
		if rs != 0 {
			end = indexFrom(raw, rs, i)
		}
		v := raw[i:end]
		if comp == 1 && sub > 0 {
			v = hl7.Nth(v, d.Subcomponent, sub)
		}
		return v
	}
	c, start := 1, i
	for ; i < len(raw); i++ {
		b := raw[i]
		if b == rs && rs != 0 {
			break
		}
		if b == cs {
			if c == comp {
				break
			}
			c++
			start = i + 1
		}
	}
	if c != comp {
		return nil
	}
	v := raw[start:i]
	if sub > 0 {
		v = hl7.Nth(v, d.Subcomponent, sub)
	}
	return v
}

// fhirValue resolves a FHIR path in the row context: relative to the row
// element, the row resource, or the first resource of its type.
func (e *Evaluator) fhirValue(ref *pathRef) *fhir.Value {
	fp := ref.fhir
	if ref.rel >= 0 && e.curElem != nil {
		return fp.eval(e.curElem, ref.rel)
	}
	if e.curRes != nil && fhir.ResourceType(e.curRes) == fp.resource {
		return fp.eval(e.curRes, 0)
	}
	for _, r := range e.resources {
		if fhir.ResourceType(r) == fp.resource {
			return fp.eval(r, 0)
		}
	}
	return nil
}

// codes calls fn with the (system, code) pairs at a coded path: every
// occurrence of the segment and every repetition for HL7 (CE/CWE triplets
// 1-3 and 4-6), every coding of every resource of the type for FHIR.
func (e *Evaluator) codes(ref *pathRef, all bool, fn func(system, code string) bool) {
	if ref.hl7 != nil {
		if e.m == nil {
			return
		}
		p := &ref.hl7.p
		visit := func(s hl7.Segment) bool {
			field := s.Field(p.Field)
			for len(field) > 0 {
				rep := field
				field = nil
				if rs := e.d.Repetition; rs != 0 {
					if j := bytes.IndexByte(rep, rs); j >= 0 {
						rep, field = rep[:j], rep[j+1:]
					}
				}
				// CE/CWE: components 1-3 and 4-6 are (code, text, system) triplets
				var comps [6][]byte
				splitN(rep, e.d.Component, comps[:])
				for _, t := range [2][2]int{{0, 2}, {3, 5}} {
					if len(comps[t[0]]) == 0 {
						continue
					}
					if !fn(e.text(comps[t[1]]), e.text(comps[t[0]])) {
						return false
					}
				}
			}
			return true
		}
		if all && p.Occurrence == 0 {
			for i, n := range e.names {
				if n == ref.hl7.code && !visit(e.m.Segment(i)) {
					return
				}
			}
			return
		}
		if i := e.segment(p, ref.hl7.code); i >= 0 {
			visit(e.m.Segment(i))
		}
		return
	}
	if e.root == nil {
		return
	}
	fp := ref.fhir
	visit := func(v *fhir.Value) bool {
		if v == nil {
			return true
		}
		if fp.typ == "CodeableConcept" {
			for _, c := range v.Get("coding").Elems() {
				if !fn(c.Get("system").Str(), c.Get("code").Str()) {
					return false
				}
			}
			return true
		}
		return fn(v.Get("system").Str(), v.Get("code").Str())
	}
	if all {
		for _, r := range e.resources {
			if fhir.ResourceType(r) == fp.resource && !visit(fp.eval(r, 0)) {
				return
			}
		}
		return
	}
	visit(e.fhirValue(ref))
}

func (e *Evaluator) anyCode(k int) bool {
	cm := &e.set.codes[k]
	hit := false
	e.codes(&e.set.paths[cm.path], true, func(system, code string) bool {
		if e.canon(system) != cm.system {
			return true
		}
		for _, p := range cm.prefixes {
			if codePrefix(code, p) {
				hit = true
				return false
			}
		}
		return true
	})
	return hit
}

func (e *Evaluator) code(k int) string {
	cm := &e.set.codes[k]
	out := ""
	e.codes(&e.set.paths[cm.path], false, func(system, code string) bool {
		if e.canon(system) == cm.system {
			out = code
			return false
		}
		return true
	})
	return out
}

// canon is canonSystem remembering its answers.
func (e *Evaluator) canon(system string) string {
	if c, ok := e.canonCache[system]; ok {
		return c
	}
	c := canonSystem(system)
	if len(e.canonCache) < 256 { // bounded: systems are few, but input decides
		if e.canonCache == nil {
			e.canonCache = map[string]string{}
		}
		e.canonCache[strings.Clone(system)] = c
	}
	return c
}

// splitN fills out with the first len(out) elements of raw split by sep
// (missing ones nil).
func splitN(raw []byte, sep byte, out [][]byte) {
	if sep == 0 {
		out[0] = raw
		return
	}
	start := 0
	k := 0
	for i := 0; i < len(raw) && k < len(out)-1; i++ {
		if raw[i] == sep {
			out[k] = raw[start:i]
			k++
			start = i + 1
		}
	}
	if k < len(out) {
		out[k] = raw[start:]
		if i := bytes.IndexByte(out[k], sep); i >= 0 && k == len(out)-1 {
			out[k] = out[k][:i]
		}
	}
}

// indexFrom returns the index of c in b at or after from, or len(b):
// a loop over the first bytes (most values are short), then IndexByte.
func indexFrom(b []byte, c byte, from int) int {
	end := min(len(b), from+16)
	for i := from; i < end; i++ {
		if b[i] == c {
			return i
		}
	}
	if end < len(b) {
		if j := bytes.IndexByte(b[end:], c); j >= 0 {
			return end + j
		}
	}
	return len(b)
}
