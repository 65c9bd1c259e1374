package deid

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/safeharbor/safeharbor/deid/text"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/bytescan"
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
	lastDate string       // the last Date value remembered (interned)
	exact    hashSet      // fold hashes of the remembered values of 3 bytes or more
	shapes   shapeSet     // shapes of the same values
	lenMask  uint64       // bit n: some remembered value has n bytes (63: longer)
	strs     []byte       // backing store of w.str results, reset per message
	memo     []pseudoMemo // pseudonyms of this message, by normalized identifier
	norm     []byte
	seg      []byte
	seps     []int32    // field separator positions of one segment
	shifts   []sepShift // fields of one segment changed in pass 1
	sepSlab  []int32    // field separator positions left by pass 1, by sepsOf
	sepsOf   []sepSpan  // per segment index
	buf2     []byte
	buf      []byte
	tmp      []byte
	ref      time.Time
	shift    int
	over90   bool
	patient  string
	typ      string // the last Result.Type, reused while messages have the same type
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
	if w.built > 0 {
		// the previous message filled the free-text set
		w.known.Reset()
	}
	w.pending = w.pending[:0]
	w.built = 0
	w.lastDate = ""
	w.exact.reset()
	w.shapes = shapeSet{}
	w.lenMask = 0
	w.strs = w.strs[:0]
	w.memo = w.memo[:0]
	w.counts = text.Counts{}
	w.over90, w.shift, w.patient = false, 0, ""

	res := Result{Type: w.msgType()}
	// reference time for ages: the message time, else now
	w.ref = e.cfg.Now().UTC()
	if d, ok := parseHL7Date(unsafeString(m.Segment(0).Field(7))); ok && d.prec >= 8 {
		w.ref = d.time()
	}
	// patient identity and age come first: they decide the pseudonym, the
	// shift and whether the birth year goes
	pid := -1
	for i := 0; i < m.NumSegments(); i++ {
		if name := m.Segment(i).Bytes(); name[0] == 'P' && name[1] == 'I' && name[2] == 'D' {
			pid = i
			break
		}
	}
	w.patient = w.primaryID(pid)
	if w.patient != "" {
		var ps [pseudoLen]byte
		res.Pseudonym = string(w.appendPseudonym(ps[:0], w.patient))
	}
	if e.cfg.Profile == Shift {
		w.shift = shiftDays(e.shiftKey, res.Pseudonym)
	}
	if pid >= 0 {
		first, _, _ := cut(m.Segment(pid).Field(7), w.d.Repetition)
		if b, ok := parseHL7Date(w.str(first)); ok && ageAt(b, w.ref) >= 90 {
			w.over90 = true
		}
	}
	res.Over90 = w.over90

	// pass 1: drop segments, treat structured fields, collect known values
	m.DeleteSegments(func(s hl7.Segment) bool {
		data := s.Bytes()
		if data[0] == 'Z' {
			if e.keepZ[string(data[:3])] {
				return false
			}
			rep.drop("segment:Z")
			return true
		}
		if segRules(data) == nil {
			rep.drop("segment:unknown")
			return true
		}
		return false
	})
	w.sepSlab = w.sepSlab[:0]
	w.sepsOf = w.sepsOf[:0]
	for range m.NumSegments() {
		w.sepsOf = append(w.sepsOf, sepSpan{n: -1})
	}
	for i := 0; i < m.NumSegments(); i++ {
		s := m.Segment(i)
		if si := segRules(s.Bytes()); si != nil && si.lastEarly > 0 {
			if err := w.pass1(s, si); err != nil {
				return res, err
			}
		}
	}
	// pass 2: kept fields and free text, now that every identifier value of
	// the message is known
	for i := 0; i < m.NumSegments(); i++ {
		s := m.Segment(i)
		if si := segRules(s.Bytes()); si != nil {
			if err := w.pass2(s, si); err != nil {
				return res, err
			}
		}
	}
	rep.addScrubbed(&w.counts)
	if rep != nil {
		rep.Messages++
	}
	// provenance
	ninety := ""
	if w.over90 {
		ninety = "90+"
	}
	w.buf = append(w.buf[:0], ProvenanceSegment...)
	for _, v := range [...]string{"1", e.cfg.Profile.String(), Version, e.cfg.RulesVersion, ninety} {
		w.buf = append(w.buf, w.d.Field)
		w.buf, _ = w.d.AppendEscaped(w.buf, v)
	}
	if err := m.AppendSegment(w.buf); err != nil {
		return res, err
	}
	return res, nil
}

