package rules

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
)

// Evaluator turns de-identified messages into dataset rows with one Set.
// It owns a vm.VM and buffers, so it is not safe for concurrent use: give
// each worker its own (Set.NewEvaluator).
type Evaluator struct {
	set *Set
	vm  vm.VM
	env env

	// the current input
	m         *hl7.Message
	d         hl7.Delims
	root      *fhir.Value
	resources []*fhir.Value

	// the current row
	cur     int         // HL7: index of the row segment, -1 for message scope
	curRes  *fhir.Value // FHIR: row resource (nil for message scope)
	curElem *fhir.Value // FHIR: row element of a repeating path
	ds      *dataset

	names []uint32 // HL7: segment name codes (segCode), by index

	// canon's answers
	canonCache map[string]string

	// path values: HL7 ones cached per message, path and segment (hcache,
	// hstride entries per path; vcache for segments past hstride), FHIR
	// ones per row (vcache)
	gen     uint32 // row generation
	mgen    uint32 // message generation
	vcache  []cachedValue
	hcache  []cachedValue
	hstride int

	// typeBit is the bit of the message's msg.type among Set.typeNames (0:
	// none of them)
	typeBit uint64

	// msh interns the short MSH values (message type, event, version...)
	// the environment reads, so each message needs no copy of them
	msh map[string]string

	// out receives the rows and the text read from the message
	out *Rows
	// own backs the EmitFunc entry points
	own Rows
	row []any
}

// NewEvaluator returns an evaluator for one worker.
func (s *Set) NewEvaluator() *Evaluator {
	e := &Evaluator{set: s, cur: -1, vcache: make([]cachedValue, len(s.paths))}
	e.env.Field = func(string) string { return "" } // never called: literal paths are compiled to __field
	e.env.FHIR = e.env.Field
	e.env.Has = func(string) bool { return false }
	e.env.AnyCode = func(string, string, []string) bool { return false }
	e.env.Code = func(string, string) string { return "" }
	e.env.Lookup = func(t, k string) string { return s.tables[t][k] }
	e.env.Year = year
	e.env.Number = number
	e.env.AgeCategory = ageCategory
	e.env.ZIP3 = zip3
	e.env.Coalesce = coalesce
	e.env.XField = e.value
	e.env.XHas = func(k int) bool { return e.value(k) != "" }
	e.env.XAnyCode = e.anyCode
	e.env.XCode = e.code
	return e
}

// Set returns the rules the evaluator runs.
func (e *Evaluator) Set() *Set { return e.set }

// EmitFunc receives one row of dataset (an index into Set.Datasets). The row
// slice is reused after the call returns: copy what you keep.
type EmitFunc func(dataset int, row []any)

// HL7 evaluates the rules over a de-identified HL7v2 message: if a drop
// rule matches, nothing is emitted and its name is returned; otherwise
// every matching dataset's rows are emitted. Errors name the dataset and
// column, never message content. HL7Rows is the allocation-free form.
func (e *Evaluator) HL7(m *hl7.Message, res deid.Result, emit EmitFunc) (dropped string, err error) {
	e.own.Reset()
	if dropped, err = e.HL7Rows(m, res, &e.own); err != nil {
		return dropped, err
	}
	e.emitOwn(emit)
	return dropped, nil
}

// HL7Rows is HL7 appending the rows to out (which it does not reset): no
// value is boxed and text is copied into out's arena, so the rows outlive
// the message. On error, out may hold the rows of datasets evaluated before
// the failing one.
func (e *Evaluator) HL7Rows(m *hl7.Message, res deid.Result, out *Rows) (dropped string, err error) {
	e.m, e.d, e.root, e.resources, e.out = m, m.Delims(), nil, e.resources[:0], out
	defer func() { e.m, e.out = nil, nil }()
	e.setNames()
	e.sizeCache(len(e.names))
	e.setMsgHL7(res)
	return e.run()
}

// FHIR evaluates the rules over a de-identified FHIR resource or Bundle
// (each entry's resource is a candidate row for datasets whose each names
// its type). FHIRRows is the allocation-free form.
func (e *Evaluator) FHIR(v *fhir.Value, res deid.Result, emit EmitFunc) (dropped string, err error) {
	e.own.Reset()
	if dropped, err = e.FHIRRows(v, res, &e.own); err != nil {
		return dropped, err
	}
	e.emitOwn(emit)
	return dropped, nil
}

