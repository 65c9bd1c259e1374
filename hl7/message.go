package hl7

import (
	"bytes"
	"math"

	"github.com/safeharbor/safeharbor/internal/bytescan"
)

// Terminator codes for how a segment ended in the input.
const (
	termNone = iota // last segment without terminator
	termCR
	termLF
	termCRLF
)

var terminators = [...]string{termNone: "", termCR: "\r", termLF: "\n", termCRLF: "\r\n"}

type segment struct {
	data    []byte // segment bytes without terminator; references the input until edited
	off     int    // byte offset of the segment in the original input (-1 for added segments)
	term    uint8  // terminator code
	edited  bool
	msh     bool  // the segment is MSH (its field numbering is off by one)
	idxOff  int32 // start of this segment's separator positions in Message.idx
	idxLen  int32 // number of field separators indexed
	idxScan int32 // where the index scan resumes (0: not started)
	idxDone bool  // every field separator is indexed
}

// Message is a parsed HL7v2 ER7 message. It references the bytes it was parsed
// from (no copy per field); edits copy only the segments they change. An
// unedited message serializes byte-exact. A Message is not safe for concurrent
// use.
type Message struct {
	raw      []byte // the input, including a leading BOM if there was one
	prefix   int    // bytes before MSH (a UTF-8 BOM)
	trailer  []byte // bytes after the last segment terminator (whitespace only)
	delims   Delims
	segs     []segment
	idx      []int32 // field separator positions of all indexed segments
	modified bool
	scratch  []byte
	arena    []byte // edited segments are carved from here (reused across Reset)
}

