package hl7

import "strconv"

// Path addresses part of a message: "PID-5", "PID-5.1", "PID-3[2].1" (second
// repetition), "OBX[3]-5" (third OBX segment), "PID-3.4.1" (subcomponent), or
// just "OBX[2]" (a segment). Indexes are 1-based; zero means "not given".
type Path struct {
	Segment    string // three-character segment name
	Occurrence int    // which segment with that name; 0 means the first
	Field      int    // field number (HL7 numbering: MSH-1 is the field separator); 0 for the whole segment
	Rep        int    // repetition; 0 means not given
	Comp       int    // component; 0 for the whole repetition
	Sub        int    // subcomponent; 0 for the whole component
}

const maxPathIndex = 100000

// ParsePath parses a path. Errors name the path text (which is structure, not data).
func ParsePath(s string) (Path, error) {
	var p Path
	bad := func(detail string) (Path, error) {
		return Path{}, &Error{Kind: ErrBadPath, Offset: -1, Path: truncatePath(s), Detail: detail}
	}
	if len(s) < 3 || !validSegName([]byte(s[:3])) {
		return bad("must start with a three-character segment name")
	}
	p.Segment = s[:3]
	i := 3
	num := func() (int, bool) {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i || j-i > 6 {
			return 0, false
		}
		n, _ := strconv.Atoi(s[i:j])
		i = j
		return n, n >= 1 && n <= maxPathIndex
	}
	bracket := func() (int, bool) {
		if i >= len(s) || s[i] != '[' {
			return 0, true
		}
		i++
		n, ok := num()
		if !ok || i >= len(s) || s[i] != ']' {
			return 0, false
		}
		i++
		return n, true
	}
	var ok bool
	if p.Occurrence, ok = bracket(); !ok {
		return bad("segment occurrence must be [n] with n ≥ 1")
	}
	if i == len(s) {
		return p, nil
	}
	if s[i] != '-' {
		return bad("expected '-' and a field number after the segment")
	}
	i++
	if p.Field, ok = num(); !ok {
		return bad("field number must be ≥ 1")
	}
	if p.Rep, ok = bracket(); !ok {
		return bad("repetition must be [n] with n ≥ 1")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if p.Comp, ok = num(); !ok {
			return bad("component number must be ≥ 1")
		}
		if i < len(s) && s[i] == '.' {
			i++
			if p.Sub, ok = num(); !ok {
				return bad("subcomponent number must be ≥ 1")
			}
		}
	}
	if i != len(s) {
		return bad("unexpected text after the path")
	}
	return p, nil
}

// MustParsePath is ParsePath for constant paths in programs; it panics on a bad path.
func MustParsePath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

func truncatePath(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// String formats the path in the syntax ParsePath reads.
func (p Path) String() string {
	b := make([]byte, 0, 20)
	b = append(b, p.Segment...)
	if p.Occurrence > 0 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(p.Occurrence), 10)
		b = append(b, ']')
	}
	if p.Field > 0 {
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(p.Field), 10)
		if p.Rep > 0 {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(p.Rep), 10)
			b = append(b, ']')
		}
		if p.Comp > 0 {
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(p.Comp), 10)
			if p.Sub > 0 {
				b = append(b, '.')
				b = strconv.AppendInt(b, int64(p.Sub), 10)
			}
		}
	}
	return string(b)
}

// Nth returns the n-th (1-based) element of raw split by sep, or nil if there
// are fewer elements. A zero sep means the value is not split: only n == 1 exists.
func Nth(raw []byte, sep byte, n int) []byte {
	if sep == 0 {
		if n == 1 {
			return raw
		}
		return nil
	}
	start := 0
	for k := 1; ; k++ {
		end := indexByteFrom(raw, sep, start)
		if k == n {
			if end < 0 {
				return raw[start:]
			}
			return raw[start:end]
		}
		if end < 0 {
			return nil
		}
		start = end + 1
	}
}

// Count returns how many elements raw has when split by sep (0 for an empty value).
func Count(raw []byte, sep byte) int {
	if len(raw) == 0 {
		return 0
	}
	if sep == 0 {
		return 1
	}
	n := 1
	for _, c := range raw {
		if c == sep {
			n++
		}
	}
	return n
}

func indexByteFrom(b []byte, c byte, from int) int {
	for i := from; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// AppendReplaceNth appends raw to dst with its n-th element (split by sep)
// replaced by val, adding separators when raw has fewer elements. When val is
// empty, trailing empty elements are dropped. It returns false when sep is
// zero and n > 1 (the message does not define that delimiter).
func AppendReplaceNth(dst, raw []byte, sep byte, n int, val []byte) ([]byte, bool) {
	if sep == 0 {
		if n != 1 {
			return dst, false
		}
		return append(dst, val...), true
	}
	base := len(dst)
	start := 0
	k := 1
	for ; k < n; k++ {
		end := indexByteFrom(raw, sep, start)
		if end < 0 {
			start = -1
			break
		}
		start = end + 1
	}
	if start < 0 { // fewer elements than n
		if len(val) == 0 {
			return append(dst, raw...), true
		}
		dst = append(dst, raw...)
		for ; k < n; k++ {
			dst = append(dst, sep)
		}
		return append(dst, val...), true
	}
	dst = append(dst, raw[:start]...)
	dst = append(dst, val...)
	if end := indexByteFrom(raw, sep, start); end >= 0 {
		dst = append(dst, raw[end:]...)
	}
	if len(val) == 0 {
		for len(dst) > base && dst[len(dst)-1] == sep {
			dst = dst[:len(dst)-1]
		}
	}
	return dst, true
}

// Split calls fn for each element of raw split by sep, in one pass (a zero
// sep yields raw as the only element). An empty raw yields one empty element.
func Split(raw []byte, sep byte, fn func(i int, part []byte)) {
	if sep == 0 {
		fn(0, raw)
		return
	}
	i, start := 0, 0
	for {
		end := indexByteFrom(raw, sep, start)
		if end < 0 {
			fn(i, raw[start:])
			return
		}
		fn(i, raw[start:end])
		start = end + 1
		i++
	}
}
