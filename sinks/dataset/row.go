package dataset

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
)

const (
	unset uint8 = iota
	set
	null
)

// Row stages one row for AppendRow with typed setters, so values are never
// boxed. A Row belongs to one Writer, is not safe for concurrent use, and is
// meant to be reused: Reset, set every column, AppendRow.
type Row struct {
	dataset string
	cols    []Column
	yearCol int
	meta    RowMeta
	state   []uint8
	str     []string
	num     []int64 // int64, timestamp (ms), float64 bits, bool 0/1
	year    int
	err     error
}

// NewRow returns a reusable Row for this Writer's schema.
func (w *Writer) NewRow() *Row {
	n := len(w.cfg.Schema.Columns)
	return &Row{dataset: w.cfg.Name, cols: w.cfg.Schema.Columns, yearCol: w.yearCol,
		state: make([]uint8, n), str: make([]string, n), num: make([]int64, n)}
}

// Reset clears the row and sets where it came from.
func (r *Row) Reset(meta RowMeta) *Row {
	r.meta = meta
	clear(r.state)
	clear(r.str)
	r.year = 0
	r.err = nil
	return r
}

func (r *Row) fail(col int, reason string) {
	if r.err != nil {
		return
	}
	name := fmt.Sprintf("#%d", col)
	if col >= 0 && col < len(r.cols) {
		name = r.cols[col].Name
	}
	r.err = &RowError{Dataset: r.dataset, Meta: r.meta, Column: name, Reason: reason}
}

func (r *Row) check(col int, t ColType, got string) bool {
	if col < 0 || col >= len(r.cols) {
		r.fail(col, "no such column")
		return false
	}
	if r.cols[col].Type != t {
		r.fail(col, fmt.Sprintf("want %s, got %s", r.cols[col].Type, got))
		return false
	}
	r.state[col] = set
	return true
}

// SetString sets a String column.
func (r *Row) SetString(col int, v string) {
	if r.check(col, String, "string") {
		r.str[col] = v
	}
}

// SetInt64 sets an Int64 column.
func (r *Row) SetInt64(col int, v int64) {
	if r.check(col, Int64, "int64") {
		r.num[col] = v
	}
}

// SetFloat64 sets a Float64 column.
func (r *Row) SetFloat64(col int, v float64) {
	if r.check(col, Float64, "float64") {
		r.num[col] = int64(math.Float64bits(v))
	}
}

// SetBool sets a Bool column.
func (r *Row) SetBool(col int, v bool) {
	if r.check(col, Bool, "bool") {
		r.num[col] = 0
		if v {
			r.num[col] = 1
		}
	}
}

// SetTime sets a Timestamp column (stored in UTC at millisecond precision).
// The year column only accepts years 0001-9999.
func (r *Row) SetTime(col int, v time.Time) {
	if !r.check(col, Timestamp, "time.Time") {
		return
	}
	r.num[col] = v.UnixMilli()
	if col == r.yearCol {
		if y := v.UTC().Year(); y >= 1 && y <= 9999 {
			r.year = y
		} else {
			r.state[col] = unset
			r.fail(col, "year column outside years 0001-9999")
		}
	}
}

// SetNull sets a nullable column to null.
func (r *Row) SetNull(col int) {
	if col < 0 || col >= len(r.cols) {
		r.fail(col, "no such column")
		return
	}
	if !r.cols[col].Nullable {
		r.fail(col, "null in a non-nullable column")
		return
	}
	r.state[col] = null
}

func (w *Writer) newBuffer(k bufKey, now time.Time) *buffer {
	rb := array.NewRecordBuilder(w.cfg.Allocator, w.schema)
	n := len(w.cfg.Schema.Columns)
	f := rb.Fields()
	// Size the builders like the last file so they rarely grow (and copy).
	if w.hintRows > 0 {
		rb.Reserve(w.hintRows)
		for i, bl := range f {
			if sb, ok := bl.(*array.StringBuilder); ok && w.hintData[i] > 0 {
				sb.ReserveData(w.hintData[i])
			}
		}
	}
	return &buffer{
		key: k, rb: rb, user: f[:n],
		src: f[n].(*array.StringBuilder), part: f[n+1].(*array.Int32Builder),
		off: f[n+2].(*array.Int64Builder), rv: f[n+3].(*array.StringBuilder),
		started: now,
	}
}

// rememberSize records a full buffer's size as the hint for new buffers.
func (w *Writer) rememberSize(b *buffer) {
	if w.hintData == nil {
		w.hintData = make([]int, len(w.schema.Fields()))
	}
	w.hintRows = b.rows
	for i, bl := range b.rb.Fields() {
		if sb, ok := bl.(*array.StringBuilder); ok {
			w.hintData[i] = sb.DataLen()
		}
	}
}