// alloc returns a zero-length slice with capacity n carved from the
// message's edit arena, so field edits do not allocate per edit.
func (m *Message) alloc(n int) []byte {
	if cap(m.arena)-len(m.arena) < n {
		// a chunk sized to the message: most edits of one message fit in it,
		// and a reused Message keeps it across Reset
		size := max(2*len(m.raw), 1024, 2*cap(m.arena))
		if n > size/2 {
			return make([]byte, 0, n)
		}
		m.arena = make([]byte, 0, min(size, 1<<20)) // older chunks stay alive through their segments
	}
	start := len(m.arena)
	m.arena = m.arena[:start+n]
	return m.arena[start : start : start+n]
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// Parse parses one ER7 message. Segments end with CR; LF and CRLF are
// tolerated, and a leading UTF-8 BOM is skipped. The returned Message
// references data, which must not change while the Message is in use.
func Parse(data []byte) (*Message, error) {
	m := &Message{}
	if err := m.Reset(data); err != nil {
		return nil, err
	}
	return m, nil
}

// Reset parses data into m, reusing m's memory. On error m is left empty.
func (m *Message) Reset(data []byte) error {
	m.raw = data
	m.prefix = 0
	m.trailer = nil
	m.segs = m.segs[:0]
	m.idx = m.idx[:0]
	m.modified = false
	m.arena = m.arena[:0]
	m.delims = Delims{}
	if bytes.HasPrefix(data, bom) {
		m.prefix = len(bom)
	}
	body := data[m.prefix:]
	if len(bytes.TrimSpace(body)) == 0 {
		return errAt(ErrEmpty, 0, "no segments")
	}
	if len(body) < 3 || body[0] != 'M' || body[1] != 'S' || body[2] != 'H' {
		return errAt(ErrNoMSH, m.prefix, "the first segment must be MSH")
	}
	// find the end of the MSH segment to validate the header
	mshEnd := len(body)
	if i := bytes.IndexByte(body, '\r'); i >= 0 {
		mshEnd = i
	}
	if i := bytes.IndexByte(body[:mshEnd], '\n'); i >= 0 {
		mshEnd = i
	}
	d, _, err := parseDelims(body[:mshEnd])
	if err != nil {
		e := err.(*Error)
		e.Offset += m.prefix
		e.Segment, e.SegName = 1, "MSH"
		m.segs = m.segs[:0]
		return e
	}
	m.delims = d

	// split segments: one pass with SIMD searches for CR and LF
	pos := 0
	nextCR := bytes.IndexByte(body, '\r')
	nextLF := bytes.IndexByte(body, '\n')
	for pos < len(body) {
		if nextCR >= 0 && nextCR < pos {
			if nextCR = bytes.IndexByte(body[pos:], '\r'); nextCR >= 0 {
				nextCR += pos
			}
		}
		if nextLF >= 0 && nextLF < pos {
			if nextLF = bytes.IndexByte(body[pos:], '\n'); nextLF >= 0 {
				nextLF += pos
			}
		}
		end, term, tl := len(body), uint8(termNone), 0
		switch {
		case nextCR >= 0 && (nextLF < 0 || nextCR < nextLF):
			end = nextCR
			if nextLF == nextCR+1 {
				term, tl = termCRLF, 2
			} else {
				term, tl = termCR, 1
			}
		case nextLF >= 0:
			end, term, tl = nextLF, termLF, 1
		}
		line := body[pos:end]
		if len(line) == 0 || isBlank(line) {
			// blank lines between segments are tolerated only at the end of a message
			rest := body[pos:]
			if isBlank(rest) {
				m.trailer = rest
				break
			}
			m.segs = m.segs[:0]
			return &Error{Kind: ErrBadSegmentName, Offset: m.prefix + pos, Segment: len(m.segs) + 1, Detail: "blank line inside the message"}
		}
		if len(line) < 3 || !validSegName(line[:3]) || (len(line) > 3 && line[3] != d.Field) {
			n := len(m.segs) + 1
			m.segs = m.segs[:0]
			return &Error{Kind: ErrBadSegmentName, Offset: m.prefix + pos, Segment: n}
		}
		m.segs = append(m.segs, segment{data: line, off: m.prefix + pos, term: term,
			msh: line[0] == 'M' && line[1] == 'S' && line[2] == 'H'})
		pos = end + tl
	}
	return nil
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// Delims returns the message's delimiters.
func (m *Message) Delims() Delims { return m.delims }

// Modified reports whether the message was edited since it was parsed.
func (m *Message) Modified() bool { return m.modified }

// NumSegments returns the number of segments.
func (m *Message) NumSegments() int { return len(m.segs) }

// Bytes serializes the message into a new slice.
func (m *Message) Bytes() []byte { return m.AppendTo(make([]byte, 0, m.size())) }

func (m *Message) size() int {
	if !m.modified {
		return len(m.raw)
	}
	n := m.prefix + len(m.trailer)
	for i := range m.segs {
		n += len(m.segs[i].data) + 2
	}
	return n
}

// AppendTo appends the serialized message to dst. An unedited message is
// appended exactly as it was parsed; an edited one keeps the original
// delimiters, segment terminators, BOM and trailing whitespace.
func (m *Message) AppendTo(dst []byte) []byte {
	if !m.modified {
		return append(dst, m.raw...)
	}
	dst = append(dst, m.raw[:m.prefix]...)
	for i := range m.segs {
		s := &m.segs[i]
		dst = append(dst, s.data...)
		dst = append(dst, terminators[s.term]...)
	}
	return append(dst, m.trailer...)
}

// fieldIdx returns the positions of all the field separators in segment i.
func (m *Message) fieldIdx(i int) []int32 { return m.fieldIdxN(i, math.MaxInt) }

// fieldIdxN returns the positions of at least the first n field separators
// of segment i (all of them when it has fewer). The index is built lazily
// and only as far as asked: reading an early field of a long segment does
// not scan the rest.
func (m *Message) fieldIdxN(i, n int) []int32 {
	s := &m.segs[i]
	if !s.idxDone && int(s.idxLen) < n {
		m.scanIdx(s, n)
	}
	return m.idx[s.idxOff : s.idxOff+s.idxLen]
}

// minIdxScan is the fewest separators a scan of the index looks for: most
// reads are of early fields, and a scan that stops too soon is resumed.
const minIdxScan = 12

// scanIdx extends the field index of s to at least n separators (or all).
func (m *Message) scanIdx(s *segment, n int) {
	data := s.data
	fs := m.delims.Field
	switch {
	case s.idxScan == 0: // not started: the index goes at the end of m.idx
		s.idxOff, s.idxLen = int32(len(m.idx)), 0
		start := 3
		if s.isMSH() {
			// MSH-1 is the separator at index 3; MSH-2 holds the encoding
			// characters, which may include bytes that look like anything.
			// (A bare "MSH" line has no fields at all.)
			if len(data) > 3 {
				m.idx = append(m.idx, 3)
				s.idxLen = 1
			}
			start = len(data)
			if len(data) > 4 {
				if j := bytes.IndexByte(data[4:], fs); j >= 0 {
					start = 4 + j
				}
			}
		}
		s.idxScan = int32(start)
	case int(s.idxOff+s.idxLen) != len(m.idx):
		// another segment was indexed since: move this one's to the end
		off := len(m.idx)
		m.idx = append(m.idx, m.idx[s.idxOff:s.idxOff+s.idxLen]...)
		s.idxOff = int32(off)
	}
	want := max(n, 2*int(s.idxLen), minIdxScan) - int(s.idxLen)
	if want <= 0 {
		return
	}
	m.idx = bytescan.AppendIndexes(m.idx, data, int(s.idxScan), fs, want)
	got := len(m.idx) - int(s.idxOff) - int(s.idxLen)
	s.idxLen += int32(got)
	if got < want {
		s.idxDone = true
		return
	}
	s.idxScan = m.idx[len(m.idx)-1] + 1
}

// dropIdx forgets the field index of s (its bytes changed).
func (s *segment) dropIdx() { s.idxDone, s.idxScan, s.idxLen = false, 0, 0 }

func (s *segment) isMSH() bool { return s.msh }

// elem maps an HL7 field number to the index of the field among the
// separator-delimited elements of the segment (MSH is off by one because
// MSH-1 is the separator itself).
func (s *segment) elem(field int) int {
	if s.isMSH() {
		return field - 1
	}
	return field
}

// fieldBounds returns the byte range of element k (k ≥ 1) in segment i, and
// whether the element exists.
func (m *Message) fieldBounds(i, k int) (int, int, bool) {
	idx := m.fieldIdxN(i, k+1) // the separators before and after element k
	if k < 1 || k > len(idx) {
		return 0, 0, false
	}
	start := int(idx[k-1]) + 1
	end := len(m.segs[i].data)
	if k < len(idx) {
		end = int(idx[k])
	}
	return start, end, true
}