// msgType returns MSH-9.1, with "^" and MSH-9.2 when there is a trigger
// event ("ADT^A01"), reusing the previous message's string when equal.
func (w *hl7Work) msgType() string {
	d := &w.d
	r, _, _ := cut(w.m.Segment(0).Field(9), d.Repetition)
	typ, rest, _ := cut(r, d.Component)
	ev, _, _ := cut(rest, d.Component)
	start := len(w.strs)
	w.strs = d.AppendUnescaped(w.strs, typ)
	if len(ev) > 0 {
		w.strs = append(w.strs, '^')
		n := len(w.strs)
		if w.strs = d.AppendUnescaped(w.strs, ev); len(w.strs) == n {
			w.strs = w.strs[:n-1]
		}
	}
	v := w.strs[start:]
	if string(v) != w.typ {
		w.typ = string(v)
	}
	w.strs = w.strs[:start]
	return w.typ
}

// pass1 treats the fields of one segment that are treated before the
// values of the whole message are known (identifiers, names, dates...),
// building the new segment in one go.
func (w *hl7Work) pass1(s hl7.Segment, si *segInfo) error {
	data := s.Bytes()
	if len(data) <= 3 {
		return nil
	}
	fs := w.d.Field
	pos, fnum := 3, 0
	if data[0] == 'M' && data[1] == 'S' && data[2] == 'H' {
		// MSH-1 (the separator) and MSH-2 (encoding characters) stay as they are
		pos = indexFrom(data, fs, 4)
		fnum = 2
	}
	// seps[k] is the separator before field fnum+1+k, up to the one after
	// the last early field
	seps := bytescan.AppendIndexes(w.seps[:0], data, pos, fs, len(data))
	w.seps = seps
	// the new segment is built only from the first field that changes
	var out []byte
	changed := false
	prev := 0 // data[:prev] is in out
	shifts := w.shifts[:0]
	for _, fr := range si.early {
		k := fr.field - fnum - 1
		if k < 0 {
			continue
		}
		if k >= len(seps) {
			break
		}
		start, end := int(seps[k])+1, len(data)
		if k+1 < len(seps) {
			end = int(seps[k+1])
		}
		raw := data[start:end]
		if len(raw) == 0 {
			continue
		}
		nv := w.transform(nil, fr.rule, raw)
		if bytes.Equal(nv, raw) {
			continue
		}
		if !changed {
			changed = true
			out = w.seg[:0]
		}
		out = append(out, data[prev:start]...)
		out = append(out, nv...)
		prev = end
		shifts = append(shifts, sepShift{k, len(nv) - len(raw)})
	}
	w.shifts = shifts
	if changed {
		// the separators after a changed field move with it
		moved, c := 0, 0
		for j := range seps {
			for c < len(shifts) && shifts[c].k < j {
				moved += shifts[c].by
				c++
			}
			seps[j] += int32(moved)
		}
	}
	// pass 2 starts from these separators
	w.sepsOf[s.Index()] = sepSpan{int32(len(w.sepSlab)), int32(len(seps))}
	w.sepSlab = append(w.sepSlab, seps...)
	if !changed {
		return nil
	}
	out = append(out, data[prev:]...)
	w.seg = out
	return s.Replace(out)
}

// sepShift records that field k (after separator k) of a segment changed
// length by by bytes in pass 1.
type sepShift struct{ k, by int }

