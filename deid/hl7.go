package deid

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/safeharbor/safeharbor/deid/text"
	"github.com/safeharbor/safeharbor/hl7"
)

// ProvenanceSegment is the Z-segment appended to every de-identified HL7v2
// message: ZDI|1|<profile>|<engine version>|<rules version>|<age category>.
// Field 5 is "90+" when the patient is 90 or older (birth year removed),
// empty otherwise. Field 2 says "shift" for the date-shift profile, which is
// not Safe Harbor.
const ProvenanceSegment = "ZDI"

// hl7Work is per-message state, pooled.
type hl7Work struct {
	e        *Engine
	m        *hl7.Message
	d        hl7.Delims
	known    text.Known
	counts   text.Counts
	rep      *Report
	class    [256]uint8 // byte classes for classFor's delimiters
	classFor hl7.Delims
	classOK  bool
	pending  []knownValue // remembered values not yet added to known
	built    int          // pending[:built] are in known
	exact    map[uint64]struct{}
	lenMask  uint64 // bit n: some remembered value has n bytes (63: longer)
	strs     []byte // backing store of w.str results, reset per message
	up       []byte
	seg      []byte
	buf2     []byte
	buf      []byte
	tmp      []byte
	ref      time.Time
	shift    int
	over90   bool
	patient  string
}

func (e *Engine) getWork() *hl7Work {
	if w, ok := e.work.Get().(*hl7Work); ok {
		return w
	}
	return &hl7Work{e: e}
}

// HL7 de-identifies m in place: identifiers in structured fields are removed,
// pseudonymized or generalized, free text is scrubbed using the message's own
// identifier values first, Z-segments and unknown segments are dropped, and a
// ZDI provenance segment is appended. The message keeps its delimiters.
func (e *Engine) HL7(m *hl7.Message, rep *Report) (Result, error) {
	w := e.getWork()
	defer e.work.Put(w)
	w.m, w.d, w.rep = m, m.Delims(), rep
	w.setClasses()
	w.known.Reset()
	w.pending = w.pending[:0]
	w.built = 0
	if w.exact == nil {
		w.exact = map[uint64]struct{}{}
	}
	clear(w.exact)
	w.lenMask = 0
	w.strs = w.strs[:0]
	w.counts = text.Counts{}
	w.over90, w.shift, w.patient = false, 0, ""

	typ, ev := m.Type()
	res := Result{Type: typ}
	if ev != "" {
		res.Type += "^" + ev
	}
	// reference time for ages: the message time, else now
	w.ref = e.cfg.Now().UTC()
	if d, ok := parseHL7Date(string(m.Segment(0).Field(7))); ok && d.prec >= 8 {
		w.ref = d.time()
	}
	// patient identity and age come first: they decide the pseudonym, the
	// shift and whether the birth year goes
	w.patient = w.primaryID()
	if w.patient != "" {
		res.Pseudonym = e.pseudo.ID(w.patient)
	}
	if e.cfg.Profile == Shift {
		w.shift = shiftDays(e.shiftKey, res.Pseudonym)
	}
	for s := range m.Segments("PID") {
		if b, ok := parseHL7Date(m.Unescape(hl7.Nth(s.Field(7), w.d.Repetition, 1))); ok && ageAt(b, w.ref) >= 90 {
			w.over90 = true
		}
		break
	}
	res.Over90 = w.over90

	// pass 1: drop segments, treat structured fields, collect known values
	m.DeleteSegments(func(s hl7.Segment) bool {
		name := s.Name()
		if name[0] == 'Z' {
			if e.keepZ[name] {
				return false
			}
			rep.drop("segment:Z")
			return true
		}
		if _, ok := hl7Segments[name]; !ok {
			rep.drop("segment:unknown")
			return true
		}
		return false
	})
	for i := 0; i < m.NumSegments(); i++ {
		s := m.Segment(i)
		if !hasEarly[s.Name()] {
			continue
		}
		if err := w.segmentPass(s, false); err != nil {
			return res, err
		}
	}
	// pass 2: kept fields and free text, now that every identifier value of
	// the message is known
	for i := 0; i < m.NumSegments(); i++ {
		if err := w.segmentPass(m.Segment(i), true); err != nil {
			return res, err
		}
	}
	rep.addScrubbed(&w.counts)
	if rep != nil {
		rep.Messages++
	}
	// provenance
	w.buf = append(w.buf[:0], ProvenanceSegment...)
	for _, v := range []string{"1", e.cfg.Profile.String(), Version, e.cfg.RulesVersion, map[bool]string{true: "90+"}[w.over90]} {
		w.buf = append(w.buf, w.d.Field)
		w.buf, _ = w.d.AppendEscaped(w.buf, v)
	}
	if err := m.AppendSegment(w.buf); err != nil {
		return res, err
	}
	return res, nil
}

