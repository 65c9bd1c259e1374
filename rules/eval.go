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

	// per-row cache of path values
	gen    uint32
	valGen []uint32
	vals   []string

	// out receives the rows and the text read from the message
	out *Rows
	// own backs the EmitFunc entry points
	own Rows
	row []any
}

// NewEvaluator returns an evaluator for one worker.
func (s *Set) NewEvaluator() *Evaluator {
	e := &Evaluator{set: s, cur: -1, valGen: make([]uint32, len(s.paths)), vals: make([]string, len(s.paths))}
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
	t := hl7.Nth(msh.Field(9), e.d.Repetition, 1)
	me := MsgEnv{Type: e.text(hl7.Nth(t, e.d.Component, 1)), Event: e.text(hl7.Nth(t, e.d.Component, 2)), Format: "hl7", Over90: res.Over90}
	n := e.set.needs
	if n.structure {
		me.Structure = e.text(hl7.Nth(hl7.Nth(msh.Field(9), e.d.Repetition, 1), e.d.Component, 3))
	}
	if n.version {
		me.Version = e.text(hl7.Nth(hl7.Nth(msh.Field(12), e.d.Repetition, 1), e.d.Component, 1))
	}
	if n.sending {
		me.SendingApp = e.text(hl7.Nth(hl7.Nth(msh.Field(3), e.d.Repetition, 1), e.d.Component, 1))
		me.SendingFacility = e.text(hl7.Nth(hl7.Nth(msh.Field(4), e.d.Repetition, 1), e.d.Component, 1))
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

// text decodes an HL7 value into the output arena.
func (e *Evaluator) text(raw []byte) string {
	if len(raw) == 0 {
		return ""
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
		clear(e.valGen)
		e.gen = 1
	}
}

func (e *Evaluator) run() (string, error) {
	e.cur, e.curRes, e.curElem, e.ds = -1, nil, nil, nil
	e.newRow()
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
		if d.types != nil && !slices.Contains(d.types, e.env.Msg.Type) {
			continue
		}
		if d.when != nil {
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
			for i := 0; i < e.m.NumSegments(); i++ {
				if !e.m.Segment(i).Is(d.segment) {
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
		v, err := e.columnValue(c)
		if err != nil {
			e.out.unbegin()
			return fmt.Errorf("rules %s: dataset %q column %q: %w", e.set.version, d.Name, c.Name, err)
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
	if c.native != nil {
		return coerce(c.native(e, c.nativeArg), c.Type)
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
			if v.Time.IsZero() {
				return Null, nil
			}
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
		return coerce(Value{Type: Timestamp, Time: x.UTC()}, t)
	}
	return Null, fmt.Errorf("expression returned %T, column wants %s", v, t)
}

// value returns the text of path k in the current row context, cached per row.
func (e *Evaluator) value(k int) string {
	if k < 0 || k >= len(e.vals) {
		return ""
	}
	if e.valGen[k] == e.gen {
		return e.vals[k]
	}
	ref := &e.set.paths[k]
	s := ""
	if ref.hl7 != nil {
		if e.m != nil {
			if seg, ok := e.segment(&ref.hl7.p); ok {
				s = e.text(e.element(seg, &ref.hl7.p))
			}
		}
	} else if e.root != nil {
		s = fhirText(e.fhirValue(ref))
	}
	e.vals[k], e.valGen[k] = s, e.gen
	return s
}

// segment finds the segment a path names relative to the row: an explicit
// occurrence is absolute; the row's own segment type is the row segment;
// any other is the nearest preceding one, else the first in the message.
func (e *Evaluator) segment(p *hl7.Path) (hl7.Segment, bool) {
	m := e.m
	n := m.NumSegments()
	if p.Occurrence > 0 {
		k := 0
		for i := 0; i < n; i++ {
			if s := m.Segment(i); s.Is(p.Segment) {
				if k++; k == p.Occurrence {
					return s, true
				}
			}
		}
		return hl7.Segment{}, false
	}
	if e.cur >= 0 {
		for i := e.cur; i >= 0; i-- {
			if s := m.Segment(i); s.Is(p.Segment) {
				return s, true
			}
		}
	}
	for i := 0; i < n; i++ {
		if s := m.Segment(i); s.Is(p.Segment) {
			return s, true
		}
	}
	return hl7.Segment{}, false
}

// element returns the raw bytes a path addresses inside a segment (first
// repetition unless one is given).
func (e *Evaluator) element(s hl7.Segment, p *hl7.Path) []byte {
	raw := s.Field(p.Field)
	if s.Is("MSH") && p.Field <= 2 {
		return raw
	}
	return locate(raw, &e.d, max(p.Rep, 1), p.Comp, p.Sub)
}

// locate returns repetition rep, component comp (0: the whole repetition)
// and subcomponent sub (0: the whole component) of a raw field, scanning
// only as far as the element it returns.
func locate(raw []byte, d *hl7.Delims, rep, comp, sub int) []byte {
	rs, cs := d.Repetition, d.Component
	i := 0
	if rep > 1 {
		if rs == 0 {
			return nil
		}
		for r := 1; r < rep; r++ {
			j := bytes.IndexByte(raw[i:], rs)
			if j < 0 {
				return nil
			}
			i += j + 1
		}
	}
	if comp == 0 || cs == 0 {
		if comp > 1 {
			return nil
		}
		end := len(raw)
		if rs != 0 {
			if j := bytes.IndexByte(raw[i:], rs); j >= 0 {
				end = i + j
			}
		}
		v := raw[i:end]
		if comp == 1 && sub > 0 {
			v = hl7.Nth(v, d.Subcomponent, sub)
		}
		return v
	}
	c, start := 1, i
	for ; i < len(raw); i++ {
		b := raw[i]
		if b == rs && rs != 0 {
			break
		}
		if b == cs {
			if c == comp {
				break
			}
			c++
			start = i + 1
		}
	}
	if c != comp {
		return nil
	}
	v := raw[start:i]
	if sub > 0 {
		v = hl7.Nth(v, d.Subcomponent, sub)
	}
	return v
}

// fhirValue resolves a FHIR path in the row context: relative to the row
// element, the row resource, or the first resource of its type.
func (e *Evaluator) fhirValue(ref *pathRef) *fhir.Value {
	fp := ref.fhir
	if ref.rel >= 0 && e.curElem != nil {
		return fp.eval(e.curElem, ref.rel)
	}
	if e.curRes != nil && fhir.ResourceType(e.curRes) == fp.resource {
		return fp.eval(e.curRes, 0)
	}
	for _, r := range e.resources {
		if fhir.ResourceType(r) == fp.resource {
			return fp.eval(r, 0)
		}
	}
	return nil
}

// codes calls fn with the (system, code) pairs at a coded path: every
// occurrence of the segment and every repetition for HL7 (CE/CWE triplets
// 1-3 and 4-6), every coding of every resource of the type for FHIR.
func (e *Evaluator) codes(ref *pathRef, all bool, fn func(system, code string) bool) {
	if ref.hl7 != nil {
		if e.m == nil {
			return
		}
		p := &ref.hl7.p
		visit := func(s hl7.Segment) bool {
			field := s.Field(p.Field)
			for r := 1; r <= hl7.Count(field, e.d.Repetition); r++ {
				rep := hl7.Nth(field, e.d.Repetition, r)
				for _, t := range [2][2]int{{1, 3}, {4, 6}} {
					code := hl7.Nth(rep, e.d.Component, t[0])
					if len(code) == 0 {
						continue
					}
					if !fn(e.text(hl7.Nth(rep, e.d.Component, t[1])), e.text(code)) {
						return false
					}
				}
			}
			return true
		}
		if all && p.Occurrence == 0 {
			for s := range e.m.Segments(p.Segment) {
				if !visit(s) {
					return
				}
			}
			return
		}
		if s, ok := e.segment(p); ok {
			visit(s)
		}
		return
	}
	if e.root == nil {
		return
	}
	fp := ref.fhir
	visit := func(v *fhir.Value) bool {
		if v == nil {
			return true
		}
		if fp.typ == "CodeableConcept" {
			for _, c := range v.Get("coding").Elems() {
				if !fn(c.Get("system").Str(), c.Get("code").Str()) {
					return false
				}
			}
			return true
		}
		return fn(v.Get("system").Str(), v.Get("code").Str())
	}
	if all {
		for _, r := range e.resources {
			if fhir.ResourceType(r) == fp.resource && !visit(fp.eval(r, 0)) {
				return
			}
		}
		return
	}
	visit(e.fhirValue(ref))
}

func (e *Evaluator) anyCode(k int) bool {
	cm := &e.set.codes[k]
	hit := false
	e.codes(&e.set.paths[cm.path], true, func(system, code string) bool {
		if canonSystem(system) != cm.system {
			return true
		}
		for _, p := range cm.prefixes {
			if codePrefix(code, p) {
				hit = true
				return false
			}
		}
		return true
	})
	return hit
}

func (e *Evaluator) code(k int) string {
	cm := &e.set.codes[k]
	out := ""
	e.codes(&e.set.paths[cm.path], false, func(system, code string) bool {
		if canonSystem(system) == cm.system {
			out = code
			return false
		}
		return true
	})
	return out
}
