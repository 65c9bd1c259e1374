package fhir

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of objects and arrays Parse accepts.
const MaxDepth = 256

// SyntaxError reports malformed JSON. It holds only a position: the byte
// offset in the input and the JSON path of the enclosing element (such as
// entry[3].resource.name[0]); it never quotes input content. Path segments
// whose key is not a plain element name (letters, digits, '_', at most 64
// bytes) are shown as "?".
type SyntaxError struct {
	Offset int    // byte offset of the error in the input
	Path   string // JSON path of the element being parsed; "" at the top level
	Msg    string // what is wrong, without input content
}

// Error implements error.
func (e *SyntaxError) Error() string {
	p := e.Path
	if p == "" {
		p = "(root)"
	}
	return "fhir: invalid JSON at offset " + strconv.Itoa(e.Offset) + " (path " + p + "): " + e.Msg
}

type pathSeg struct {
	key string
	idx int // -1 for an object member
}

// renderPath renders segments as a.b[2].c, hiding keys that are not plain names.
func renderPath(segs []pathSeg) string {
	var b strings.Builder
	for _, s := range segs {
		if s.idx >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if plainKey(s.key) {
			b.WriteString(s.key)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

func plainKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// plainByte marks ASCII bytes that may appear unescaped in a JSON string.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

type parser struct {
	s      string
	vals   []Value   // slab of values
	mslab  []Member  // slab of object members
	pslab  []*Value  // slab of array element pointers
	mstack []Member  // scratch: members of open objects
	pstack []*Value  // scratch: elements of open arrays
	path   []pathSeg // path of the value being parsed
	err    *SyntaxError
}

// Parse parses one JSON value (a FHIR resource, typically) into a tree.
// The input is copied once; the tree does not reference data afterwards.
// A leading UTF-8 byte order mark and surrounding whitespace are allowed;
// anything else after the value is an error. Strings must be valid UTF-8
// (FHIR JSON is UTF-8; invalid bytes could not be re-emitted as valid
// JSON), objects must not repeat a key (FHIR forbids it, and a duplicate
// could hide data from de-identification), and nesting deeper than
// MaxDepth is rejected. All errors are *SyntaxError.
func Parse(data []byte) (*Value, error) {
	p := parser{s: string(data)}
	// Size the slabs from an upper bound (colons and commas inside strings
	// overcount), so a typical resource needs one allocation of each.
	colons := bytes.Count(data, []byte{':'})
	commas := bytes.Count(data, []byte{','}) + bytes.Count(data, []byte{'['})
	p.vals = make([]Value, 0, colons+commas+1)
	p.mslab = make([]Member, 0, colons)
	p.pslab = make([]*Value, 0, commas)
	p.mstack = make([]Member, 0, 64)
	p.pstack = make([]*Value, 0, 64)
	p.path = make([]pathSeg, 0, 32)
	i := 0
	if strings.HasPrefix(p.s, "\xef\xbb\xbf") {
		i = 3
	}
	i = p.ws(i)
	if i >= len(p.s) {
		return nil, p.fail(i, "empty input")
	}
	root := p.newValue()
	i = p.value(i, root, 0)
	if p.err != nil {
		return nil, p.err
	}
	i = p.ws(i)
	if i != len(p.s) {
		return nil, p.fail(i, "unexpected data after the top-level value")
	}
	return root, nil
}

func (p *parser) fail(off int, msg string) *SyntaxError {
	if p.err == nil {
		p.err = &SyntaxError{Offset: off, Path: renderPath(p.path), Msg: msg}
	}
	return p.err
}

func (p *parser) newValue() *Value {
	if len(p.vals) == cap(p.vals) {
		n := cap(p.vals) * 2
		if n < 64 {
			n = 64
		}
		p.vals = make([]Value, 0, n)
	}
	p.vals = p.vals[:len(p.vals)+1]
	return &p.vals[len(p.vals)-1]
}

func (p *parser) ws(i int) int {
	for i < len(p.s) {
		switch p.s[i] {
		case ' ', '\n', '\r', '\t':
			i++
		default:
			return i
		}
	}
	return i
}

// value parses the value at i (not whitespace) into v and returns the index after it.
func (p *parser) value(i int, v *Value, depth int) int {
	if i >= len(p.s) {
		p.fail(i, "unexpected end of input, expected a value")
		return i
	}
	switch c := p.s[i]; c {
	case '{':
		return p.object(i, v, depth+1)
	case '[':
		return p.array(i, v, depth+1)
	case '"':
		start := i + 1
		end, esc := p.str(start)
		if p.err != nil {
			return end
		}
		v.kind = String
		v.raw = p.s[start:end]
		if esc {
			v.flags = flagEsc
		}
		return end + 1
	case 't':
		return p.literal(i, v, "true", Bool)
	case 'f':
		return p.literal(i, v, "false", Bool)
	case 'n':
		return p.literal(i, v, "null", Null)
	default:
		if c == '-' || c >= '0' && c <= '9' {
			end, ok := scanNumber(p.s, i)
			if !ok {
				p.fail(end, "invalid number")
				return end
			}
			v.kind = Number
			v.raw = p.s[i:end]
			return end
		}
		p.fail(i, "invalid character, expected a value")
		return i
	}
}

func (p *parser) literal(i int, v *Value, lit string, k Kind) int {
	if !strings.HasPrefix(p.s[i:], lit) {
		p.fail(i, "invalid literal, expected "+lit)
		return i
	}
	v.kind = k
	if k == Bool {
		v.raw = lit
	}
	return i + len(lit)
}

// str scans a string body starting at i (after the opening quote) and
// returns the index of the closing quote and whether it holds escapes.
func (p *parser) str(i int) (int, bool) {
	s := p.s
	esc := false
	for i < len(s) {
		// Fast path: runs of plain ASCII.
		for i < len(s) && plainByte[s[i]] {
			i++
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c == '"' {
			return i, esc
		}
		if c == '\\' {
			esc = true
			if i+1 >= len(s) {
				break
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) {
					p.fail(i, "truncated \\u escape")
					return len(s), esc
				}
				for k := i + 2; k < i+6; k++ {
					if hexVal(s[k]) == 0xff {
						p.fail(i, "invalid \\u escape")
						return i, esc
					}
				}
				i += 6
			default:
				p.fail(i, "invalid escape sequence")
				return i, esc
			}
			continue
		}
		if c < 0x20 {
			p.fail(i, "control character in string")
			return i, esc
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			p.fail(i, "invalid UTF-8 in string")
			return i, esc
		}
		i += size
	}
	p.fail(len(s), "unterminated string")
	return len(s), esc
}

func (p *parser) object(i int, v *Value, depth int) int {
	if depth > MaxDepth {
		p.fail(i, "nesting too deep")
		return i
	}
	v.kind = Object
	i++ // '{'
	base := len(p.mstack)
	p.path = append(p.path, pathSeg{idx: -1})
	seg := len(p.path) - 1
	var seen map[string]struct{}
	i = p.ws(i)
	if i < len(p.s) && p.s[i] == '}' {
		p.path = p.path[:seg]
		return i + 1
	}
	for {
		if i >= len(p.s) || p.s[i] != '"' {
			p.fail(i, "expected a member name string")
			return i
		}
		kstart := i + 1
		kend, esc := p.str(kstart)
		if p.err != nil {
			return kend
		}
		key := p.s[kstart:kend]
		if esc {
			key = unescape(key)
		}
		p.path[seg].key = key
		if p.duplicate(base, key, &seen) {
			p.fail(i, "duplicate member name")
			return i
		}
		i = p.ws(kend + 1)
		if i >= len(p.s) || p.s[i] != ':' {
			p.fail(i, "expected ':' after member name")
			return i
		}
		i = p.ws(i + 1)
		child := p.newValue()
		i = p.value(i, child, depth)
		if p.err != nil {
			return i
		}
		p.mstack = append(p.mstack, Member{Key: key, Value: child})
		i = p.ws(i)
		if i >= len(p.s) {
			p.fail(i, "unexpected end of input in object")
			return i
		}
		if p.s[i] == ',' {
			i = p.ws(i + 1)
			continue
		}
		if p.s[i] == '}' {
			i++
			break
		}
		p.fail(i, "expected ',' or '}' after object member")
		return i
	}
	n := len(p.mstack) - base
	if len(p.mslab)+n > cap(p.mslab) {
		c := 256
		if n > c {
			c = n
		}
		p.mslab = make([]Member, 0, c)
	}
	off := len(p.mslab)
	p.mslab = append(p.mslab, p.mstack[base:]...)
	v.obj = p.mslab[off : off+n : off+n]
	clear(p.mstack[base:])
	p.mstack = p.mstack[:base]
	p.path = p.path[:seg]
	return i
}

// duplicate reports whether key is already a member of the open object
// whose members start at base. Past 32 members it switches to a map so
// huge objects cost linear, not quadratic, time.
func (p *parser) duplicate(base int, key string, seen *map[string]struct{}) bool {
	if *seen != nil {
		if _, ok := (*seen)[key]; ok {
			return true
		}
		(*seen)[key] = struct{}{}
		return false
	}
	ms := p.mstack[base:]
	for i := range ms {
		if ms[i].Key == key {
			return true
		}
	}
	if len(ms) >= 32 {
		m := make(map[string]struct{}, 2*len(ms))
		for i := range ms {
			m[ms[i].Key] = struct{}{}
		}
		m[key] = struct{}{}
		*seen = m
	}
	return false
}

func (p *parser) array(i int, v *Value, depth int) int {
	if depth > MaxDepth {
		p.fail(i, "nesting too deep")
		return i
	}
	v.kind = Array
	i++ // '['
	base := len(p.pstack)
	p.path = append(p.path, pathSeg{})
	seg := len(p.path) - 1
	i = p.ws(i)
	if i < len(p.s) && p.s[i] == ']' {
		p.path = p.path[:seg]
		return i + 1
	}
	for idx := 0; ; idx++ {
		p.path[seg].idx = idx
		child := p.newValue()
		i = p.value(i, child, depth)
		if p.err != nil {
			return i
		}
		p.pstack = append(p.pstack, child)
		i = p.ws(i)
		if i >= len(p.s) {
			p.fail(i, "unexpected end of input in array")
			return i
		}
		if p.s[i] == ',' {
			i = p.ws(i + 1)
			continue
		}
		if p.s[i] == ']' {
			i++
			break
		}
		p.fail(i, "expected ',' or ']' after array element")
		return i
	}
	n := len(p.pstack) - base
	if len(p.pslab)+n > cap(p.pslab) {
		c := 256
		if n > c {
			c = n
		}
		p.pslab = make([]*Value, 0, c)
	}
	off := len(p.pslab)
	p.pslab = append(p.pslab, p.pstack[base:]...)
	v.arr = p.pslab[off : off+n : off+n]
	clear(p.pstack[base:])
	p.pstack = p.pstack[:base]
	p.path = p.path[:seg]
	return i
}