// segmentPass treats the fields of one segment whose kind belongs to this
// pass, building the new segment in one go.
func (w *hl7Work) segmentPass(s hl7.Segment, pass2 bool) error {
	name := s.Name()
	rules, known := hl7Segments[name]
	if !known {
		return nil // an allowlisted Z-segment
	}
	data := s.Bytes()
	if len(data) <= 3 {
		return nil
	}
	fs := w.d.Field
	// the new segment is built only from the first field that changes:
	// most segments come through a pass unchanged
	var out []byte
	changed := false
	fnum := 0
	ri := 0
	pos := 3
	if s.Is("MSH") {
		// MSH-1 (the separator) and MSH-2 (encoding characters) stay as they are
		pos = indexFrom(data, fs, 4)
		fnum = 2
	}
	for pos < len(data) {
		start := pos + 1
		end := indexFrom(data, fs, start)
		raw := data[start:end]
		fnum++
		for ri < len(rules) && rules[ri].field < fnum {
			ri++
		}
		r := keepR
		if ri < len(rules) && rules[ri].field == fnum {
			r = rules[ri].rule
		}
		if late(r.k) != pass2 || len(raw) == 0 {
			if changed {
				out = append(out, fs)
				out = append(out, raw...)
			}
		} else {
			nv := w.transform(s, fnum, r, raw)
			if !changed && !bytes.Equal(nv, raw) {
				changed = true
				out = append(w.seg[:0], data[:pos]...)
			}
			if changed {
				out = append(out, fs)
				out = append(out, nv...)
			}
		}
		pos = end
	}
	if !changed {
		return nil
	}
	w.seg = out
	return s.Replace(out)
}

// indexFrom returns the index of c in b at or after from, or len(b).
func indexFrom(b []byte, c byte, from int) int {
	// most fields are short: look at a few bytes before calling IndexByte
	end := min(len(b), from+16)
	for i := from; i < end; i++ {
		if b[i] == c {
			return i
		}
	}
	if end == len(b) {
		return len(b)
	}
	if i := bytes.IndexByte(b[end:], c); i >= 0 {
		return end + i
	}
	return len(b)
}

// hasEarly lists the segments with fields treated in pass 1.
var hasEarly = func() map[string]bool {
	m := map[string]bool{}
	for name, rules := range hl7Segments {
		for _, r := range rules {
			if !late(r.k) {
				m[name] = true
			}
		}
	}
	return m
}()

// late reports whether a kind is applied in pass 2, after every identifier
// value of the message has been collected.
func late(k kind) bool { return k == kKeep || k == kText || k == kCoded || k == kOBX5 }

