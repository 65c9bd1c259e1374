package hl7

import (
	"bytes"
	"iter"
)

// Segment is a view of one segment of a Message. It stays valid until
// segments are deleted or added.
type Segment struct {
	m *Message
	i int
}

// Segment returns the i-th (0-based) segment.
func (m *Message) Segment(i int) Segment { return Segment{m, i} }

// Segments iterates over the segments named name (all segments if name is "").
func (m *Message) Segments(name string) iter.Seq[Segment] {
	return func(yield func(Segment) bool) {
		for i := range m.segs {
			if name == "" || string(m.segs[i].data[:3]) == name {
				if !yield(Segment{m, i}) {
					return
				}
			}
		}
	}
}

// Index returns the segment's 0-based position in the message.
func (s Segment) Index() int { return s.i }

// Name returns the three-character segment name.
func (s Segment) Name() string { return string(s.m.segs[s.i].data[:3]) }

// Is reports whether the segment is named name.
func (s Segment) Is(name string) bool { return string(s.m.segs[s.i].data[:3]) == name }

// Bytes returns the segment's ER7 bytes without terminator. Do not modify them.
func (s Segment) Bytes() []byte { return s.m.segs[s.i].data }

// Offset returns the segment's byte offset in the parsed input (-1 if added later).
func (s Segment) Offset() int { return s.m.segs[s.i].off }

// NumFields returns the highest field number present in the segment.
func (s Segment) NumFields() int {
	n := len(s.m.fieldIdx(s.i))
	if s.m.segs[s.i].isMSH() {
		return n + 1
	}
	return n
}

// Field returns the raw (escaped) bytes of field n (HL7 numbering), or nil if
// absent. MSH-1 returns the field separator. Do not modify the result.
func (s Segment) Field(n int) []byte {
	seg := &s.m.segs[s.i]
	if seg.isMSH() && n == 1 {
		if len(seg.data) < 4 {
			return nil
		}
		return seg.data[3:4]
	}
	start, end, ok := s.m.fieldBounds(s.i, seg.elem(n))
	if !ok {
		return nil
	}
	return seg.data[start:end]
}

// SetField replaces field n with raw ER7 bytes (which may contain repetition,
// component and subcomponent separators but not the field separator or line
// breaks). MSH-1 and MSH-2 are read-only.
func (s Segment) SetField(n int, raw []byte) error {
	return s.m.setElem(s.i, n, raw, "")
}

// Unescape decodes a raw value of this message (see Delims.AppendUnescaped) into a string.
func (m *Message) Unescape(raw []byte) string {
	if !m.delims.needsUnescape(raw) {
		return string(raw)
	}
	m.scratch = m.delims.AppendUnescaped(m.scratch[:0], raw)
	return string(m.scratch)
}

// find returns the index of the segment a path names.
func (m *Message) find(p Path) (int, error) {
	occ := p.Occurrence
	if occ == 0 {
		occ = 1
	}
	n := 0
	for i := range m.segs {
		if string(m.segs[i].data[:3]) == p.Segment {
			n++
			if n == occ {
				return i, nil
			}
		}
	}
	return -1, &Error{Kind: ErrNoSegment, Offset: -1, Path: p.String()}
}

// GetRaw returns the raw ER7 bytes of the element p addresses: a whole field
// (all repetitions) when p has no repetition, component or subcomponent, else
// the addressed repetition (default the first), component or subcomponent.
// An absent element is nil with no error; an absent segment is ErrNoSegment.
// Do not modify the result.
func (m *Message) GetRaw(p Path) ([]byte, error) {
	if p.Field == 0 {
		return nil, &Error{Kind: ErrBadPath, Offset: -1, Path: p.String(), Detail: "path names a segment, not a field"}
	}
	i, err := m.find(p)
	if err != nil {
		return nil, err
	}
	seg := Segment{m, i}
	f := seg.Field(p.Field)
	if seg.m.segs[i].isMSH() && p.Field <= 2 {
		return f, nil
	}
	if p.Rep == 0 && p.Comp == 0 {
		return f, nil
	}
	d := &m.delims
	r := p.Rep
	if r == 0 {
		r = 1
	}
	v := Nth(f, d.Repetition, r)
	if p.Comp > 0 {
		v = Nth(v, d.Component, p.Comp)
		if p.Sub > 0 {
			v = Nth(v, d.Subcomponent, p.Sub)
		}
	}
	return v, nil
}

