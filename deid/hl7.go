package deid

import (
	"bytes"
	"time"

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
	scrubbed []scrubMemo  // kept parts of this message already scrubbed
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
	w.scrubbed = w.scrubbed[:0]
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
	var auth string
	w.patient, auth = w.primaryID(pid)
	if w.patient != "" {
		var ps [pseudoLen]byte
		res.Pseudonym = string(w.appendPseudonymIn(ps[:0], auth, w.patient))
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
			sw := w.scanKept(raw)
			if sw == 0 {
				continue
			}
			nv = w.sweepKept(raw, sw)
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
func late(k kind) bool {
	return k == kKeep || k == kText || k == kCoded || k == kComp || k == kOBX5
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
	opComp               // composite by component
)

// eachRep treats every repetition of raw with op, building the new field
// in w.buf without trailing empty repetitions.
func (w *hl7Work) eachRep(raw []byte, op repOp, r rule) []byte {
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
			out = w.idRep(out, rp, r.cat)
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
			out = w.compRep(out, rp, r, true)
		case opComp:
			out = w.compRep(out, rp, r, false)
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
		return w.sweepKept(raw, w.scanKept(raw))
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
		return w.eachRep(raw, opAddr, r)
	case kIDs:
		return w.eachRep(raw, opIDs, r)
	case kEI:
		return w.eachRep(raw, opEI, r)
	case kEIP:
		return w.eachRep(raw, opEIP, r)
	case kDate, kDOB:
		return w.dates(raw, r.k == kDOB)
	case kText:
		return w.eachRep(raw, opText, r)
	case kCoded:
		return w.eachRep(raw, opCoded, r)
	case kComp:
		return w.eachRep(raw, opComp, r)
	case kOBX5:
		return w.obx5(f2, raw)
	}
	return raw
}