// sepSpan locates the field separator positions of one segment in
// hl7Work.sepSlab, as pass 1 left the segment (n < 0: not recorded).
type sepSpan struct{ off, n int32 }

// pass2 treats the kept fields (swept for identifier values and full
// dates) and the free-text fields of one segment. Most fields come through
// unchanged: the new segment is built only from the first that changes.
func (w *hl7Work) pass2(s hl7.Segment, si *segInfo) error {
	data := s.Bytes()
	if len(data) <= 3 {
		return nil
	}
	fs := w.d.Field
	pos, fnum := 3, 0
	if data[0] == 'M' && data[1] == 'S' && data[2] == 'H' {
		pos = indexFrom(data, fs, 4)
		fnum = 2
	}
	var seps []int32
	if sp := w.sepsOf[s.Index()]; sp.n >= 0 {
		seps = w.sepSlab[sp.off : sp.off+sp.n]
	} else {
		seps = bytescan.AppendIndexes(w.seps[:0], data, pos, fs, len(data))
		w.seps = seps
	}
	var out []byte
	changed := false
	prev := 0     // data[:prev] is in out
	var f2 []byte // field 2, for OBX-5
	for k, sep := range seps {
		fnum++
		start, end := int(sep)+1, len(data)
		if k+1 < len(seps) {
			end = int(seps[k+1])
		}
		raw := data[start:end]
		if fnum == 2 {
			f2 = raw
		}
		if len(raw) == 0 {
			continue
		}
		var nv []byte
		switch r := si.rule(fnum); {
		case r.k == kKeep:
			hasKnown, hasDate := w.scanKept(raw)
			if !hasKnown && !hasDate {
				continue
			}
			nv = w.sweepKept(raw, hasKnown, hasDate)
		case late(r.k):
			nv = w.transform(f2, r, raw)
		default:
			continue // treated in pass 1
		}
		if bytes.Equal(nv, raw) {
			continue
		}
		if !changed {
			changed = true
			out = w.seg[:0]
		}
		out = append(out, data[prev:start]...)
		out = append(out, nv...)
		prev = end
	}
	if !changed {
		return nil
	}
	out = append(out, data[prev:]...)
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

// late reports whether a kind is applied in pass 2, after every identifier
// value of the message has been collected.
func late(k kind) bool { return k == kKeep || k == kText || k == kCoded || k == kOBX5 }

// primaryID returns the patient's primary identifier, chosen so that the
// same patient gets the same pseudonym whatever the order of its identifiers
// and whichever format they arrive in: the smallest normalized value among
// the MR-typed identifiers of PID-2, PID-3 and PID-4, else the smallest
// identifier that is not an SSN or licence (FHIR uses the same rule on
// Patient.identifier). pid is the index of the first PID segment (-1: none).
func (w *hl7Work) primaryID(pid int) string {
	if pid < 0 {
		return ""
	}
	var c idChooser
	s := w.m.Segment(pid)
	d := &w.d
	for fnum := 2; fnum <= 4; fnum++ {
		rest := s.Field(fnum)
		for more := len(rest) > 0; more; {
			var rp []byte
			rp, rest, more = cut(rest, d.Repetition)
			var cs [5][]byte
			comps(rp, d.Component, cs[:])
			typ := strings.ToUpper(w.str(cs[4]))
			if _, removed := idTypesRemoved[typ]; removed {
				continue
			}
			c.offerNormalized(w.normalized(w.str(cs[0])), typ == "MR")
		}
	}
	return c.best()
}

// idChooser picks the primary identifier of a patient (see primaryID).
type idChooser struct{ mr, any string }

func (c *idChooser) offer(id string, mr bool) { c.offerNormalized(normalizeID(id), mr) }

// offerNormalized is offer for a value already normalized (normalizeID).
func (c *idChooser) offerNormalized(n string, mr bool) {
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

// normalized returns normalizeID(v) backed by the per-message store.
func (w *hl7Work) normalized(v string) string {
	w.norm = appendNormalizedID(w.norm[:0], v)
	return w.intern(unsafeString(w.norm))
}

// pseudoMemo is one pseudonym computed for the current message.
type pseudoMemo struct {
	id string // normalized identifier
	ps [pseudoLen]byte
}

// maxMemo bounds the pseudonyms remembered per message (a linear search).
const maxMemo = 32

// appendPseudonym appends the "id" pseudonym of id: an identifier that
// recurs in the message (PID-3 chosen as the primary identifier, order
// numbers in ORC and OBR) is hashed once.
func (w *hl7Work) appendPseudonym(dst []byte, id string) []byte {
	w.norm = appendNormalizedID(w.norm[:0], id)
	key := unsafeString(w.norm)
	for i := range w.memo {
		if w.memo[i].id == key {
			return append(dst, w.memo[i].ps[:]...)
		}
	}
	var ps [pseudoLen]byte
	w.e.pseudo.appendNormalized(ps[:0], "id", w.norm)
	if len(w.memo) < maxMemo {
		w.memo = append(w.memo, pseudoMemo{w.intern(key), ps})
	}
	return append(dst, ps[:]...)
}

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

// cut splits b around the first sep: the part before it, the rest after it,
// and whether there was one. A zero sep (a delimiter the message does not
// define) never splits.
func cut(b []byte, sep byte) (before, after []byte, found bool) {
	if sep != 0 {
		for i := 0; i < len(b); i++ {
			if b[i] == sep {
				return b[:i], b[i+1:], true
			}
		}
	}
	return b, nil, false
}

// comps sets out[i] to element i+1 of b split by sep (hl7.Nth), nil past
// the last element, in one walk.
func comps(b []byte, sep byte, out [][]byte) {
	n := 0
	for more := len(b) > 0 && len(out) > 0; more; {
		out[n], b, more = cut(b, sep)
		if n++; n == len(out) {
			return
		}
	}
	clear(out[n:])
}

// repOp is the treatment eachRep applies to every repetition of a field.
type repOp uint8

const (
	opIDs   repOp = iota // ids: CX pseudonymized
	opEI                 // entity identifier
	opEIP                // entity identifier pair
	opAddr               // address
	opText               // free text
	opCoded              // coded element
)

// eachRep treats every repetition of raw with op, building the new field
// in w.buf without trailing empty repetitions.
func (w *hl7Work) eachRep(raw []byte, op repOp, cat text.Category) []byte {
	d := &w.d
	out := w.buf[:0]
	rest := raw
	for i := 0; ; i++ {
		rp, tail, more := cut(rest, d.Repetition)
		if i > 0 {
			out = append(out, d.Repetition)
		}
		switch op {
		case opIDs:
			out = w.idRep(out, rp, cat)
		case opEI:
			out = w.ei(out, rp, d.Component)
		case opEIP:
			for j, r := 0, rp; ; j++ {
				comp, t, m := cut(r, d.Component)
				if j > 0 {
					out = append(out, d.Component)
				}
				out = w.ei(out, comp, d.Subcomponent)
				if !m {
					break
				}
				r = t
			}
		case opAddr:
			out = w.addrRep(out, rp)
		case opText:
			out = w.scrub(out, rp)
		case opCoded:
			out = w.codedRep(out, rp)
		}
		if !more {
			break
		}
		rest = tail
	}
	w.buf = trimTrailing(out, d.Repetition)
	return w.buf
}

// trimTrailing drops trailing sep bytes from b (none when sep is zero).
func trimTrailing(b []byte, sep byte) []byte {
	for len(b) > 0 && sep != 0 && b[len(b)-1] == sep {
		b = b[:len(b)-1]
	}
	return b
}

// partEnd returns the end of the part of raw starting at start: the index
// of the next repetition, component or subcomponent separator, or len(raw).
func (w *hl7Work) partEnd(raw []byte, start int) int {
	for i := start; i < len(raw); i++ {
		if w.class[raw[i]] == clsSep {
			return i
		}
	}
	return len(raw)
}

// addKnownComponents remembers every component/subcomponent text of raw under cat.
func (w *hl7Work) addKnownComponents(raw []byte, cat text.Category) {
	for start := 0; ; {
		end := w.partEnd(raw, start)
		if v := raw[start:end]; len(v) >= 2 {
			if s := strings.TrimSpace(w.str(v)); len(s) >= 2 {
				w.remember(cat, s)
			}
		}
		if end == len(raw) {
			return
		}
		start = end + 1
	}
}

// transform returns the treated form of one field's raw bytes (which may
// alias the work buffers: copy it before the next transform). f2 is field 2
// of the segment (the value type, for OBX-5).
func (w *hl7Work) transform(f2 []byte, r rule, raw []byte) []byte {
	if len(raw) == 0 {
		return raw
	}
	rep := w.rep
	switch r.k {
	case kKeep:
		hasKnown, hasDate := w.scanKept(raw)
		return w.sweepKept(raw, hasKnown, hasDate)
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
		return w.eachRep(raw, opAddr, r.cat)
	case kIDs:
		return w.eachRep(raw, opIDs, r.cat)
	case kEI:
		return w.eachRep(raw, opEI, r.cat)
	case kEIP:
		return w.eachRep(raw, opEIP, r.cat)
	case kDate, kDOB:
		return w.dates(raw, r.k == kDOB)
	case kText:
		return w.eachRep(raw, opText, r.cat)
	case kCoded:
		return w.eachRep(raw, opCoded, r.cat)
	case kOBX5:
		return w.obx5(f2, raw)
	}
	return raw
}

func (w *hl7Work) addNames(raw []byte) {
	d := &w.d
	for more, rest := true, raw; more; {
		var rp []byte
		rp, rest, more = cut(rest, d.Repetition)
		// XPN: 1 family (FN: surname & ...), 2 given, 3 middle; XCN shifts by one (1 is the id)
		var cs [4][]byte
		comps(rp, d.Component, cs[:])
		for _, comp := range cs {
			sub, _, _ := cut(comp, d.Subcomponent)
			v := strings.TrimSpace(w.str(sub))
			if len(v) >= 2 && !digits(v) {
				w.remember(text.Name, v)
			}
		}
	}
}

func (w *hl7Work) addPhones(raw []byte) {
	d := &w.d
	for more, rest := true, raw; more; {
		var rp []byte
		rp, rest, more = cut(rest, d.Repetition)
		var cs [12][]byte
		comps(rp, d.Component, cs[:])
		comp := func(c int) string { return strings.TrimSpace(w.str(cs[c-1])) }
		if v := comp(1); v != "" {
			w.remember(text.Phone, v)
		}
		if v := comp(4); v != "" {
			w.remember(text.Email, v)
		}
		if area, local := comp(6), comp(7); local != "" {
			w.remember(text.Phone, w.concat(area, local))
		}
		if v := comp(12); v != "" {
			w.remember(text.Phone, v)
		}
	}
}

// addrRep treats one XAD repetition: state (4), ZIP3 (5), country (6) and
// address type (7) are kept.
func (w *hl7Work) addrRep(dst, rp []byte) []byte {
	d := &w.d
	var cs [10][]byte
	comps(rp, d.Component, cs[:])
	for _, c := range [...]int{1, 2, 3, 8, 9, 10} {
		if v := cs[c-1]; len(v) > 0 {
			w.addKnownComponents(v, text.Address)
			w.rep.Add(text.Address, Removed, 1)
		}
	}
	start := len(dst)
	zip := w.str(cs[4])
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
	dst = append(dst, noDigits(cs[3])...)
	dst = append(dst, d.Component)
	dst = w.esc(dst, z3)
	dst = append(dst, d.Component)
	dst = append(dst, noDigits(cs[5])...)
	dst = append(dst, d.Component)
	dst = append(dst, cs[6]...)
	for len(dst) > start && dst[len(dst)-1] == d.Component {
		dst = dst[:len(dst)-1]
	}
	return dst
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

// idRep pseudonymizes CX-1 of one repetition, keeping CX-4 (assigning
// authority) and CX-5 (type); SSN and licence repetitions are removed.
func (w *hl7Work) idRep(dst, rp []byte, cat text.Category) []byte {
	d := &w.d
	var cs [5][]byte
	comps(rp, d.Component, cs[:])
	id := strings.TrimSpace(w.str(cs[0]))
	typ := cs[4]
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
		dst = w.appendPseudonym(dst, id)
	}
	auth := cs[3]
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
}

// ei pseudonymizes the first part of an EI (split by sep) and keeps its namespace parts.
func (w *hl7Work) ei(dst, v []byte, sep byte) []byte {
	first, rest, more := cut(v, sep)
	id := strings.TrimSpace(w.str(first))
	if id == "" {
		return append(dst, v...)
	}
	w.remember(text.OtherID, id)
	w.rep.Add(text.OtherID, Pseudonymized, 1)
	dst = w.appendPseudonym(dst, id)
	if sep == 0 {
		return dst
	}
	// keep the namespace parts, except any that repeat the identifier itself
	start := len(dst)
	for more {
		var part []byte
		part, rest, more = cut(rest, sep)
		dst = append(dst, sep)
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
	if cat == text.Date && v == w.lastDate {
		return // already remembered: most date fields repeat one date
	}
	// the free-text set is built only if the message has text to scrub; the
	// value is copied into the per-message store, as callers may pass views
	// of work buffers that are reused before then
	iv := w.intern(v)
	w.pending = append(w.pending, knownValue{cat, iv})
	if cat == text.Date {
		w.lastDate = iv
	}
	if len(v) >= 3 {
		w.exact.add(foldHash(v))
		w.shapes.add(v)
		w.lenMask |= 1 << min(len(v), 63)
	}
}

// foldHash hashes v with ASCII letters upper-cased, eight bytes at a time.
func foldHash(v string) uint64 {
	return foldHashBytes(unsafe.Slice(unsafe.StringData(v), len(v)))
}

// foldHashBytes is foldHash for a byte slice.
func foldHashBytes(v []byte) uint64 {
	const k0, k1 = 0x9E3779B97F4A7C15, 0xD6E8FEB86659FD93
	h := foldMix(uint64(len(v)), k1, k0)
	for len(v) >= 8 {
		h = foldMix(h, upper8(binary.LittleEndian.Uint64(v)), k0)
		v = v[8:]
	}
	if len(v) > 0 {
		var x uint64
		for i := len(v) - 1; i >= 0; i-- {
			x = x<<8 | uint64(v[i])
		}
		h = foldMix(h, upper8(x), k0)
	}
	return foldMix(h, k1, k0)
}

func foldMix(h, x, k uint64) uint64 {
	hi, lo := bits.Mul64(h^x, k)
	return hi ^ lo
}

// upper8 upper-cases the ASCII letters among the eight bytes of x.
func upper8(x uint64) uint64 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	t := x &^ high
	ge := t + ones*(0x80-'a')   // high bit set where t >= 'a'
	gt := t + ones*(0x80-'z'-1) // high bit set where t > 'z'
	m := ge &^ gt &^ x & high
	return x ^ m>>2 // 0x80>>2 is the case bit 0x20
}

// hashSet is a set of 64-bit hashes (open addressing, linear probing),
// emptied per message without freeing its table.
type hashSet struct {
	slots []uint64 // 0 is an empty slot; a hash of 0 is stored as 1
	n     int
	shift uint8
}

func (s *hashSet) reset() {
	if s.n != 0 {
		clear(s.slots)
		s.n = 0
	}
}

func (s *hashSet) slot(h uint64) int { return int((h * 0x9E3779B97F4A7C15) >> s.shift) }

func (s *hashSet) add(h uint64) {
	if h == 0 {
		h = 1
	}
	if 2*(s.n+1) > len(s.slots) {
		old := s.slots
		size := max(64, 2*len(old))
		s.slots = make([]uint64, size)
		s.shift = uint8(64 - bits.TrailingZeros(uint(size)))
		s.n = 0
		for _, v := range old {
			if v != 0 {
				s.add(v)
			}
		}
	}
	mask := len(s.slots) - 1
	for i := s.slot(h); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			s.n++
			return
		case h:
			return
		}
	}
}

