package rules

import (
	"math"
	"slices"
	"time"
	"unsafe"

	"github.com/safeharbor/safeharbor/hl7"
)

// Value is one typed column value of a row, held without boxing in 32
// bytes. Type is 0 for null. Str holds String values; Num holds Int64
// values, Bool values (0 or 1), the bits of Float64 values and the Unix
// seconds of Timestamp values (Nsec their nanoseconds).
type Value struct {
	Str  string
	Num  int64
	Nsec int32
	Type ColType
}

// Null is the null Value.
var Null = Value{}

// StringValue returns a String value ("" stays a string; the evaluator
// turns absent text into Null itself).
func StringValue(s string) Value { return Value{Type: String, Str: s} }

// Int64Value returns an Int64 value.
func Int64Value(n int64) Value { return Value{Type: Int64, Num: n} }

// Float64Value returns a Float64 value.
func Float64Value(f float64) Value { return Value{Type: Float64, Num: int64(math.Float64bits(f))} }

// BoolValue returns a Bool value.
func BoolValue(b bool) Value {
	v := Value{Type: Bool}
	if b {
		v.Num = 1
	}
	return v
}

// TimeValue returns a Timestamp value (the zero time is null).
func TimeValue(t time.Time) Value {
	if t.IsZero() {
		return Null
	}
	return Value{Type: Timestamp, Num: t.Unix(), Nsec: int32(t.Nanosecond())}
}

// Time returns a Timestamp value's instant, in UTC.
func (v Value) Time() time.Time { return time.Unix(v.Num, int64(v.Nsec)).UTC() }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.Type == 0 }

// Int64 returns an Int64 value's number.
func (v Value) Int64() int64 { return v.Num }

// Float64 returns a Float64 value's number.
func (v Value) Float64() float64 { return math.Float64frombits(uint64(v.Num)) }

// Bool returns a Bool value's truth.
func (v Value) Bool() bool { return v.Num != 0 }

// Any returns v boxed as the Go value of its type (string, int64, float64,
// bool, time.Time, or nil for null). A string is copied, so the result
// outlives the Rows it came from.
func (v Value) Any() any {
	switch v.Type {
	case String:
		return string(append([]byte(nil), v.Str...))
	case Int64:
		return v.Num
	case Float64:
		return v.Float64()
	case Bool:
		return v.Bool()
	case Timestamp:
		return v.Time()
	}
	return nil
}

// Rows collects the dataset rows an Evaluator emits, typed and without
// per-value allocations: text taken from an HL7v2 message is copied into
// the Rows' own byte arena, so the rows stay valid after the message buffer
// is reused, until Reset. A Rows is reused: Reset, evaluate one or more
// messages into it, read the rows, Reset again. Not safe for concurrent use.
type Rows struct {
	spans []rowSpan
	vals  []Value
	arena []byte
}

type rowSpan struct {
	ds         int32
	start, end int32
}

// Reset empties r, keeping its memory. Strings read from r before are
// invalid afterwards.
func (r *Rows) Reset() {
	r.spans = r.spans[:0]
	r.vals = r.vals[:0] // not cleared: values are overwritten before they are read
	r.arena = r.arena[:0]
}

// Len returns the number of rows.
func (r *Rows) Len() int { return len(r.spans) }

// Row returns row i: its dataset (an index into Set.Datasets) and values in
// column order. The slice aliases r: do not keep it past Reset.
func (r *Rows) Row(i int) (dataset int, values []Value) {
	s := r.spans[i]
	return int(s.ds), r.vals[s.start:s.end:s.end]
}

// Add appends a row of dataset ds with the given values (copied; strings
// are kept as given).
func (r *Rows) Add(ds int, values ...Value) {
	start := len(r.vals)
	r.vals = append(r.vals, values...)
	r.spans = append(r.spans, rowSpan{int32(ds), int32(start), int32(len(r.vals))})
}

// begin starts a row of n values and returns them for the caller to set, every one.
func (r *Rows) begin(ds, n int) []Value {
	start := len(r.vals)
	// not zeroed: the caller sets every value (or calls unbegin)
	r.vals = slices.Grow(r.vals, n)[:start+n]
	r.spans = append(r.spans, rowSpan{int32(ds), int32(start), int32(start + n)})
	return r.vals[start : start+n]
}

// unbegin drops the last row started (a column failed).
func (r *Rows) unbegin() {
	s := r.spans[len(r.spans)-1]
	r.spans = r.spans[:len(r.spans)-1]
	clear(r.vals[s.start:])
	r.vals = r.vals[:s.start]
}

// text copies the decoded form of an HL7 value into the arena and returns
// it as a string that lives as long as the arena's current contents.
func (r *Rows) text(d *hl7.Delims, raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	start := len(r.arena)
	r.arena = d.AppendUnescaped(r.arena, raw)
	if len(r.arena) == start {
		return ""
	}
	return unsafe.String(&r.arena[start], len(r.arena)-start)
}

// keep copies s into the arena.
func (r *Rows) keep(s string) string {
	if s == "" {
		return ""
	}
	start := len(r.arena)
	r.arena = append(r.arena, s...)
	return unsafe.String(&r.arena[start], len(s))
}
