package hl7

// Delims are a message's delimiters, taken from MSH-1 and MSH-2. A zero byte
// means the character is not used by the message (MSH-2 may be shorter than
// four characters). Truncation is the v2.7 fifth encoding character.
type Delims struct {
	Field        byte
	Component    byte
	Repetition   byte
	Escape       byte
	Subcomponent byte
	Truncation   byte
}

// DefaultDelims are the usual |^~\& delimiters.
var DefaultDelims = Delims{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}

// EncodingChars returns the MSH-2 text for these delimiters.
func (d Delims) EncodingChars() string {
	b := make([]byte, 0, 5)
	for _, c := range []byte{d.Component, d.Repetition, d.Escape, d.Subcomponent, d.Truncation} {
		if c == 0 {
			break
		}
		b = append(b, c)
	}
	return string(b)
}

// isSpecial reports whether c is one of the delimiters (field, component,
// repetition, escape, subcomponent, truncation).
func (d *Delims) isSpecial(c byte) bool {
	if c == 0 {
		return false
	}
	return c == d.Field || c == d.Component || c == d.Repetition || c == d.Escape || c == d.Subcomponent || c == d.Truncation
}

// parseDelims reads MSH-1 and MSH-2 from a segment that starts with "MSH".
// It returns the delimiters and the length of the header "MSH|^~\&" (up to,
// not including, the field separator that ends MSH-2).
func parseDelims(seg []byte) (Delims, int, error) {
	var d Delims
	if len(seg) < 4 {
		return d, 0, errAt(ErrTruncated, len(seg), "MSH-1 field separator missing")
	}
	d.Field = seg[3]
	if !validDelimChar(d.Field) {
		return d, 0, errAt(ErrBadDelimiters, 3, "field separator must be a printable, non-alphanumeric character")
	}
	end := 4
	for end < len(seg) && seg[end] != d.Field {
		end++
	}
	if end == len(seg) {
		return d, 0, errAt(ErrTruncated, len(seg), "MSH-2 is not followed by a field separator")
	}
	enc := seg[4:end]
	if len(enc) == 0 {
		return d, 0, errAt(ErrTruncated, 4, "MSH-2 encoding characters are empty")
	}
	if len(enc) > 5 {
		return d, 0, errAt(ErrBadDelimiters, 4, "MSH-2 has more than five encoding characters")
	}
	if len(enc) >= 4 && enc[2] == '\\' && enc[3] == '\\' {
		// "^~\\&": a doubled backslash, the common mistake of senders that
		// escape the string twice. The intent is unambiguous; MSH-2 itself is
		// kept as received.
		enc = append(append(make([]byte, 0, len(enc)-1), enc[:3]...), enc[4:]...)
	}
	chars := []*byte{&d.Component, &d.Repetition, &d.Escape, &d.Subcomponent, &d.Truncation}
	for i, c := range enc {
		if !validDelimChar(c) {
			return d, 0, errAt(ErrBadDelimiters, 4+i, "encoding character must be a printable, non-alphanumeric character")
		}
		if c == d.Field {
			return d, 0, errAt(ErrBadDelimiters, 4+i, "encoding character repeats the field separator")
		}
		for j := 0; j < i; j++ {
			if enc[j] == c {
				return d, 0, errAt(ErrBadDelimiters, 4+i, "encoding characters must be distinct")
			}
		}
		*chars[i] = c
	}
	return d, end, nil
}

func validDelimChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')
}

func validSegName(n []byte) bool {
	if len(n) != 3 {
		return false
	}
	for _, c := range n {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