func (s *hashSet) has(h uint64) bool {
	if s.n == 0 {
		return false
	}
	if h == 0 {
		h = 1
	}
	mask := len(s.slots) - 1
	for i := s.slot(h); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			return false
		case h:
			return true
		}
	}
}

// isKnown reports whether v equals a remembered identifier value, ignoring case.
func (w *hl7Work) isKnown(v []byte) bool {
	if len(v) < 3 || w.exact.n == 0 {
		return false
	}
	return w.exact.has(foldHashBytes(v))
}

// intern copies v into the per-message store (see str).
func (w *hl7Work) intern(v string) string {
	if len(v) == 0 {
		return ""
	}
	if cap(w.strs)-len(w.strs) < len(v) {
		w.strs = make([]byte, 0, max(4096, 2*len(v)))
	}
	start := len(w.strs)
	w.strs = append(w.strs, v...)
	return unsafe.String(&w.strs[start], len(v))
}

// concat returns a+b backed by the per-message store.
func (w *hl7Work) concat(a, b string) string {
	if cap(w.strs)-len(w.strs) < len(a)+len(b) {
		w.strs = make([]byte, 0, max(4096, 2*(len(a)+len(b))))
	}
	start := len(w.strs)
	w.strs = append(append(w.strs, a...), b...)
	return unsafeString(w.strs[start:])
}