// FHIRRows is FHIR appending the rows to out (which it does not reset).
// String values alias the parsed resource's strings.
func (e *Evaluator) FHIRRows(v *fhir.Value, res deid.Result, out *Rows) (dropped string, err error) {
	e.m, e.root, e.out = nil, v, out
	defer func() { e.root, e.out = nil, nil; clear(e.resources); e.resources = e.resources[:0] }()
	e.setResources(v)
	e.setMsgFHIR(res)
	return e.run()
}

func (e *Evaluator) setResources(v *fhir.Value) {
	e.resources = e.resources[:0]
	if fhir.ResourceType(v) == "Bundle" {
		fhir.BundleEntries(v, func(_ int, _ string, r *fhir.Value) bool {
			e.resources = append(e.resources, r)
			return true
		})
	} else {
		e.resources = append(e.resources, v)
	}
}

// emitOwn hands the rows of e.own to emit as boxed values.
func (e *Evaluator) emitOwn(emit EmitFunc) {
	if emit == nil {
		return
	}
	for i := 0; i < e.own.Len(); i++ {
		ds, vals := e.own.Row(i)
		e.row = e.row[:0]
		for _, v := range vals {
			e.row = append(e.row, v.Any())
		}
		emit(ds, e.row)
	}
}

func (e *Evaluator) setMsgHL7(res deid.Result) {
	m := e.m
	msh := m.Segment(0)
	// interned (or copied into the arena): columns read these through getters
	text := func(field, comp int) string { return e.mshText(locate(msh.Field(field), &e.d, 1, comp, 0)) }
	me := MsgEnv{Type: text(9, 1), Event: text(9, 2), Format: "hl7", Over90: res.Over90}
	n := e.set.needs
	if n.structure {
		me.Structure = text(9, 3)
	}
	if n.version {
		me.Version = text(12, 1)
	}
	if n.sending {
		me.SendingApp = text(3, 1)
		me.SendingFacility = text(4, 1)
	}
	if n.age {
		switch {
		case res.Over90:
			me.AgeCategory = "90+"
		default:
			ref := year(string(msh.Field(7)))
			for s := range m.Segments("PID") {
				if b := year(string(s.Field(7))); b > 0 && ref >= b {
					me.AgeCategory = ageCategory(ref - b)
				}
				break
			}
		}
	}
	e.env.Msg = me
	e.env.Format, e.env.ResourceType, e.env.Pseudonym = "hl7", "", res.Pseudonym
}

func (e *Evaluator) setMsgFHIR(res deid.Result) {
	rt := fhir.ResourceType(e.root)
	me := MsgEnv{Type: rt, Format: "fhir", Over90: res.Over90}
	if e.set.needs.age {
		if res.Over90 {
			me.AgeCategory = "90+"
		} else {
			for _, r := range e.resources {
				if fhir.ResourceType(r) == "Patient" {
					if b := year(r.Get("birthDate").Str()); b > 0 {
						me.AgeCategory = ageCategory(time.Now().UTC().Year() - b)
					}
					break
				}
			}
		}
	}
	e.env.Msg = me
	e.env.Format, e.env.ResourceType, e.env.Pseudonym = "fhir", rt, res.Pseudonym
}

// maxInterned bounds Evaluator.msh: MSH values are few (message types,
// versions, sending applications), but input decides.
const maxInterned = 1024

// mshText returns an MSH value decoded, as a string that outlives the
// message: interned when it has no escape sequence (the same few values
// recur in every message), else decoded into the output arena.
func (e *Evaluator) mshText(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	if esc := e.d.Escape; esc != 0 && bytes.IndexByte(raw, esc) >= 0 || len(raw) > 64 {
		return e.out.text(&e.d, raw)
	}
	if s, ok := e.msh[string(raw)]; ok {
		return s
	}
	if e.msh == nil || len(e.msh) >= maxInterned {
		e.msh = make(map[string]string)
	}
	s := string(raw)
	e.msh[s] = s
	return s
}

// text returns an HL7 value decoded: a view of the message bytes when it
// has no escape sequence, else decoded into the output arena. Views live
// only while the message does: emitRow copies row strings into the arena.
func (e *Evaluator) text(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	esc := e.d.Escape
	if esc == 0 {
		return unsafe.String(&raw[0], len(raw))
	}
	if len(raw) <= 32 { // most values: a loop beats the call
		for _, c := range raw {
			if c == esc {
				return e.out.text(&e.d, raw)
			}
		}
		return unsafe.String(&raw[0], len(raw))
	}
	if bytes.IndexByte(raw, esc) < 0 {
		return unsafe.String(&raw[0], len(raw))
	}
	return e.out.text(&e.d, raw)
}