// Get returns the decoded text of the element p addresses. Without a
// repetition index it reads the first repetition. Escape sequences are
// decoded; when the element still has components, their separators are kept
// as they are (use GetRaw to keep the structure exact).
func (m *Message) Get(path string) (string, error) {
	p, err := ParsePath(path)
	if err != nil {
		return "", err
	}
	return m.GetPath(p)
}

// GetPath is Get with a parsed path.
func (m *Message) GetPath(p Path) (string, error) {
	if p.Field > 2 || p.Segment != "MSH" {
		if p.Rep == 0 && p.Field > 0 {
			p.Rep = 1
		}
	}
	raw, err := m.GetRaw(p)
	if err != nil {
		return "", err
	}
	if p.Segment == "MSH" && p.Field <= 2 {
		return string(raw), nil
	}
	return m.Unescape(raw), nil
}

// Set stores the plain text value at path, escaping delimiters. Without a
// repetition index, a field path replaces the whole field (all repetitions),
// while a component path edits the first repetition.
func (m *Message) Set(path, value string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	return m.SetPath(p, value)
}

// SetPath is Set with a parsed path.
func (m *Message) SetPath(p Path, value string) error {
	esc, ok := m.delims.AppendEscaped(nil, value)
	if !ok {
		return &Error{Kind: ErrBadDelimiters, Offset: -1, Path: p.String(), Detail: "value contains a delimiter and the message defines no escape character"}
	}
	return m.SetRawPath(p, esc)
}

// SetRaw stores raw ER7 bytes at path without escaping. The value may contain
// only the separators below the addressed level (a field may hold
// repetitions, a repetition components, a component subcomponents).
func (m *Message) SetRaw(path string, raw []byte) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	return m.SetRawPath(p, raw)
}

// SetRawPath is SetRaw with a parsed path.
func (m *Message) SetRawPath(p Path, raw []byte) error {
	if p.Field == 0 {
		return &Error{Kind: ErrBadPath, Offset: -1, Path: p.String(), Detail: "path names a segment, not a field"}
	}
	i, err := m.find(p)
	if err != nil {
		return err
	}
	d := &m.delims
	forbidden := []byte{d.Field, '\r', '\n'}
	if p.Rep > 0 || p.Comp > 0 {
		forbidden = append(forbidden, d.Repetition)
	}
	if p.Comp > 0 {
		forbidden = append(forbidden, d.Component)
	}
	if p.Sub > 0 {
		forbidden = append(forbidden, d.Subcomponent)
	}
	for _, c := range forbidden {
		if c != 0 && bytes.IndexByte(raw, c) >= 0 {
			return &Error{Kind: ErrBadPath, Offset: -1, Path: p.String(), Detail: "raw value contains a separator of this level or above"}
		}
	}
	if p.Rep == 0 && p.Comp == 0 {
		return m.setElem(i, p.Field, raw, p.String())
	}
	old := Segment{m, i}.Field(p.Field)
	r := p.Rep
	if r == 0 {
		r = 1
	}
	nv, ok := composeSet(d, old, r, p.Comp, p.Sub, raw)
	if !ok {
		return &Error{Kind: ErrBadPath, Offset: -1, Path: p.String(), Detail: "the message does not define the delimiter this path needs"}
	}
	return m.setElem(i, p.Field, nv, p.String())
}

