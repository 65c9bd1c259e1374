package hl7

// Escaping follows HL7 v2 section 2.7: \F\ \S\ \T\ \R\ \E\ (and the v2.7 \P\
// for the truncation character) stand for the delimiters, \Xhhhh\ for raw
// bytes, and \.br\ for a line break. Other formatting and character-set
// sequences (\H\ \N\ \.sp\ \Zxx\ \Cxxyy\ \Mxxyyzz\ ...) are preserved verbatim
// when decoding, and passed through verbatim when encoding, so a decoded value
// written back keeps them.

// AppendUnescaped appends the decoded form of raw (one field, component or
// subcomponent value) to dst. Line breaks (\.br\) become '\n'.
func (d *Delims) AppendUnescaped(dst, raw []byte) []byte {
	e := d.Escape
	if e == 0 {
		return append(dst, raw...)
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != e {
			// copy a run without escape characters
			j := i + 1
			for j < len(raw) && raw[j] != e {
				j++
			}
			dst = append(dst, raw[i:j]...)
			i = j
			continue
		}
		// find the closing escape character
		end := -1
		for j := i + 1; j < len(raw); j++ {
			if raw[j] == e {
				end = j
				break
			}
		}
		if end < 0 { // lone escape character: keep it
			dst = append(dst, raw[i:]...)
			break
		}
		seq := raw[i+1 : end]
		if r, ok := d.decodeSeq(seq); ok {
			dst = append(dst, r...)
		} else if len(seq) >= 1 && seq[0] == 'X' && hexBytesOK(seq[1:]) {
			for k := 1; k+1 < len(seq); k += 2 {
				dst = append(dst, unhex(seq[k])<<4|unhex(seq[k+1]))
			}
		} else if len(seq) == 3 && seq[0] == '.' && seq[1] == 'b' && seq[2] == 'r' {
			dst = append(dst, '\n')
		} else {
			// unknown or formatting sequence: preserve verbatim
			dst = append(dst, raw[i:end+1]...)
		}
		i = end + 1
	}
	return dst
}

// decodeSeq handles the single-letter delimiter escapes.
func (d *Delims) decodeSeq(seq []byte) ([]byte, bool) {
	if len(seq) != 1 {
		return nil, false
	}
	var c byte
	switch seq[0] {
	case 'F':
		c = d.Field
	case 'S':
		c = d.Component
	case 'T':
		c = d.Subcomponent
	case 'R':
		c = d.Repetition
	case 'E':
		c = d.Escape
	case 'P':
		c = d.Truncation
	}
	if c == 0 {
		return nil, false
	}
	return []byte{c}, true
}

// needsUnescape reports whether raw contains the escape character.
func (d *Delims) needsUnescape(raw []byte) bool {
	if d.Escape == 0 {
		return false
	}
	for _, c := range raw {
		if c == d.Escape {
			return true
		}
	}
	return false
}

// AppendEscaped appends the ER7 encoding of the plain value s to dst: delimiters
// become escape sequences, '\n' becomes \.br\ and '\r' becomes \X0D\ (a CRLF
// pair becomes one \.br\). Formatting sequences already in s (such as \H\ or
// \.sp\) pass through unchanged. It returns false when s contains a delimiter
// but the message has no escape character to encode it with.
func (d *Delims) AppendEscaped(dst []byte, s string) ([]byte, bool) {
	e := d.Escape
	for i := 0; i < len(s); i++ {
		c := s[i]
		var code byte
		switch {
		case c == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
				code = 'b' // \.br\
			} else {
				code = 'x' // \X0D\
			}
		case c == '\n':
			code = 'b'
		case c == 0:
			code = 0
		case c == e:
			if n := formattingSeqLen(s[i:], e); n > 0 {
				dst = append(dst, s[i:i+n]...)
				i += n - 1
				continue
			}
			code = 'E'
		case c == d.Field:
			code = 'F'
		case c == d.Component:
			code = 'S'
		case c == d.Subcomponent:
			code = 'T'
		case c == d.Repetition:
			code = 'R'
		case c == d.Truncation:
			code = 'P'
		}
		if code == 0 {
			dst = append(dst, c)
			continue
		}
		if e == 0 {
			if code == 'b' || code == 'x' {
				dst = append(dst, ' ')
				continue
			}
			return dst, false
		}
		switch code {
		case 'b':
			dst = append(dst, e, '.', 'b', 'r', e)
		case 'x':
			dst = append(dst, e, 'X', '0', 'D', e)
		default:
			dst = append(dst, e, code, e)
		}
	}
	return dst, true
}

// formattingSeqLen returns the length of a formatting or character-set escape
// sequence at the start of s (which begins with the escape character e), or 0.
// Delimiter escapes (\F\ \S\ ...) and \X..\ are not formatting sequences: a
// decoded value never contains them by accident, so they are re-escaped.
func formattingSeqLen(s string, e byte) int {
	end := -1
	for j := 1; j < len(s) && j <= 16; j++ {
		if s[j] == e {
			end = j
			break
		}
	}
	if end < 2 {
		return 0
	}
	seq := s[1:end]
	ok := false
	switch {
	case seq == "H" || seq == "N":
		ok = true
	case seq[0] == '.':
		ok = len(seq) >= 3 && isLower(seq[1]) && isLower(seq[2]) && seq != ".br"
		for k := 3; ok && k < len(seq); k++ {
			ok = seq[k] == '-' || seq[k] == '+' || seq[k] >= '0' && seq[k] <= '9'
		}
	case seq[0] == 'Z':
		ok = len(seq) > 1 && alnumString(seq[1:])
	case seq[0] == 'C' && len(seq) == 5, seq[0] == 'M' && (len(seq) == 5 || len(seq) == 7):
		ok = hexBytesOK([]byte(seq[1:]))
	}
	if !ok {
		return 0
	}
	return end + 1
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

func alnumString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

func hexBytesOK(h []byte) bool {
	if len(h) == 0 || len(h)%2 != 0 {
		return false
	}
	for _, c := range h {
		if unhex(c) == 0xff {
			return false
		}
	}
	return true
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}
