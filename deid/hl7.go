package deid

import (
	"bytes"
	"strconv"
	"strings"
	"time"

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
	e       *Engine
	m       *hl7.Message
	d       hl7.Delims
	known   text.Known
	counts  text.Counts
	rep     *Report
	exact   map[string]struct{}
	up      []byte
	buf     []byte
	tmp     []byte
	ref     time.Time
	shift   int
	over90  bool
	patient string
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
	w.known.Reset()
	if w.exact == nil {
		w.exact = map[string]struct{}{}
	}
	clear(w.exact)
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
		rules := hl7Segments[s.Name()]
		if rules == nil && s.Name()[0] == 'Z' {
			continue // allowlisted Z-segment
		}
		ri := 0
		n := s.NumFields()
		for fnum := 1; fnum <= n; fnum++ {
			r := keepR
			for ri < len(rules) && rules[ri].field < fnum {
				ri++
			}
			if ri < len(rules) && rules[ri].field == fnum {
				r = rules[ri].rule
			}
			if s.Is("MSH") && fnum <= 2 {
				continue
			}
			if late(r.k) {
				continue // pass 2
			}
			if err := w.apply(s, fnum, r); err != nil {
				return res, err
			}
		}
	}
	// pass 2: kept fields and free text, now that every identifier value of
	// the message is known
	for i := 0; i < m.NumSegments(); i++ {
		s := m.Segment(i)
		rules := hl7Segments[s.Name()]
		if rules == nil && s.Name()[0] == 'Z' {
			continue
		}
		ri := 0
		for fnum := 1; fnum <= s.NumFields(); fnum++ {
			if s.Is("MSH") && fnum <= 2 {
				continue
			}
			r := keepR
			for ri < len(rules) && rules[ri].field < fnum {
				ri++
			}
			if ri < len(rules) && rules[ri].field == fnum {
				r = rules[ri].rule
			}
			if late(r.k) {
				if err := w.apply(s, fnum, r); err != nil {
					return res, err
				}
			}
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

// set replaces field fnum of s, counting it.
func (w *hl7Work) set(s hl7.Segment, fnum int, raw []byte) error {
	return s.SetField(fnum, raw)
}

func (w *hl7Work) esc(dst []byte, v string) []byte {
	out, ok := w.d.AppendEscaped(dst, v)
	if !ok {
		return dst
	}
	return out
}

// forEachRep calls fn for every repetition of raw, building the new field in w.buf.
func (w *hl7Work) rebuild(raw []byte, fn func(dst, rep []byte) []byte) []byte {
	out := w.buf[:0]
	n := hl7.Count(raw, w.d.Repetition)
	for r := 1; r <= n; r++ {
		if r > 1 {
			out = append(out, w.d.Repetition)
		}
		out = fn(out, hl7.Nth(raw, w.d.Repetition, r))
	}
	// drop trailing empty repetitions
	for len(out) > 0 && w.d.Repetition != 0 && out[len(out)-1] == w.d.Repetition {
		out = out[:len(out)-1]
	}
	w.buf = out
	return out
}

// addKnownComponents remembers every component/subcomponent text of raw under cat.
func (w *hl7Work) addKnownComponents(raw []byte, cat text.Category) {
	d := w.d
	for r := 1; r <= hl7.Count(raw, d.Repetition); r++ {
		rep := hl7.Nth(raw, d.Repetition, r)
		for c := 1; c <= hl7.Count(rep, d.Component); c++ {
			comp := hl7.Nth(rep, d.Component, c)
			for sc := 1; sc <= hl7.Count(comp, d.Subcomponent); sc++ {
				v := strings.TrimSpace(w.m.Unescape(hl7.Nth(comp, d.Subcomponent, sc)))
				if len(v) >= 2 {
					w.remember(cat, v)
				}
			}
		}
	}
}

func (w *hl7Work) apply(s hl7.Segment, fnum int, r rule) error {
	raw := s.Field(fnum)
	if len(raw) == 0 {
		return nil
	}
	d := w.d
	rep := w.rep
	switch r.k {
	case kKeep:
		return w.sweepKept(s, fnum, raw)
	case kRemove:
		w.addKnownComponents(raw, r.cat)
		rep.Add(r.cat, Removed, 1)
		return w.set(s, fnum, nil)
	case kName:
		w.addNames(raw)
		rep.Add(text.Name, Removed, 1)
		return w.set(s, fnum, nil)
	case kPhone:
		w.addPhones(raw)
		rep.Add(text.Phone, Removed, 1)
		return w.set(s, fnum, nil)
	case kAddr:
		return w.set(s, fnum, w.address(raw))
	case kIDs:
		return w.set(s, fnum, w.ids(raw, r.cat))
	case kEI:
		return w.set(s, fnum, w.rebuild(raw, func(dst, rp []byte) []byte { return w.ei(dst, rp, d.Component) }))
	case kEIP:
		return w.set(s, fnum, w.rebuild(raw, func(dst, rp []byte) []byte {
			for c := 1; c <= hl7.Count(rp, d.Component); c++ {
				if c > 1 {
					dst = append(dst, d.Component)
				}
				dst = w.ei(dst, hl7.Nth(rp, d.Component, c), d.Subcomponent)
			}
			return dst
		}))
	case kDate, kDOB:
		return w.dates(s, fnum, raw, r.k == kDOB)
	case kText:
		return w.set(s, fnum, w.rebuild(raw, func(dst, rp []byte) []byte { return w.scrub(dst, rp) }))
	case kCoded:
		return w.set(s, fnum, w.coded(raw))
	case kOBX5:
		return w.obx5(s, fnum, raw)
	}
	return nil
}

func (w *hl7Work) addNames(raw []byte) {
	d := w.d
	for r := 1; r <= hl7.Count(raw, d.Repetition); r++ {
		rp := hl7.Nth(raw, d.Repetition, r)
		// XPN: 1 family (FN: surname & ...), 2 given, 3 middle; XCN shifts by one (1 is the id)
		for c := 1; c <= 4 && c <= hl7.Count(rp, d.Component); c++ {
			comp := hl7.Nth(rp, d.Component, c)
			v := strings.TrimSpace(w.m.Unescape(hl7.Nth(comp, d.Subcomponent, 1)))
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
		comp := func(c int) string { return strings.TrimSpace(w.m.Unescape(hl7.Nth(rp, d.Component, c))) }
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
		zip := w.m.Unescape(comp(5))
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
		id := strings.TrimSpace(w.m.Unescape(hl7.Nth(rp, d.Component, 1)))
		typ := hl7.Nth(rp, d.Component, 5)
		if id != "" {
			w.remember(cat, id)
		}
		if c, removed := idTypesRemoved[strings.ToUpper(w.m.Unescape(typ))]; removed {
			w.remember(c, id)
			w.rep.Add(c, Removed, 1)
			return dst
		}
		if id != "" {
			w.rep.Add(cat, Pseudonymized, 1)
			dst = w.e.pseudo.appendPseudonym(dst, "id", id)
		}
		auth := hl7.Nth(rp, d.Component, 4)
		if strings.Contains(strings.ToUpper(w.m.Unescape(auth)), strings.ToUpper(id)) {
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
	id := strings.TrimSpace(w.m.Unescape(hl7.Nth(v, sep, 1)))
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
		if !strings.EqualFold(strings.TrimSpace(w.m.Unescape(part)), id) {
			dst = append(dst, part...)
		}
	}
	for len(dst) > start && dst[len(dst)-1] == sep {
		dst = dst[:len(dst)-1]
	}
	return dst
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// dates reduces every date in the field to its year (or shifts it). A value
// in a date field that is not a date is removed: it may be anything. A birth
// date of someone 90 or older is removed entirely.
func (w *hl7Work) dates(s hl7.Segment, fnum int, raw []byte, dob bool) error {
	d := w.d
	if dob {
		if b, ok := parseHL7Date(w.m.Unescape(hl7.Nth(raw, d.Repetition, 1))); ok {
			if b.prec >= 8 {
				w.remember(text.Date, strconv.Itoa(b.year)+pad2(b.month)+pad2(b.day))
			}
			if ageAt(b, w.ref) >= 90 {
				w.rep.Add(text.Age, Removed, 1)
				return w.set(s, fnum, nil)
			}
		}
	}
	changed := false
	out := w.rebuild(raw, func(dst, rp []byte) []byte {
		for c := 1; c <= hl7.Count(rp, d.Component); c++ {
			if c > 1 {
				dst = append(dst, d.Component)
			}
			comp := hl7.Nth(rp, d.Component, c)
			for sc := 1; sc <= hl7.Count(comp, d.Subcomponent); sc++ {
				if sc > 1 {
					dst = append(dst, d.Subcomponent)
				}
				v := hl7.Nth(comp, d.Subcomponent, sc)
				nv := w.dateOnly(string(v))
				dst = append(dst, nv...)
				if nv != string(v) {
					changed = true
				}
			}
		}
		return dst
	})
	if !changed {
		return nil
	}
	return w.set(s, fnum, out)
}

// dateOnly treats one value of a date field: dates become their year (or
// are shifted), a one-letter code (the TS degree of precision) stays, and
// anything else is removed — a date field holding other text may hold anything.
func (w *hl7Work) dateOnly(v string) string {
	if len(v) <= 1 {
		return v
	}
	if _, ok := parseHL7Date(v); ok {
		nv, _ := w.dateValue(v, true)
		return nv
	}
	w.rep.Add(text.Date, Removed, 1)
	return ""
}

// dateValue returns the treated form of one date value. first says the value
// is the date part of the field (others, such as a TS precision code, are
// kept unless they are dates themselves).
func (w *hl7Work) dateValue(v string, first bool) (string, bool) {
	if v == "" {
		return v, true
	}
	dt, ok := parseHL7Date(v)
	if !ok {
		if first {
			w.rep.Add(text.Date, Removed, 1)
			return "", true // not a date where a date belongs: remove
		}
		return v, true
	}
	if dt.prec >= 8 {
		w.remember(text.Date, v[:8])
	}
	if w.e.cfg.Profile == Shift {
		w.rep.Add(text.Date, Shifted, 1)
		return shiftHL7(dt, w.shift), true
	}
	if dt.prec > 4 || len(v) > 4 {
		w.rep.Add(text.Date, Generalized, 1)
	}
	return strconv.Itoa(dt.year), true
}

// remember records an identifier value of this message: free text is
// scrubbed of it, and kept fields lose any component equal to it.
func (w *hl7Work) remember(cat text.Category, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	w.known.Add(cat, v)
	if len(v) >= 3 {
		w.exact[strings.ToUpper(v)] = struct{}{}
	}
}

// isKnown reports whether v equals a remembered identifier value, ignoring case.
func (w *hl7Work) isKnown(v []byte) bool {
	if len(v) < 3 || len(w.exact) == 0 {
		return false
	}
	w.up = w.up[:0]
	for _, c := range v {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		w.up = append(w.up, c)
	}
	_, ok := w.exact[string(w.up)]
	return ok
}

// sweepKept treats a kept field: components that repeat an identifier of
// this message are removed (a patient named in a provider field, an MRN in
// a field the standard does not define), and full dates are reduced to the
// year (for example inside timing quantities or name-with-date types).
func (w *hl7Work) sweepKept(s hl7.Segment, fnum int, raw []byte) error {
	d := w.d
	if len(w.exact) > 0 {
		changed := false
		out := w.rebuild(raw, func(dst, rp []byte) []byte {
			for c := 1; c <= hl7.Count(rp, d.Component); c++ {
				if c > 1 {
					dst = append(dst, d.Component)
				}
				comp := hl7.Nth(rp, d.Component, c)
				for sc := 1; sc <= hl7.Count(comp, d.Subcomponent); sc++ {
					if sc > 1 {
						dst = append(dst, d.Subcomponent)
					}
					v := hl7.Nth(comp, d.Subcomponent, sc)
					if w.isKnown(bytes.TrimSpace(w.d.AppendUnescaped(w.tmp[:0], v))) {
						w.rep.Add(text.OtherID, Removed, 1)
						changed = true
						continue
					}
					dst = append(dst, v...)
				}
			}
			return dst
		})
		if changed {
			if err := w.set(s, fnum, out); err != nil {
				return err
			}
			raw = s.Field(fnum)
		}
	}
	return w.sweepDates(s, fnum, raw)
}

// sweepDates reduces full dates found in kept fields to the year.
func (w *hl7Work) sweepDates(s hl7.Segment, fnum int, raw []byte) error {
	d := w.d
	// quick check: a date needs 8 consecutive digits
	run, found := 0, false
	for _, c := range raw {
		if c >= '0' && c <= '9' {
			run++
			if run >= 8 {
				found = true
				break
			}
		} else {
			run = 0
		}
	}
	if !found {
		return nil
	}
	changed := false
	out := w.rebuild(raw, func(dst, rp []byte) []byte {
		for c := 1; c <= hl7.Count(rp, d.Component); c++ {
			if c > 1 {
				dst = append(dst, d.Component)
			}
			comp := hl7.Nth(rp, d.Component, c)
			for sc := 1; sc <= hl7.Count(comp, d.Subcomponent); sc++ {
				if sc > 1 {
					dst = append(dst, d.Subcomponent)
				}
				v := hl7.Nth(comp, d.Subcomponent, sc)
				if looksLikeDTM(v) {
					nv, _ := w.dateValue(string(v), false)
					dst = append(dst, nv...)
					changed = true
					continue
				}
				dst = append(dst, v...)
			}
		}
		return dst
	})
	if !changed {
		return nil
	}
	return w.set(s, fnum, out)
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

// scrub decodes one value, scrubs it and encodes it again.
func (w *hl7Work) scrub(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return dst
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
			if countyCodeSystems[strings.ToUpper(w.m.Unescape(hl7.Nth(rp, d.Component, sys)))] {
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
func (w *hl7Work) obx5(s hl7.Segment, fnum int, raw []byte) error {
	vt := strings.ToUpper(strings.TrimSpace(w.m.Unescape(hl7.Nth(s.Field(2), w.d.Component, 1))))
	switch vt {
	case "NM", "SN", "NA", "NR", "ID", "IS", "CP", "MO", "TM", "CQ":
		return w.sweepKept(s, fnum, raw)
	case "CE", "CWE", "CNE", "CF":
		return w.set(s, fnum, w.coded(raw))
	case "DT", "DTM", "TS", "DR":
		return w.dates(s, fnum, raw, false)
	case "ED", "RP":
		cat := text.Photo
		if vt == "RP" {
			cat = text.URL
		}
		w.rep.Add(cat, Removed, 1)
		return w.set(s, fnum, nil)
	case "XPN", "PN":
		return w.apply(s, fnum, nameR)
	case "XAD", "AD":
		return w.apply(s, fnum, addrR)
	case "XTN", "TN":
		return w.apply(s, fnum, phoneR)
	case "CX":
		return w.apply(s, fnum, mrnR)
	case "EI", "HD":
		// entity and hierarchic designators here are instance identifiers (order, study UIDs)
		return w.apply(s, fnum, eiR)
	}
	// TX, FT, ST and anything unknown: free text
	return w.set(s, fnum, w.rebuild(raw, func(dst, rp []byte) []byte { return w.scrub(dst, rp) }))
}