// composeSet returns field with repetition r, component c, subcomponent s
// (0 = whole) replaced by val.
func composeSet(d *Delims, field []byte, r, c, s int, val []byte) ([]byte, bool) {
	newRep := val
	if c > 0 {
		rep := Nth(field, d.Repetition, r)
		newComp := val
		if s > 0 {
			var ok bool
			if newComp, ok = AppendReplaceNth(nil, Nth(rep, d.Component, c), d.Subcomponent, s, val); !ok {
				return nil, false
			}
		}
		var ok bool
		if newRep, ok = AppendReplaceNth(nil, rep, d.Component, c, newComp); !ok {
			return nil, false
		}
	}
	return AppendReplaceNth(nil, field, d.Repetition, r, newRep)
}

// Clear empties the element at path (a field, repetition, component or subcomponent).
func (m *Message) Clear(path string) error { return m.SetRaw(path, nil) }

// setElem replaces field n of segment i with raw.
func (m *Message) setElem(i, n int, raw []byte, path string) error {
	seg := &m.segs[i]
	if seg.isMSH() && n <= 2 {
		return &Error{Kind: ErrReadOnly, Offset: -1, Path: path, Segment: i + 1, SegName: "MSH"}
	}
	if n < 1 {
		return &Error{Kind: ErrBadPath, Offset: -1, Path: path, Segment: i + 1, Detail: "field number must be ≥ 1"}
	}
	if bytes.IndexByte(raw, m.delims.Field) >= 0 || bytes.IndexByte(raw, '\r') >= 0 || bytes.IndexByte(raw, '\n') >= 0 {
		return &Error{Kind: ErrBadPath, Offset: -1, Path: path, Segment: i + 1, Detail: "raw field contains the field separator or a line break"}
	}
	k := seg.elem(n)
	idx := m.fieldIdx(i)
	data := seg.data
	var nd []byte
	if k <= len(idx) {
		start, end, _ := m.fieldBounds(i, k)
		if bytes.Equal(data[start:end], raw) {
			return nil
		}
		nd = m.alloc(len(data) - (end - start) + len(raw))
		nd = append(nd, data[:start]...)
		nd = append(nd, raw...)
		nd = append(nd, data[end:]...)
	} else {
		if len(raw) == 0 {
			return nil
		}
		pad := k - len(idx)
		nd = m.alloc(len(data) + pad + len(raw))
		nd = append(nd, data...)
		for ; pad > 0; pad-- {
			nd = append(nd, m.delims.Field)
		}
		nd = append(nd, raw...)
	}
	seg.data = nd
	seg.edited = true
	seg.dropIdx()
	m.modified = true
	return nil
}

// DeleteSegment removes the segment a path names (e.g. "NTE[2]").
func (m *Message) DeleteSegment(path string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	if p.Field != 0 {
		return &Error{Kind: ErrBadPath, Offset: -1, Path: p.String(), Detail: "path names a field, not a segment"}
	}
	i, err := m.find(p)
	if err != nil {
		return err
	}
	return m.DeleteSegmentAt(i)
}

// DeleteSegmentAt removes the i-th (0-based) segment. The MSH segment cannot be deleted.
func (m *Message) DeleteSegmentAt(i int) error {
	if i < 0 || i >= len(m.segs) {
		return &Error{Kind: ErrNoSegment, Offset: -1, Segment: i + 1}
	}
	if i == 0 {
		return &Error{Kind: ErrReadOnly, Offset: -1, Segment: 1, SegName: "MSH", Detail: "the MSH segment cannot be deleted"}
	}
	last := i == len(m.segs)-1
	term := m.segs[i].term
	m.segs = append(m.segs[:i], m.segs[i+1:]...)
	if last && len(m.segs) > 0 {
		// the new last segment takes the removed one's terminator (which may be none)
		m.segs[len(m.segs)-1].term = term
	}
	m.modified = true
	return nil
}