// primaryID returns the patient's primary identifier, chosen so that the
// same patient gets the same pseudonym whatever the order of its identifiers
// and whichever format they arrive in: the smallest normalized value among
// the MR-typed identifiers of PID-2, PID-3 and PID-4, else the smallest
// identifier that is not an SSN or licence (FHIR uses the same rule on
// Patient.identifier).
func (w *hl7Work) primaryID() string {
	var c idChooser
	for s := range w.m.Segments("PID") {
		for _, fnum := range []int{2, 3, 4} {
			raw := s.Field(fnum)
			for r := 1; r <= hl7.Count(raw, w.d.Repetition); r++ {
				rep := hl7.Nth(raw, w.d.Repetition, r)
				id := w.m.Unescape(hl7.Nth(rep, w.d.Component, 1))
				typ := strings.ToUpper(w.m.Unescape(hl7.Nth(rep, w.d.Component, 5)))
				if _, removed := idTypesRemoved[typ]; removed {
					continue
				}
				c.offer(id, typ == "MR")
			}
		}
		break
	}
	return c.best()
}

// idChooser picks the primary identifier of a patient (see primaryID).
type idChooser struct{ mr, any string }

func (c *idChooser) offer(id string, mr bool) {
	n := normalizeID(id)
	if n == "" {
		return
	}
	if mr && (c.mr == "" || n < c.mr) {
		c.mr = n
	}
	if c.any == "" || n < c.any {
		c.any = n
	}
}

func (c *idChooser) best() string {
	if c.mr != "" {
		return c.mr
	}
	return c.any
}

func (w *hl7Work) esc(dst []byte, v string) []byte {
	out, ok := w.d.AppendEscaped(dst, v)
	if !ok {
		return dst
	}
	return out
}

// rebuild calls fn for every repetition of raw, building the new field in w.buf.
func (w *hl7Work) rebuild(raw []byte, fn func(dst, rep []byte) []byte) []byte {
	out := w.buf[:0]
	hl7.Split(raw, w.d.Repetition, func(r int, rep []byte) {
		if r > 0 {
			out = append(out, w.d.Repetition)
		}
		out = fn(out, rep)
	})
	// drop trailing empty repetitions
	for len(out) > 0 && w.d.Repetition != 0 && out[len(out)-1] == w.d.Repetition {
		out = out[:len(out)-1]
	}
	w.buf = out
	return out
}

// mapParts rewrites every subcomponent of one repetition with fn, keeping
// the component and subcomponent structure.
func (w *hl7Work) mapParts(dst, rep []byte, fn func(dst []byte, comp, sub int, v []byte) []byte) []byte {
	d := w.d
	hl7.Split(rep, d.Component, func(c int, comp []byte) {
		if c > 0 {
			dst = append(dst, d.Component)
		}
		hl7.Split(comp, d.Subcomponent, func(sc int, v []byte) {
			if sc > 0 {
				dst = append(dst, d.Subcomponent)
			}
			dst = fn(dst, c+1, sc+1, v)
		})
	})
	return dst
}

// anyPart reports whether pred holds for some subcomponent of raw (all repetitions).
func (w *hl7Work) anyPart(raw []byte, pred func(v []byte) bool) bool {
	found := false
	d := w.d
	hl7.Split(raw, d.Repetition, func(_ int, rep []byte) {
		hl7.Split(rep, d.Component, func(_ int, comp []byte) {
			hl7.Split(comp, d.Subcomponent, func(_ int, v []byte) {
				if !found && pred(v) {
					found = true
				}
			})
		})
	})
	return found
}

// addKnownComponents remembers every component/subcomponent text of raw under cat.
func (w *hl7Work) addKnownComponents(raw []byte, cat text.Category) {
	w.anyPart(raw, func(v []byte) bool {
		if len(v) >= 2 {
			if s := strings.TrimSpace(w.str(v)); len(s) >= 2 {
				w.remember(cat, s)
			}
		}
		return false
	})
}