// str decodes a raw value into a string without allocating: a view of raw
// when it has no escape sequence, else backed by the work's per-message
// store. raw must stay unchanged during the message (segment bytes do: an
// edit makes a new copy). The result is valid until the next message; do
// not keep it (remember copies).
func (w *hl7Work) str(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	if !w.hasEscape(raw) {
		return unsafeString(raw)
	}
	if cap(w.strs)-len(w.strs) < len(raw)+16 {
		w.strs = make([]byte, 0, max(4096, 2*len(raw)))
	}
	start := len(w.strs)
	w.strs = w.d.AppendUnescaped(w.strs, raw)
	return unsafe.String(&w.strs[start], len(w.strs)-start)
}

// hasEscape reports whether raw holds the message's escape character.
func (w *hl7Work) hasEscape(raw []byte) bool {
	e := w.d.Escape
	if e == 0 {
		return false
	}
	if len(raw) > 16 {
		return bytes.IndexByte(raw, e) >= 0
	}
	for _, c := range raw {
		if c == e {
			return true
		}
	}
	return false
}

// sweepKept treats a kept field, given what scanKept found in it:
// components that repeat an identifier of this message are removed (a
// patient named in a provider field, an MRN in a field the standard does
// not define), and full dates are reduced to the year (for example inside
// timing quantities or name-with-date types).
func (w *hl7Work) sweepKept(raw []byte, hasKnown, hasDate bool) []byte {
	if hasKnown {
		out := w.buf2[:0]
		for start := 0; ; {
			end := w.partEnd(raw, start)
			if v := raw[start:end]; w.knownPart(v) {
				w.rep.Add(text.OtherID, Removed, 1)
			} else {
				out = append(out, v...)
			}
			if end == len(raw) {
				break
			}
			out = append(out, raw[end])
			start = end + 1
		}
		w.buf2 = trimTrailing(out, w.d.Repetition)
		raw = w.buf2
	}
	if !hasDate {
		return raw
	}
	return w.sweepDates(raw)
}