// runErr reports a failed expression without its error text, which may
// quote message values.
func (e *Evaluator) runErr(what string, err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fmt.Errorf("rules %s: %s failed at expression column %d", e.set.version, what, fe.Column+1)
	}
	return fmt.Errorf("rules %s: %s failed", e.set.version, what)
}

func (e *Evaluator) pred(p *predicate) (bool, error) {
	if p.fn != nil {
		return p.fn(e), nil
	}
	out, err := e.vm.Run(p.Program, &e.env)
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}

func (e *Evaluator) newRow() {
	e.gen++
	if e.gen == 0 { // wrapped: reset the cache
		e.resetCache()
	}
}

// newMessage invalidates the values cached for the previous message.
func (e *Evaluator) newMessage() {
	e.mgen++
	if e.mgen == 0 {
		e.resetCache()
	}
	e.newRow()
}

func (e *Evaluator) resetCache() {
	clear(e.vcache)
	clear(e.hcache)
	e.gen, e.mgen = 1, 1
}

// maxStride bounds the segments per message whose path values get their own
// cache entries (hcache holds len(paths) of them per segment); values in
// later segments share one entry per path.
const maxStride = 256

// sizeCache makes room in hcache for messages of n segments.
func (e *Evaluator) sizeCache(n int) {
	if n <= e.hstride || e.hstride == maxStride || len(e.set.paths) == 0 {
		return
	}
	e.hstride = min(max(32, 2*n), maxStride)
	e.hcache = make([]cachedValue, len(e.set.paths)*e.hstride)
}

// setTypeBit finds the message's msg.type among the types the datasets
// filter on.
func (e *Evaluator) setTypeBit() {
	e.typeBit = 0
	for i, t := range e.set.typeNames {
		if t == e.env.Msg.Type {
			e.typeBit = 1 << i
			return
		}
	}
}

// cachedValue is a path value read before: valid while gen matches (the
// message generation and segment index for HL7 paths, the row generation
// for FHIR paths).
type cachedValue struct {
	gen uint32
	seg int32
	s   string
}

func (e *Evaluator) run() (string, error) {
	e.cur, e.curRes, e.curElem, e.ds = -1, nil, nil, nil
	e.newMessage()
	e.setTypeBit()
	for _, d := range e.set.drops {
		ok, err := e.pred(d.when)
		if err != nil {
			return "", e.runErr("drop rule "+strconv.Quote(d.name), err)
		}
		if ok {
			return d.name, nil
		}
	}
	for di, d := range e.set.datasets {
		if d.format == fmtHL7 && e.m == nil || d.format == fmtFHIR && e.root == nil {
			continue
		}
		e.cur, e.curRes, e.curElem, e.ds = -1, nil, nil, d
		e.newRow()
		if d.types != nil {
			if e.set.typeNames != nil {
				if d.typeMask&e.typeBit == 0 {
					continue
				}
			} else if !slices.Contains(d.types, e.env.Msg.Type) {
				continue
			}
		}
		if d.when != nil && !d.typeOnly {
			ok, err := e.pred(d.when)
			if err != nil {
				return "", e.runErr("dataset "+strconv.Quote(d.Name)+" when", err)
			}
			if !ok {
				continue
			}
		}
		switch d.unit {
		case unitMessage:
			if err := e.emitRow(di, d); err != nil {
				return "", err
			}
		case unitSegment:
			name := d.segCode
			for i, n := range e.names {
				if n != name {
					continue
				}
				e.cur = i
				if err := e.emitRow(di, d); err != nil {
					return "", err
				}
			}
		case unitResource, unitFHIRPath:
			for _, r := range e.resources {
				if fhir.ResourceType(r) != d.each.resource {
					continue
				}
				e.curRes = r
				if d.unit == unitResource {
					if err := e.emitRow(di, d); err != nil {
						return "", err
					}
					continue
				}
				steps := d.each.steps
				v := r
				for _, st := range steps[:len(steps)-1] {
					v = v.Get(st.key)
					if v.Kind() == fhir.Array {
						v = v.Index(max(st.index, 0))
					}
				}
				arr := v.Get(steps[len(steps)-1].key)
				if arr.Kind() != fhir.Array {
					continue
				}
				for _, el := range arr.Elems() {
					e.curElem = el
					if err := e.emitRow(di, d); err != nil {
						return "", err
					}
				}
			}
		}
	}
	return "", nil
}