// transform returns the treated form of one field's raw bytes (which may
// alias the work buffers: copy it before the next transform).
func (w *hl7Work) transform(s hl7.Segment, fnum int, r rule, raw []byte) []byte {
	if len(raw) == 0 {
		return raw
	}
	d := w.d
	rep := w.rep
	switch r.k {
	case kKeep:
		return w.sweepKept(raw)
	case kRemove:
		w.addKnownComponents(raw, r.cat)
		rep.Add(r.cat, Removed, 1)
		return nil
	case kName:
		w.addNames(raw)
		rep.Add(text.Name, Removed, 1)
		return nil
	case kPhone:
		w.addPhones(raw)
		rep.Add(text.Phone, Removed, 1)
		return nil
	case kAddr:
		return w.address(raw)
	case kIDs:
		return w.ids(raw, r.cat)
	case kEI:
		return w.rebuild(raw, func(dst, rp []byte) []byte { return w.ei(dst, rp, d.Component) })
	case kEIP:
		return w.rebuild(raw, func(dst, rp []byte) []byte {
			hl7.Split(rp, d.Component, func(c int, comp []byte) {
				if c > 0 {
					dst = append(dst, d.Component)
				}
				dst = w.ei(dst, comp, d.Subcomponent)
			})
			return dst
		})
	case kDate, kDOB:
		return w.dates(raw, r.k == kDOB)
	case kText:
		return w.rebuild(raw, func(dst, rp []byte) []byte { return w.scrub(dst, rp) })
	case kCoded:
		return w.coded(raw)
	case kOBX5:
		return w.obx5(s, fnum, raw)
	}
	return raw
}

func (w *hl7Work) addNames(raw []byte) {
	d := w.d
	for r := 1; r <= hl7.Count(raw, d.Repetition); r++ {
		rp := hl7.Nth(raw, d.Repetition, r)
		// XPN: 1 family (FN: surname & ...), 2 given, 3 middle; XCN shifts by one (1 is the id)
		for c := 1; c <= 4 && c <= hl7.Count(rp, d.Component); c++ {
			comp := hl7.Nth(rp, d.Component, c)
			v := strings.TrimSpace(w.str(hl7.Nth(comp, d.Subcomponent, 1)))
			if len(v) >= 2 && !digits(v) {
				w.remember(text.Name, v)
			}
		}
	}
}

func (w *hl7Work) addPhones(raw []byte) {
	d := w.d
	for r := 1; r <= hl7.Count(raw, d.Repetition); r++ {
		rp := hl7.Nth(raw, d.Repetition, r)
		comp := func(c int) string { return strings.TrimSpace(w.str(hl7.Nth(rp, d.Component, c))) }
		if v := comp(1); v != "" {
			w.remember(text.Phone, v)
		}
		if v := comp(4); v != "" {
			w.remember(text.Email, v)
		}
		if area, local := comp(6), comp(7); local != "" {
			w.remember(text.Phone, area+local)
		}
		if v := comp(12); v != "" {
			w.remember(text.Phone, v)
		}
	}
}

// address keeps state (4), ZIP3 (5), country (6) and address type (7) of each XAD repetition.
func (w *hl7Work) address(raw []byte) []byte {
	d := w.d
	return w.rebuild(raw, func(dst, rp []byte) []byte {
		comp := func(c int) []byte { return hl7.Nth(rp, d.Component, c) }
		for _, c := range []int{1, 2, 3, 8, 9, 10} {
			if v := comp(c); len(v) > 0 {
				w.addKnownComponents(v, text.Address)
				w.rep.Add(text.Address, Removed, 1)
			}
		}
		start := len(dst)
		zip := w.str(comp(5))
		if zip != "" {
			w.remember(text.ZIP, zip)
		}
		z3, okz := w.e.zip3(zip)
		if zip != "" {
			if okz {
				w.rep.Add(text.ZIP, Generalized, 1)
			} else {
				w.rep.Add(text.ZIP, Removed, 1)
			}
		}
		if d.Component == 0 {
			return dst
		}
		dst = append(dst, d.Component, d.Component, d.Component)
		dst = append(dst, noDigits(comp(4))...)
		dst = append(dst, d.Component)
		dst = w.esc(dst, z3)
		dst = append(dst, d.Component)
		dst = append(dst, noDigits(comp(6))...)
		dst = append(dst, d.Component)
		dst = append(dst, comp(7)...)
		for len(dst) > start && dst[len(dst)-1] == d.Component {
			dst = dst[:len(dst)-1]
		}
		return dst
	})
}