// scanKept looks through a kept field once: whether a part (the text
// between separators) may equal a remembered identifier (its trimmed length
// is one of theirs and its hash matches), and whether a part starts with 8
// digits (a possible date: every value looksLikeDTM accepts does).
func (w *hl7Work) scanKept(raw []byte) (hasKnown, hasDate bool) {
	cls := &w.class
	start := 0
	for i := 0; ; i++ {
		var seen uint8 // classes met in the part: clsSpecial when it has an escape
		for i < len(raw) && cls[raw[i]] < clsSep {
			seen |= cls[raw[i]]
			i++
		}
		if n := i - start; n >= 3 {
			if !hasDate && n >= 8 && eightDigits(raw[start:]) {
				hasDate = true
			}
			if !hasKnown && w.lenMask != 0 {
				hasKnown = w.knownRaw(raw[start:i], seen&clsSpecial != 0)
			}
		}
		if i == len(raw) {
			return hasKnown, hasDate
		}
		start = i + 1
	}
}

// eightDigits reports whether b starts with 8 ASCII digits.
func eightDigits(b []byte) bool {
	x := binary.LittleEndian.Uint64(b)
	// every byte in '0'..'9': its high nibble is 3 and adding 6 to it does
	// not carry into the high nibble
	return x&0xF0F0F0F0F0F0F0F0 == 0x3030303030303030 &&
		(x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0 == 0x3030303030303030
}

// knownRaw reports whether one part of a kept field, as scanKept sees it
// (between separators, still escaped; special tells whether it has a byte
// of class clsSpecial), may repeat a remembered identifier: trimmed of
// spaces, its length is one of theirs and it matches, or it has an escape
// sequence and matches once decoded.
func (w *hl7Work) knownRaw(v []byte, special bool) bool {
	a, b := 0, len(v)
	for a < b && v[a] == ' ' {
		a++
	}
	for b > a && v[b-1] == ' ' {
		b--
	}
	n := b - a
	if n < 3 {
		return false
	}
	if !special && plain(v[a]) && plain(v[b-1]) {
		// no escape and nothing more to trim: knownPart would look up
		// v[a:b] itself, which the shape filter may rule out first
		return w.lenMask&(1<<min(n, 63)) != 0 && w.shapes.has(v[a:b]) && w.isKnown(v[a:b])
	}
	if w.lenMask&(1<<min(n, 63)) != 0 && w.knownPart(v[a:b]) {
		return true
	}
	e := w.d.Escape
	return e != 0 && bytes.IndexByte(v[a:b], e) >= 0 && w.knownPart(v[a:b])
}

// plain reports whether c is printable ASCII other than space (so no
// trimming function removes it).
func plain(c byte) bool { return c > ' ' && c < 0x7f }

// shapeSet is a bit set of the shapes of the remembered values: length,
// first and last byte, ignoring ASCII case. A value whose shape is not in
// it is not remembered.
type shapeSet [16]uint64

func shapeOf[T string | []byte](v T) uint {
	f, l := v[0], v[len(v)-1]
	if f >= 'a' && f <= 'z' {
		f -= 'a' - 'A'
	}
	if l >= 'a' && l <= 'z' {
		l -= 'a' - 'A'
	}
	return (uint(len(v))*131 + uint(f)*31 + uint(l)) & 1023
}

func (s *shapeSet) add(v string) {
	k := shapeOf(v)
	s[k/64] |= 1 << (k % 64)
}

func (s *shapeSet) has(v []byte) bool {
	k := shapeOf(v)
	return s[k/64]&(1<<(k%64)) != 0
}

// byte classes for scanKept
const (
	clsOther = iota
	clsDigit
	clsSpecial // other bytes AppendEscaped encodes: escape, truncation, CR, LF, NUL
	clsSep     // repetition, component or subcomponent separator
	clsField   // field separator
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
	w.class[w.d.Field] = clsField
	w.escClass()
}

// knownPart reports whether a raw value equals a remembered identifier.
func (w *hl7Work) knownPart(v []byte) bool {
	if len(v) < 3 {
		return false
	}
	if w.hasEscape(v) {
		w.tmp = w.d.AppendUnescaped(w.tmp[:0], v)
		v = w.tmp
	}
	return w.isKnown(bytes.TrimSpace(v))
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