// DeleteSegments removes every segment for which keep returns false, in one pass.
func (m *Message) DeleteSegments(drop func(s Segment) bool) {
	out := m.segs[:1]
	lastTerm := m.segs[len(m.segs)-1].term
	removed := false
	for i := 1; i < len(m.segs); i++ {
		if drop(Segment{m, i}) {
			removed = true
			continue
		}
		out = append(out, m.segs[i])
	}
	if !removed {
		return
	}
	// keep views consistent: rebuild idx lazily
	for i := range out {
		out[i].dropIdx()
	}
	m.idx = m.idx[:0]
	out[len(out)-1].term = lastTerm
	m.segs = out
	m.modified = true
}

// AppendSegment adds a segment built from raw ER7 bytes (e.g. "ZSH|1|x") at
// the end of the message, terminated like the message's first segment.
func (m *Message) AppendSegment(raw []byte) error {
	if len(raw) < 3 || !validSegName(raw[:3]) || (len(raw) > 3 && raw[3] != m.delims.Field) {
		return &Error{Kind: ErrBadSegmentName, Offset: -1, Segment: len(m.segs) + 1}
	}
	if bytes.IndexByte(raw, '\r') >= 0 || bytes.IndexByte(raw, '\n') >= 0 {
		return &Error{Kind: ErrBadPath, Offset: -1, Segment: len(m.segs) + 1, Detail: "segment contains a line break"}
	}
	term := m.segs[0].term
	if term == termNone {
		term = termCR
	}
	lastIdx := len(m.segs) - 1
	lastTerm := m.segs[lastIdx].term
	if lastTerm == termNone {
		m.segs[lastIdx].term = term
		lastTerm = termNone
	}
	m.segs = append(m.segs, segment{data: append([]byte(nil), raw...), off: -1, term: lastTerm, edited: true,
		msh: string(raw[:3]) == "MSH"})
	m.modified = true
	return nil
}

// Type returns MSH-9 components 1 and 2 (message type and trigger event), e.g. "ADT", "A01".
func (m *Message) Type() (msgType, event string) {
	f := Segment{m, 0}.Field(9)
	r := Nth(f, m.delims.Repetition, 1)
	return m.Unescape(Nth(r, m.delims.Component, 1)), m.Unescape(Nth(r, m.delims.Component, 2))
}

// ControlID returns MSH-10, the message control id.
func (m *Message) ControlID() string { return m.Unescape(Segment{m, 0}.Field(10)) }

// Version returns MSH-12.1, the HL7 version id.
func (m *Message) Version() string {
	f := Segment{m, 0}.Field(12)
	return m.Unescape(Nth(Nth(f, m.delims.Repetition, 1), m.delims.Component, 1))
}

// Replace sets the whole segment to raw ER7 bytes (without terminator). The
// segment name must stay the same and raw must not contain a line break; for
// MSH, MSH-1 and MSH-2 must be unchanged. It is the cheap way to rewrite many
// fields of one segment at once.
func (s Segment) Replace(raw []byte) error {
	m := s.m
	seg := &m.segs[s.i]
	if len(raw) < 3 || string(raw[:3]) != string(seg.data[:3]) || (len(raw) > 3 && raw[3] != m.delims.Field) {
		return &Error{Kind: ErrBadSegmentName, Offset: -1, Segment: s.i + 1, Detail: "replacement must keep the segment name"}
	}
	if bytes.IndexByte(raw, '\r') >= 0 || bytes.IndexByte(raw, '\n') >= 0 {
		return &Error{Kind: ErrBadPath, Offset: -1, Segment: s.i + 1, Detail: "replacement contains a line break"}
	}
	if seg.msh {
		_, hl, err := parseDelims(raw)
		_, ol, _ := parseDelims(seg.data)
		if err != nil || hl != ol || !bytes.Equal(raw[:hl], seg.data[:ol]) {
			return &Error{Kind: ErrReadOnly, Offset: -1, Segment: 1, SegName: "MSH"}
		}
	}
	if bytes.Equal(raw, seg.data) {
		return nil
	}
	nd := append(m.alloc(len(raw)), raw...)
	seg.data = nd
	seg.edited = true
	seg.dropIdx()
	m.modified = true
	return nil
}