func (e *Evaluator) emitRow(di int, d *dataset) error {
	e.newRow()
	if d.where != nil {
		ok, err := e.pred(d.where)
		if err != nil {
			return e.runErr("dataset "+strconv.Quote(d.Name)+" where", err)
		}
		if !ok {
			return nil
		}
	}
	row := e.out.begin(di, len(d.cols))
	for ci, c := range d.cols {
		if c.path >= 0 && c.Type == String { // the common column: text at a path
			if s := e.value(c.path); s != "" {
				row[ci] = StringValue(e.out.keep(s))
			} else {
				row[ci] = Null
			}
			continue
		}
		v, err := e.columnValue(c)
		if err != nil {
			e.out.unbegin()
			return fmt.Errorf("rules %s: dataset %q column %q: %w", e.set.version, d.Name, c.Name, err)
		}
		if v.Type == String && e.m != nil && c.get == nil {
			v.Str = e.out.keep(v.Str) // may view the message, which is reused
		}
		row[ci] = v
	}
	return nil
}

func (e *Evaluator) columnValue(c *column) (Value, error) {
	if c.path >= 0 {
		s := e.value(c.path)
		if s == "" {
			return Null, nil
		}
		switch c.Type {
		case String:
			return StringValue(s), nil
		case Int64:
			if c.asYear {
				if y := year(s); y > 0 {
					return Int64Value(int64(y)), nil
				}
				return Null, nil
			}
			if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
				return Int64Value(n), nil
			}
			return Null, nil
		case Float64:
			if f := number(s); !math.IsNaN(f) && !math.IsInf(f, 0) {
				return Float64Value(f), nil
			}
			return Null, nil
		case Bool:
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "true", "y", "yes", "1", "t":
				return BoolValue(true), nil
			case "false", "n", "no", "0", "f":
				return BoolValue(false), nil
			}
			return Null, nil
		}
		return Null, nil
	}
	if c.native != nil {
		return coerce(c.native(e, c.nativeArg), c.Type)
	}
	if len(c.refs) > 0 {
		// a value computed from paths that are all absent is null
		any := false
		for _, k := range c.refs {
			if e.value(k) != "" {
				any = true
				break
			}
		}
		if !any {
			return Null, nil
		}
	}
	if c.get != nil {
		return coerce(c.get(&e.env), c.Type)
	}
	out, err := e.vm.Run(c.prog, &e.env)
	if err != nil {
		return Null, e.runErr("expression", err)
	}
	return convert(out, c.Type)
}

// fromInt is the Value of an expression's int result, before coerce.
func fromInt(n int) Value { return Int64Value(int64(n)) }

// coerce maps a computed value onto the column type ("" and NaN → null).
func coerce(v Value, t ColType) (Value, error) {
	switch v.Type {
	case 0:
		return Null, nil
	case String:
		if t == String {
			if v.Str == "" {
				return Null, nil
			}
			return v, nil
		}
		return Null, fmt.Errorf("expression returned string, column wants %s", t)
	case Int64:
		switch t {
		case Int64:
			return v, nil
		case Float64:
			return Float64Value(float64(v.Num)), nil
		}
		return Null, fmt.Errorf("expression returned int64, column wants %s", t)
	case Float64:
		x := v.Float64()
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Null, nil
		}
		switch t {
		case Float64:
			return v, nil
		case Int64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return Int64Value(int64(x)), nil
			}
			return Null, errors.New("expression returned a fraction for an int64 column")
		}
		return Null, fmt.Errorf("expression returned float64, column wants %s", t)
	case Bool:
		if t == Bool {
			return v, nil
		}
		return Null, fmt.Errorf("expression returned bool, column wants %s", t)
	case Timestamp:
		if t == Timestamp {
			return v, nil
		}
		return Null, fmt.Errorf("expression returned time.Time, column wants %s", t)
	}
	return Null, fmt.Errorf("expression returned an unknown value, column wants %s", t)
}

// convert maps an expression result onto the column type ("" → null).
func convert(v any, t ColType) (Value, error) {
	switch x := v.(type) {
	case nil:
		return Null, nil
	case string:
		return coerce(StringValue(x), t)
	case int:
		return coerce(fromInt(x), t)
	case int64:
		return coerce(Int64Value(x), t)
	case float64:
		return coerce(Float64Value(x), t)
	case bool:
		return coerce(BoolValue(x), t)
	case time.Time:
		return coerce(TimeValue(x), t)
	}
	return Null, fmt.Errorf("expression returned %T, column wants %s", v, t)
}
