package deid

// This file: HL7v2 known values: the identifier values of a message remembered for its
// free text, and the sweep of kept fields for them.

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strings"
	"unsafe"

	"github.com/safeharbor/safeharbor/deid/text"
)

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

// sweepKept treats a kept field, given what scanKept found in it (see
// keepAppend).
func (w *hl7Work) sweepKept(raw []byte, sw sweep) []byte {
	w.buf2 = trimTrailing(w.keepAppend(w.buf2[:0], raw, sw), w.d.Repetition)
	return w.buf2
}

// sweep is what scanKept found in a kept value: parts that may repeat a
// remembered identifier, parts that may be timestamps, parts that read as
// text.
type sweep uint8

const (
	swKnown sweep = 1 << iota
	swDate
	swText
)

// keepAppend appends the kept value raw to dst, part by part (the text
// between separators, which stay): a part that repeats an identifier of this
// message is removed (a patient named in a provider field, an MRN in a field
// the standard does not define); a part that is a timestamp, well-formed or
// not, becomes its year (or is shifted); a part that reads as text goes
// through the free-text scrubber; codes stay as they are. sw says which of
// these scanKept found possible (keepAppend(dst, raw, scanKept(raw))).
func (w *hl7Work) keepAppend(dst, raw []byte, sw sweep) []byte {
	if sw == 0 {
		return append(dst, raw...)
	}
	for start := 0; ; {
		end := w.partEnd(raw, start)
		v := raw[start:end]
		switch {
		case len(v) < 3:
			dst = append(dst, v...)
		case sw&swKnown != 0 && w.knownPart(v):
			w.rep.Add(text.OtherID, Removed, 1)
		case sw&swDate != 0 && timestampLike(v):
			dst = w.appendKeptDate(dst, v)
		case sw&swText != 0 && w.textLike(v):
			dst = w.scrubKeptPart(dst, v)
		default:
			dst = append(dst, v...)
		}
		if end == len(raw) {
			break
		}
		dst = append(dst, raw[end])
		start = end + 1
	}
	return dst
}

// scrubMemo is one kept part the scrubber left unchanged in the current
// message: code display texts (OBX-3, OBR-4) recur in a message.
type scrubMemo struct {
	in      string // backed by the per-message store
	pending int    // len(hl7Work.pending) when scrubbed: valid while no value is added
}

// maxScrubMemo bounds the scrubbed parts remembered per message (a linear search).
const maxScrubMemo = 32

// scrubKeptPart is scrubPart for a part of a kept value, skipping the
// scrubber for a part it left unchanged before in the message when no
// identifier value has been remembered since (it would leave it unchanged
// again, and count nothing).
func (w *hl7Work) scrubKeptPart(dst, v []byte) []byte {
	for i := range w.scrubbed {
		if m := &w.scrubbed[i]; m.pending == len(w.pending) && m.in == unsafeString(v) {
			return append(dst, v...)
		}
	}
	start := len(dst)
	dst = w.scrubPart(dst, v)
	if len(w.scrubbed) < maxScrubMemo && string(dst[start:]) == unsafeString(v) {
		w.scrubbed = append(w.scrubbed, scrubMemo{w.intern(unsafeString(v)), len(w.pending)})
	}
	return dst
}

// textLike reports whether a part of a kept value reads as text that the
// scrubber may change: it has a space or punctuation of prose, addresses or
// e-mails (clsText), an escape sequence, or the digits of an identifier, a
// phone number or a date (seven in all, or six in a row). Single code-like
// tokens ("I10", "2345-7", "57698-3", "125-200", "mg/dL", "Glucose") are left
// as they are, as the scrubber would leave them.
func (w *hl7Work) textLike(v []byte) bool {
	nd, run := 0, 0
	for _, c := range v {
		switch w.class[c] {
		case clsText, clsSpecial:
			return true
		case clsDigit:
			nd++
			if run++; nd >= 7 || run >= 6 {
				return true
			}
			continue
		}
		run = 0
	}
	return false
}

// scanKept looks through a kept value once and says what keepAppend may
// have to do: whether a part (the text between separators) may equal a
// remembered identifier (its trimmed length is one of theirs and its hash
// matches), whether a part starts like a timestamp (8 digits or
// YYYY-MM-DD), and whether a part reads as text (textLike).
func (w *hl7Work) scanKept(raw []byte) (sw sweep) {
	cls := &w.class
	start := 0
	for i := 0; ; i++ {
		var seen uint8 // classes met in the part: clsSpecial when it has an escape
		for i < len(raw) && cls[raw[i]] < clsSep {
			seen |= cls[raw[i]]
			i++
		}
		if n := i - start; n >= 3 {
			if n >= 8 && (eightDigits(raw[start:]) || isoDate(raw[start:i])) {
				sw |= swDate
			}
			if seen&(clsText|clsSpecial) != 0 || seen&clsDigit != 0 && n >= 6 && w.textLike(raw[start:i]) {
				sw |= swText
			}
			if sw&swKnown == 0 && w.lenMask != 0 && w.knownRaw(raw[start:i], seen&clsSpecial != 0) {
				sw |= swKnown
			}
		}
		if i == len(raw) {
			return sw
		}
		start = i + 1
	}
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

// byte classes for scanKept, as bits (a part's classes are or-ed)
const (
	clsOther   = 0
	clsDigit   = 1
	clsSpecial = 2  // other bytes AppendEscaped encodes: escape, truncation, CR, LF, NUL
	clsText    = 4  // bytes of prose, addresses and e-mails: space, tab, '@', ',', ';', ':'
	clsSep     = 8  // repetition, component or subcomponent separator
	clsField   = 16 // field separator
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
	for _, c := range []byte(" \t@,;:") {
		w.class[c] = clsText
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

// knownValue is an identifier value of the message waiting to enter the
// free-text set.
type knownValue struct {
	cat text.Category
	v   string
}
