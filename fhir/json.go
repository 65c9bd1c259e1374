package fhir

import (
	"iter"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON kind of a Value.
type Kind uint8

// The JSON kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Object
	Array
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "bool"
	case Number:
		return "number"
	case String:
		return "string"
	case Object:
		return "object"
	case Array:
		return "array"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

const (
	flagEsc     uint8 = 1 << iota // raw is JSON-escaped text containing backslashes
	flagDecoded                   // raw is decoded text, to be escaped when serialized
)

// Value is one node of a lossless JSON tree. Object members keep their
// order, numbers keep their literal text and parsed strings keep their
// escaped form, so serializing an unmodified tree reproduces the input's
// content (compacted). The zero Value is JSON null. A nil *Value behaves
// as an absent value: accessors return zero results.
//
// Values are not safe for concurrent mutation.
type Value struct {
	kind  Kind
	flags uint8
	raw   string   // String: body (escaped or decoded per flags); Number: literal; Bool: "true"/"false"
	obj   []Member // Object members; a nil Value is a deleted member (tombstone)
	arr   []*Value // Array elements
}

// Member is one object member.
type Member struct {
	Key   string
	Value *Value
}

// Kind returns the value's kind; Null for a nil Value.
func (v *Value) Kind() Kind {
	if v == nil {
		return Null
	}
	return v.kind
}

// Get returns the first live member named key of an object, or nil.
func (v *Value) Get(key string) *Value {
	if v == nil || v.kind != Object {
		return nil
	}
	for i := range v.obj {
		if v.obj[i].Value != nil && v.obj[i].Key == key {
			return v.obj[i].Value
		}
	}
	return nil
}

// Len returns the number of live members of an object or elements of an
// array, and 0 for other kinds.
func (v *Value) Len() int {
	if v == nil {
		return 0
	}
	switch v.kind {
	case Array:
		return len(v.arr)
	case Object:
		n := 0
		for i := range v.obj {
			if v.obj[i].Value != nil {
				n++
			}
		}
		return n
	}
	return 0
}

// Index returns element i of an array, or nil if v is not an array or i is
// out of range.
func (v *Value) Index(i int) *Value {
	if v == nil || v.kind != Array || i < 0 || i >= len(v.arr) {
		return nil
	}
	return v.arr[i]
}

// Range calls fn for each live member of an object in order until fn
// returns false. fn may Delete the current member.
func (v *Value) Range(fn func(key string, v *Value) bool) {
	if v == nil || v.kind != Object {
		return
	}
	for i := 0; i < len(v.obj); i++ {
		m := v.obj[i]
		if m.Value != nil && !fn(m.Key, m.Value) {
			return
		}
	}
}

// Members iterates over the live members of an object in order.
func (v *Value) Members() iter.Seq2[string, *Value] {
	return func(yield func(string, *Value) bool) { v.Range(yield) }
}

// Elems iterates over the elements of an array.
func (v *Value) Elems() iter.Seq2[int, *Value] {
	return func(yield func(int, *Value) bool) {
		if v == nil || v.kind != Array {
			return
		}
		for i := 0; i < len(v.arr); i++ {
			if !yield(i, v.arr[i]) {
				return
			}
		}
	}
}

// Str returns the decoded text of a string value, and "" for other kinds.
// It allocates only when the input string contained escapes.
func (v *Value) Str() string {
	if v == nil || v.kind != String {
		return ""
	}
	if v.flags&flagEsc == 0 {
		return v.raw
	}
	return unescape(v.raw)
}

// Raw returns a number's literal text, a bool's "true"/"false", or a parsed
// string's body as it appeared in the input (still escaped, without quotes).
// For a string set with SetString it returns the decoded text.
func (v *Value) Raw() string {
	if v == nil {
		return ""
	}
	return v.raw
}

// Bool returns the value of a bool, and false for other kinds.
func (v *Value) Bool() bool {
	return v != nil && v.kind == Bool && v.raw == "true"
}

// IsNull reports whether v is nil or JSON null.
func (v *Value) IsNull() bool { return v == nil || v.kind == Null }

func (v *Value) reset(k Kind) {
	v.kind, v.flags, v.raw, v.obj, v.arr = k, 0, "", nil, nil
}

// SetString makes v the string s. Invalid UTF-8 in s is serialized as
// U+FFFD so output stays valid JSON.
func (v *Value) SetString(s string) {
	v.reset(String)
	v.raw = s
	v.flags = flagDecoded
}

// SetRawNumber makes v the number with literal text lit, which must be a
// valid JSON number; otherwise v is unchanged and false is returned.
func (v *Value) SetRawNumber(lit string) bool {
	if !validNumber(lit) {
		return false
	}
	v.reset(Number)
	v.raw = lit
	return true
}

// SetBool makes v the bool b.
func (v *Value) SetBool(b bool) {
	v.reset(Bool)
	v.raw = strconv.FormatBool(b)
}

// SetNull makes v JSON null.
func (v *Value) SetNull() { v.reset(Null) }

// Delete removes every live member named key from an object and reports
// whether one existed. Deletion leaves a tombstone, so it is O(members)
// and safe during Range.
func (v *Value) Delete(key string) bool {
	if v == nil || v.kind != Object {
		return false
	}
	found := false
	for i := range v.obj {
		if v.obj[i].Value != nil && v.obj[i].Key == key {
			v.obj[i].Value = nil
			found = true
		}
	}
	return found
}

// Set replaces the value of member key of an object, appending the member
// if absent, and reports whether v is an object. A nil val is JSON null.
func (v *Value) Set(key string, val *Value) bool {
	if v == nil || v.kind != Object {
		return false
	}
	if val == nil {
		val = &Value{}
	}
	for i := range v.obj {
		if v.obj[i].Value != nil && v.obj[i].Key == key {
			v.obj[i].Value = val
			return true
		}
	}
	v.obj = append(v.obj, Member{Key: key, Value: val})
	return true
}

// Append appends val (nil is JSON null) to an array and reports whether v
// is an array.
func (v *Value) Append(val *Value) bool {
	if v == nil || v.kind != Array {
		return false
	}
	if val == nil {
		val = &Value{}
	}
	v.arr = append(v.arr, val)
	return true
}

// SetIndex replaces element i of an array and reports whether it existed.
func (v *Value) SetIndex(i int, val *Value) bool {
	if v == nil || v.kind != Array || i < 0 || i >= len(v.arr) {
		return false
	}
	if val == nil {
		val = &Value{}
	}
	v.arr[i] = val
	return true
}

// DeleteIndex removes element i of an array, shifting later elements
// down, and reports whether it existed.
func (v *Value) DeleteIndex(i int) bool {
	if v == nil || v.kind != Array || i < 0 || i >= len(v.arr) {
		return false
	}
	copy(v.arr[i:], v.arr[i+1:])
	v.arr[len(v.arr)-1] = nil
	v.arr = v.arr[:len(v.arr)-1]
	return true
}

// DeleteIf removes the array elements for which del returns true, keeping
// order, and returns how many were removed.
func (v *Value) DeleteIf(del func(i int, e *Value) bool) int {
	if v == nil || v.kind != Array {
		return 0
	}
	n := 0
	for i, e := range v.arr {
		if !del(i, e) {
			v.arr[n] = e
			n++
		}
	}
	removed := len(v.arr) - n
	clear(v.arr[n:])
	v.arr = v.arr[:n]
	return removed
}

// NewString returns a new string value.
func NewString(s string) *Value { return &Value{kind: String, flags: flagDecoded, raw: s} }

// NewNumber returns a new number with literal text lit, or nil if lit is
// not a valid JSON number.
func NewNumber(lit string) *Value {
	if !validNumber(lit) {
		return nil
	}
	return &Value{kind: Number, raw: lit}
}

// NewBool returns a new bool value.
func NewBool(b bool) *Value { return &Value{kind: Bool, raw: strconv.FormatBool(b)} }

// NewNull returns a new null value.
func NewNull() *Value { return &Value{} }

// NewObject returns a new empty object.
func NewObject() *Value { return &Value{kind: Object} }

// NewArray returns a new array holding elems (nil elements become null).
func NewArray(elems ...*Value) *Value {
	v := &Value{kind: Array, arr: make([]*Value, 0, len(elems))}
	for _, e := range elems {
		v.Append(e)
	}
	return v
}

// AppendJSON appends the compact JSON encoding of v to dst. A nil Value
// encodes as null.
func (v *Value) AppendJSON(dst []byte) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	switch v.kind {
	case Null:
		return append(dst, "null"...)
	case Bool, Number:
		return append(dst, v.raw...)
	case String:
		if v.flags&flagDecoded != 0 {
			return appendQuoted(dst, v.raw)
		}
		dst = append(dst, '"')
		dst = append(dst, v.raw...)
		return append(dst, '"')
	case Object:
		dst = append(dst, '{')
		first := true
		for i := range v.obj {
			m := &v.obj[i]
			if m.Value == nil {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendQuoted(dst, m.Key)
			dst = append(dst, ':')
			dst = m.Value.AppendJSON(dst)
		}
		return append(dst, '}')
	case Array:
		dst = append(dst, '[')
		for i, e := range v.arr {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = e.AppendJSON(dst)
		}
		return append(dst, ']')
	}
	return append(dst, "null"...)
}

// MarshalJSON implements json.Marshaler.
func (v *Value) MarshalJSON() ([]byte, error) { return v.AppendJSON(nil), nil }

// String returns the compact JSON encoding of v. It contains message
// content: never log it.
func (v *Value) String() string { return string(v.AppendJSON(nil)) }

const hexDigits = "0123456789abcdef"

// needsEscape marks ASCII bytes that must be escaped in a JSON string.
var needsEscape = func() (t [256]bool) {
	for i := 0; i < 0x20; i++ {
		t[i] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// appendQuoted appends s as a quoted JSON string. Invalid UTF-8 becomes U+FFFD.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !needsEscape[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// unescape decodes a validated JSON string body. Lone surrogates become U+FFFD.
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := strings.IndexByte(s[i:], '\\')
			if j < 0 {
				b.WriteString(s[i:])
				break
			}
			b.WriteString(s[i : i+j])
			i += j
			continue
		}
		if i+1 >= len(s) {
			break
		}
		e := s[i+1]
		i += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 > len(s) {
				i = len(s)
				break
			}
			r := rune(hex4(s[i:]))
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 := rune(hex4(s[i+2:]))
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						b.WriteRune(d)
						i += 6
						break
					}
				}
				r = utf8.RuneError
			}
			b.WriteRune(r)
		default: // '"', '\\', '/'
			b.WriteByte(e)
		}
	}
	return b.String()
}

func hex4(s string) int {
	n := 0
	for i := 0; i < 4; i++ {
		n = n<<4 | int(hexVal(s[i]))
	}
	return n
}

func hexVal(c byte) byte {
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

// validNumber reports whether s is exactly one JSON number.
func validNumber(s string) bool {
	n, ok := scanNumber(s, 0)
	return ok && n == len(s)
}

// scanNumber scans a JSON number starting at i and returns the index after it.
func scanNumber(s string, i int) (int, bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return i, false
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return i, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return i, false
		}
	}
	return i, true
}