// noDigits returns v, or nil when v holds a digit: a state or country
// component with digits in it is a misplaced ZIP code or street number.
func noDigits(v []byte) []byte {
	for _, c := range v {
		if c >= '0' && c <= '9' {
			return nil
		}
	}
	return v
}

// ids pseudonymizes CX-1 of each repetition, keeping CX-4 (assigning
// authority) and CX-5 (type); SSN and licence repetitions are removed.
func (w *hl7Work) ids(raw []byte, cat text.Category) []byte {
	d := w.d
	return w.rebuild(raw, func(dst, rp []byte) []byte {
		id := strings.TrimSpace(w.str(hl7.Nth(rp, d.Component, 1)))
		typ := hl7.Nth(rp, d.Component, 5)
		if id != "" {
			w.remember(cat, id)
		}
		if c, removed := idTypesRemoved[strings.ToUpper(w.str(typ))]; removed {
			w.remember(c, id)
			w.rep.Add(c, Removed, 1)
			return dst
		}
		if id != "" {
			w.rep.Add(cat, Pseudonymized, 1)
			dst = w.e.pseudo.appendPseudonym(dst, "id", id)
		}
		auth := hl7.Nth(rp, d.Component, 4)
		if strings.Contains(strings.ToUpper(w.str(auth)), strings.ToUpper(id)) {
			auth = nil // an authority that repeats the identifier
		}
		if d.Component != 0 && (len(auth) > 0 || len(typ) > 0) {
			dst = append(dst, d.Component, d.Component, d.Component)
			dst = append(dst, auth...)
			if len(typ) > 0 {
				dst = append(dst, d.Component)
				dst = append(dst, typ...)
			}
		}
		return dst
	})
}

