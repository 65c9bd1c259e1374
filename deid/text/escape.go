package text

import "bytes"

// HL7v2 formatting escapes (\H\ highlight on, \N\ normal text, \.br\ line
// break, \.sp\ skip lines, \.in\ indent, ...) stay in the text the HL7 layer
// hands to the scrubber. A name written "Sm\H\ith" or "\H\Ann\N\ Smith"
// must be detected as if the escapes were not there: detection runs on a
// view of the text with highlight escapes removed and the other formatting
// escapes turned into a space, and the spans found are mapped back to the
// original bytes (an escape inside a span is replaced with it).

// hasFormatEscape reports whether text may hold an HL7 formatting escape.
func hasFormatEscape(text []byte) bool {
	i := bytes.IndexByte(text, '\\')
	for i >= 0 {
		if n, _ := formatEscapeAt(text, i); n > 0 {
			return true
		}
		j := bytes.IndexByte(text[i+1:], '\\')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// formatEscapeAt returns the length of the formatting escape at text[i]
// ('\\'), 0 if none, and whether it separates words (all but \H\ and \N\).
func formatEscapeAt(text []byte, i int) (int, bool) {
	r := text[i+1:]
	if len(r) >= 2 && (r[0] == 'H' || r[0] == 'N') && r[1] == '\\' {
		return 3, false
	}
	if len(r) >= 4 && r[0] == '.' {
		end := bytes.IndexByte(r[:min(len(r), 10)], '\\')
		if end < 3 {
			return 0, false
		}
		switch string(r[1:3]) {
		case "br", "sp", "in", "ti", "sk", "ce", "fi", "nf":
			for _, c := range r[3:end] {
				if !(c == '+' || c == '-' || (c >= '0' && c <= '9')) {
					return 0, false
				}
			}
			return end + 2, true
		}
	}
	return 0, false
}

type escView struct {
	buf []byte
	pos []int32
}

// spansEscaped detects spans on text with its formatting escapes made
// transparent and maps them back onto text.
func (s *Scrubber) spansEscaped(text []byte, known *Known, dst []Span) []Span {
	v := escView{buf: make([]byte, 0, len(text)), pos: make([]int32, 0, len(text)+1)}
	for i := 0; i < len(text); {
		if text[i] == '\\' {
			if n, sep := formatEscapeAt(text, i); n > 0 {
				if sep {
					v.buf = append(v.buf, ' ')
					v.pos = append(v.pos, int32(i))
				}
				i += n
				continue
			}
		}
		v.buf = append(v.buf, text[i])
		v.pos = append(v.pos, int32(i))
		i++
	}
	first := len(dst)
	dst = s.spans(v.buf, known, dst)
	for k := first; k < len(dst); k++ {
		sp := &dst[k]
		sp.Start = int(v.pos[sp.Start])
		sp.End = int(v.pos[sp.End-1]) + 1
	}
	return dst
}