// ei pseudonymizes the first part of an EI (split by sep) and keeps its namespace parts.
func (w *hl7Work) ei(dst, v []byte, sep byte) []byte {
	id := strings.TrimSpace(w.str(hl7.Nth(v, sep, 1)))
	if id == "" {
		return append(dst, v...)
	}
	w.remember(text.OtherID, id)
	w.rep.Add(text.OtherID, Pseudonymized, 1)
	dst = w.e.pseudo.appendPseudonym(dst, "id", id)
	if sep == 0 {
		return dst
	}
	// keep the namespace parts, except any that repeat the identifier itself
	start := len(dst)
	for c := 2; c <= hl7.Count(v, sep); c++ {
		dst = append(dst, sep)
		part := hl7.Nth(v, sep, c)
		if !strings.EqualFold(strings.TrimSpace(w.str(part)), id) {
			dst = append(dst, part...)
		}
	}
	for len(dst) > start && dst[len(dst)-1] == sep {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// dates reduces every date in the field to its year (or shifts it). A value
// in a date field that is not a date is removed: it may be anything. A birth
// date of someone 90 or older is removed entirely.
func (w *hl7Work) dates(raw []byte, dob bool) []byte {
	d := w.d
	if dob {
		if b, ok := parseHL7Date(w.str(hl7.Nth(raw, d.Repetition, 1))); ok {
			if b.prec >= 8 {
				w.remember(text.Date, strconv.Itoa(b.year)+pad2(b.month)+pad2(b.day))
			}
			if ageAt(b, w.ref) >= 90 {
				w.rep.Add(text.Age, Removed, 1)
				return nil
			}
		}
	}
	return w.rebuild(raw, func(dst, rp []byte) []byte {
		return w.mapParts(dst, rp, func(dst []byte, _, _ int, v []byte) []byte {
			return w.appendDateOnly(dst, v)
		})
	})
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

// unsafeString views b as a string without copying; only for values not kept.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// remember records an identifier value of this message: free text is
// scrubbed of it, and kept fields lose any component equal to it.
func (w *hl7Work) remember(cat text.Category, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	// the free-text set is built only if the message has text to scrub; the
	// value is copied into the per-message store, as callers may pass views
	// of work buffers that are reused before then
	w.pending = append(w.pending, knownValue{cat, w.intern(v)})
	if len(v) >= 3 {
		w.exact[foldHash(v)] = struct{}{}
		w.lenMask |= 1 << min(len(v), 63)
	}
}

// foldHash is FNV-1a over the ASCII-upper-cased bytes of v.
func foldHash[T string | []byte](v T) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// isKnown reports whether v equals a remembered identifier value, ignoring case.
func (w *hl7Work) isKnown(v []byte) bool {
	if len(v) < 3 || len(w.exact) == 0 {
		return false
	}
	_, ok := w.exact[foldHash(v)]
	return ok
}

// intern copies v into the per-message store (see str).
func (w *hl7Work) intern(v string) string {
	if cap(w.strs)-len(w.strs) < len(v) {
		w.strs = make([]byte, 0, max(4096, 2*len(v)))
	}
	start := len(w.strs)
	w.strs = append(w.strs, v...)
	return unsafe.String(&w.strs[start], len(v))
}

// str decodes a raw value into a string backed by the work's per-message
// store: no allocation per value. The result is valid until the next
// message; do not keep it.
func (w *hl7Work) str(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	if cap(w.strs)-len(w.strs) < len(raw)+16 {
		w.strs = make([]byte, 0, max(4096, 2*len(raw)))
	}
	start := len(w.strs)
	w.strs = w.d.AppendUnescaped(w.strs, raw)
	return unsafe.String(&w.strs[start], len(w.strs)-start)
}

// sweepKept treats a kept field: components that repeat an identifier of
// this message are removed (a patient named in a provider field, an MRN in
// a field the standard does not define), and full dates are reduced to the
// year (for example inside timing quantities or name-with-date types).
func (w *hl7Work) sweepKept(raw []byte) []byte {
	hasKnown, hasDate := w.scanKept(raw)
	if hasKnown {
		out := w.rebuild(raw, func(dst, rp []byte) []byte {
			return w.mapParts(dst, rp, func(dst []byte, _, _ int, v []byte) []byte {
				if w.knownPart(v) {
					w.rep.Add(text.OtherID, Removed, 1)
					return dst
				}
				return append(dst, v...)
			})
		})
		raw = append(w.buf2[:0], out...)
		w.buf2 = raw
	}
	if !hasDate {
		return raw
	}
	return w.sweepDates(raw)
}

// scanKept looks through a kept field once, without splitting it: whether a
// part may equal a remembered identifier (its trimmed length is one of
// theirs and its hash matches), and whether it has a run of 8 digits (a
// possible date).
func (w *hl7Work) scanKept(raw []byte) (hasKnown, hasDate bool) {
	d := &w.d
	cls := &w.class
	start, run := 0, 0
	for i := 0; i <= len(raw); i++ {
		if i < len(raw) {
			switch cls[raw[i]] {
			case clsDigit:
				if run++; run >= 8 {
					hasDate = true
				}
				continue
			case clsOther:
				run = 0
				continue
			}
		}
		if !hasKnown && w.lenMask != 0 {
			a, b := start, i
			for a < b && raw[a] == ' ' {
				a++
			}
			for b > a && raw[b-1] == ' ' {
				b--
			}
			if n := b - a; n >= 3 && w.lenMask&(1<<min(n, 63)) != 0 && w.knownPart(raw[a:b]) {
				hasKnown = true
			} else if n >= 3 && d.Escape != 0 && bytes.IndexByte(raw[a:b], d.Escape) >= 0 && w.knownPart(raw[a:b]) {
				hasKnown = true
			}
		}
		start, run = i+1, 0
	}
	return hasKnown, hasDate
}

// byte classes for scanKept
const (
	clsOther = iota
	clsDigit
	clsSep
)

// setClasses prepares the byte class table for the message's delimiters.
func (w *hl7Work) setClasses() {
	if w.classOK && w.classFor == w.d {
		return
	}
	w.classFor, w.classOK = w.d, true
	for c := range w.class {
		w.class[c] = clsOther
	}
	for c := '0'; c <= '9'; c++ {
		w.class[c] = clsDigit
	}
	for _, c := range []byte{w.d.Component, w.d.Subcomponent, w.d.Repetition} {
		if c != 0 {
			w.class[c] = clsSep
		}
	}
}

// knownPart reports whether a raw value equals a remembered identifier.
func (w *hl7Work) knownPart(v []byte) bool {
	if len(v) < 3 {
		return false
	}
	if w.d.Escape != 0 && bytes.IndexByte(v, w.d.Escape) >= 0 {
		w.tmp = w.d.AppendUnescaped(w.tmp[:0], v)
		v = w.tmp
	}
	return w.isKnown(bytes.TrimSpace(v))
}

// sweepDates reduces full dates found in kept fields to the year.
func (w *hl7Work) sweepDates(raw []byte) []byte {
	found := true
	if !found || !w.anyPart(raw, looksLikeDTM) {
		return raw
	}
	return w.rebuild(raw, func(dst, rp []byte) []byte {
		return w.mapParts(dst, rp, func(dst []byte, _, _ int, v []byte) []byte {
			if looksLikeDTM(v) {
				dt, _ := parseHL7Date(unsafeString(v))
				return w.appendDate(dst, v, dt)
			}
			return append(dst, v...)
		})
	})
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
	dt, ok := parseHL7Date(string(v[:8]))
	return ok && dt.prec == 8 && dt.year >= 1800 && dt.year <= 2200
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// knownValue is an identifier value of the message waiting to enter the
// free-text set.
type knownValue struct {
	cat text.Category
	v   string
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
	return w.esc(dst, string(w.tmp[start:]))
}

// coded scrubs the text components (2, 5 and 9) of each CE/CWE repetition.
func (w *hl7Work) coded(raw []byte) []byte {
	d := w.d
	return w.rebuild(raw, func(dst, rp []byte) []byte {
		for _, sys := range []int{3, 6} {
			if countyCodeSystems[strings.ToUpper(w.str(hl7.Nth(rp, d.Component, sys)))] {
				w.rep.Add(text.Address, Removed, 1)
				return dst
			}
		}
		for c := 1; c <= hl7.Count(rp, d.Component); c++ {
			if c > 1 {
				dst = append(dst, d.Component)
			}
			comp := hl7.Nth(rp, d.Component, c)
			if c == 2 || c == 5 || c == 9 {
				dst = w.scrub(dst, comp)
			} else {
				dst = append(dst, comp...)
			}
		}
		return dst
	})
}

// countyCodeSystems are coding systems whose codes name a county or smaller area.
var countyCodeSystems = map[string]bool{"FIPS6_4": true, "FIPS6-4": true, "FIPS55-3": true, "FIPS 6-4": true, "GNIS": true}

// obx5 treats an observation value by its type (OBX-2).
func (w *hl7Work) obx5(s hl7.Segment, fnum int, raw []byte) []byte {
	vt := strings.ToUpper(strings.TrimSpace(w.str(hl7.Nth(s.Field(2), w.d.Component, 1))))
	switch vt {
	case "NM", "SN", "NA", "NR", "ID", "IS", "CP", "MO", "TM", "CQ":
		return w.sweepKept(raw)
	case "CE", "CWE", "CNE", "CF":
		return w.coded(raw)
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
		return w.transform(s, fnum, nameR, raw)
	case "XAD", "AD":
		return w.transform(s, fnum, addrR, raw)
	case "XTN", "TN":
		return w.transform(s, fnum, phoneR, raw)
	case "CX":
		return w.transform(s, fnum, mrnR, raw)
	case "EI", "HD":
		// entity and hierarchic designators here are instance identifiers (order, study UIDs)
		return w.transform(s, fnum, eiR, raw)
	}
	// TX, FT, ST and anything unknown: free text
	return w.rebuild(raw, func(dst, rp []byte) []byte { return w.scrub(dst, rp) })
}
