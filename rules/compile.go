package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/safeharbor/safeharbor/fhir"
	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds a rules file.
const MaxFileSize = 1 << 20

// Set is a compiled rules file. It is immutable and safe for concurrent
// use; each worker evaluates through its own Evaluator.
type Set struct {
	file     string
	version  string
	datasets []*dataset
	drops    []*dropRule
	paths    []pathRef
	codes    []codeMatch
	tables   map[string]map[string]string
	phiStore string
	needs    needs
	// typeNames are the msg.type values datasets filter on (dataset.types),
	// when there are at most 64: dataset.typeMask has bit i for typeNames[i]
	typeNames []string
}

// needs records which message attributes any expression reads, so the
// evaluator computes only those.
type needs struct {
	structure, version, sending, age bool
}

// Dataset describes one output dataset: its name and columns, in order.
type Dataset struct {
	Name        string
	Description string
	Each        string // row unit as written: "message", a segment, a resource type or a FHIR path
	Columns     []Column
}

// Column is one dataset column. Every column is nullable: an absent source
// value gives a null.
type Column struct {
	Name string
	Type ColType
	From string // the source as written
}

type unit uint8

const (
	unitMessage  unit = iota // one row per message
	unitSegment              // one row per HL7 segment occurrence
	unitResource             // one row per FHIR resource of a type
	unitFHIRPath             // one row per element of a repeating FHIR path
)

type format uint8

const (
	fmtAny format = iota
	fmtHL7
	fmtFHIR
)

type dataset struct {
	Dataset
	unit    unit
	format  format
	segment string    // unitSegment
	segCode uint32    // segCode(segment)
	each    *fhirPath // unitResource (no steps) and unitFHIRPath
	when    *predicate
	where   *predicate
	cols    []*column
	// types, when non-nil, lists the only msg.type values for which when
	// can be true (from a top-level msg.type == "X" or msg.type in [...]
	// conjunct), so other messages skip the VM.
	types []string
	// typeMask has the bits of types among Set.typeNames; typeOnly says
	// when is exactly the type filter (so a type match needs no when)
	typeMask uint64
	typeOnly bool
}

type column struct {
	Column
	path     int // bare path index, or -1
	asYear   bool
	prog     *vm.Program
	refs     []int // path indexes the expression reads
	fromPos  Pos
	progKind reflect.Kind
	get      func(*env) Value // a bare variable, read without the VM
	// native, when set, computes the column without the VM:
	// fn(field(path nativeArg)) for a one-function-of-one-path expression;
	// it returns Null when the path is absent (so refs need no check)
	native    func(e *Evaluator, k int) Value
	nativeArg int
}

type dropRule struct {
	name string
	when *predicate
}

// pathRef is one path read by a rules file: HL7 or FHIR, and for FHIR
// how it relates to the row unit of the dataset that reads it.
type pathRef struct {
	hl7  *hl7Path
	fhir *fhirPath
	rel  int // FHIR: skip this many steps from the row element (-1: from the resource)
	date bool
}

// codeMatch is a compiled any_code or code call.
type codeMatch struct {
	path     int // index into paths
	system   string
	prefixes []string
}

// Version returns the rules version: a short sha256 of the file's canonical
// form (comments, key quoting and layout do not change it).
func (s *Set) Version() string { return s.version }

// File returns the name the rules were compiled from.
func (s *Set) File() string { return s.file }

// PHIStore returns what goes to the PHI vault: "original" (the whole
// identified original, the default) or "none".
func (s *Set) PHIStore() string { return s.phiStore }

// Datasets returns the datasets, indexed as Evaluator emits them.
func (s *Set) Datasets() []Dataset {
	out := make([]Dataset, len(s.datasets))
	for i, d := range s.datasets {
		out[i] = d.Dataset
		out[i].Columns = append([]Column(nil), d.Columns...)
	}
	return out
}

// DropRules returns the names of the drop rules in order.
func (s *Set) DropRules() []string {
	out := make([]string, len(s.drops))
	for i, d := range s.drops {
		out[i] = d.name
	}
	return out
}

// Load reads and compiles a rules file.
func Load(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileSize+1)); err != nil {
		return nil, err
	}
	if buf.Len() > MaxFileSize {
		return nil, &Error{File: path, Pos: Pos{1, 1}, Msg: fmt.Sprintf("rules file larger than %d bytes", MaxFileSize)}
	}
	return Compile(buf.Bytes(), path)
}

// Compile parses, type-checks and lints a rules file. Errors are an
// ErrorList of "file:line:col: message".
func Compile(src []byte, filename string) (s *Set, err error) {
	defer func() {
		// the YAML and expr libraries are not ours: never let bad input panic
		if r := recover(); r != nil {
			s, err = nil, ErrorList{{File: filename, Pos: Pos{1, 1}, Msg: fmt.Sprintf("internal error compiling rules: %v", r)}}
		}
	}()
	if len(src) > MaxFileSize {
		return nil, ErrorList{{File: filename, Pos: Pos{1, 1}, Msg: fmt.Sprintf("rules file larger than %d bytes", MaxFileSize)}}
	}
	rf, errs := parseFile(src, filename)
	if len(errs) > 0 {
		return nil, errs
	}
	c := &compiler{file: filename, lines: strings.Split(string(src), "\n"),
		set: &Set{file: filename, phiStore: rf.phiStore, tables: map[string]map[string]string{}}}
	for _, t := range rf.tables {
		if _, dup := c.set.tables[t.name]; dup {
			c.errorf(t.pos, "duplicate table %q", t.name)
		}
		c.set.tables[t.name] = t.entries
	}
	names := map[string]bool{}
	for _, rd := range rf.datasets {
		if rd.name.exists {
			if names[rd.name.text] {
				c.errorf(rd.name.pos, "duplicate dataset name %q", rd.name.text)
			}
			names[rd.name.text] = true
		}
		c.dataset(rd)
	}
	for _, rd := range rf.drops {
		d := &dropRule{name: rd.name.text}
		ctx := &dataset{unit: unitMessage, format: fmtAny}
		d.when = newPredicate(c.expr(rd.when, ctx, kindBool, false, nil))
		c.set.drops = append(c.set.drops, d)
	}
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	c.set.version = canonicalVersion(src)
	all := string(src)
	c.set.needs = needs{
		structure: strings.Contains(all, "structure"),
		version:   strings.Contains(all, "version"),
		sending:   strings.Contains(all, "sending_"),
		age:       strings.Contains(all, "age_category"),
	}
	c.set.setTypeMasks()
	return c.set, nil
}

type compiler struct {
	file  string
	lines []string
	set   *Set
	errs  ErrorList
	// hl7Paths indexes HL7 paths by source: one HL7 path reads the same
	// value in every dataset, so the evaluator caches it per message
	hl7Paths map[string]int
}

func (c *compiler) errorf(p Pos, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func validColumnName(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.' || b == '-') {
			return false
		}
	}
	return true
}

func (c *compiler) dataset(rd rawDataset) {
	d := &dataset{Dataset: Dataset{Name: rd.name.text, Description: rd.description, Each: "message"}}
	if rd.name.exists && !validColumnName(rd.name.text) {
		c.errorf(rd.name.pos, "dataset name %q: use letters, digits, _ . - (not starting with _)", rd.name.text)
	}
	if rd.each.exists {
		e := strings.TrimSpace(rd.each.text)
		d.Each = e
		switch {
		case e == "message":
		case isSegmentName(e):
			if e[0] == 'Z' && e != "ZDI" || !keptSegments[e] {
				c.errorf(rd.each.pos, "each: segment %s does not survive de-identification", e)
			}
			d.unit, d.format, d.segment, d.segCode = unitSegment, fmtHL7, e, segCode(e)
		default:
			fp, err := parseFHIRPath(e, false)
			if err != nil {
				c.errorf(rd.each.pos, "each: %v (want message, an HL7 segment, a FHIR resource type or a repeating FHIR path)", err)
				break
			}
			d.format, d.each = fmtFHIR, fp
			if len(fp.steps) == 0 {
				d.unit = unitResource
			} else {
				d.unit = unitFHIRPath
				last := fp.steps[len(fp.steps)-1]
				if !last.repeating || last.index >= 0 || last.system != "" {
					c.errorf(rd.each.pos, "each: %s does not repeat; row paths must end at a repeating element", e)
				}
			}
		}
	}
	if rd.when.exists {
		d.when = newPredicate(c.expr(rd.when, &dataset{unit: unitMessage, format: d.format, each: d.each}, kindBool, false, nil))
		if tree, err := parser.Parse(rd.when.text); err == nil {
			d.types = typeFilter(tree.Node)
			d.typeOnly = d.types != nil && isTypeTest(tree.Node)
		}
	}
	if rd.where.exists {
		if d.unit == unitMessage {
			c.errorf(rd.where.pos, "where filters rows of a segment or FHIR each; use when for whole messages")
		}
		d.where = newPredicate(c.expr(rd.where, d, kindBool, false, nil))
	}
	cnames := map[string]bool{}
	for _, rc := range rd.columns {
		col := &column{Column: Column{Name: rc.name.text, From: rc.from.text}, path: -1, fromPos: rc.from.pos}
		if rc.name.exists {
			if !validColumnName(rc.name.text) {
				c.errorf(rc.name.pos, "column name %q: use letters, digits, _ . - (not starting with _, which is reserved)", rc.name.text)
			}
			if cnames[rc.name.text] {
				c.errorf(rc.name.pos, "duplicate column %q in dataset %q", rc.name.text, d.Name)
			}
			cnames[rc.name.text] = true
		}
		if rc.typ.exists {
			t, ok := parseColType(rc.typ.text)
			if !ok {
				c.errorf(rc.typ.pos, "unknown column type %q (want string, int64, float64, bool or timestamp)", rc.typ.text)
			}
			col.Type = t
		}
		if rc.from.exists && col.Type != 0 {
			c.column(d, col, rc.from)
		}
		d.cols = append(d.cols, col)
		d.Columns = append(d.Columns, col.Column)
	}
	c.set.datasets = append(c.set.datasets, d)
}

// column compiles a column source: a bare HL7 or FHIR path, or an expression.
func (c *compiler) column(d *dataset, col *column, from rawScalar) {
	src := strings.TrimSpace(from.text)
	bare := false
	if isHL7Path(src) && !strings.ContainsAny(src, " ()\"'+*/") {
		bare = true
	} else if looksFHIRPath(src) {
		bare = true
	}
	if bare {
		k, err := c.path(src, d, true)
		if err != nil {
			c.errorf(from.pos, "column %q: %v", col.Name, err)
			return
		}
		col.path = k
		ref := c.set.paths[k]
		if ref.date {
			switch col.Type {
			case String, Timestamp:
				c.errorf(from.pos, "column %q would expose a full date: %s is a date/time element; use type int64 with year(%s(%q))",
					col.Name, src, map[bool]string{true: "field", false: "fhir"}[ref.hl7 != nil], src)
				return
			case Int64:
				col.asYear = true
			default:
				c.errorf(from.pos, "column %q: %s is a date/time element; use type int64 with year()", col.Name, src)
			}
		} else if col.Type == Timestamp {
			c.errorf(from.pos, "column %q: a timestamp column needs an expression that returns a time, not the path %s", col.Name, src)
		}
		return
	}
	want := map[ColType]exprKind{String: kindString, Int64: kindInt, Float64: kindFloat, Bool: kindBool, Timestamp: kindTime}[col.Type]
	if g, ok := envGetters[src]; ok {
		col.get = g
	}
	col.prog = c.expr(from, d, want, true, &col.refs)
	if col.prog != nil {
		col.progKind = col.prog.Node().Type().Kind()
		col.native, col.nativeArg = nativeColumn(col.prog.Node())
	}
}

// path registers a path read in dataset context d and returns its index.
func (c *compiler) path(src string, d *dataset, leaf bool) (int, error) {
	ref := pathRef{rel: -1}
	if isHL7Path(src) {
		if d.format == fmtFHIR {
			return 0, fmt.Errorf("HL7 path %q in a FHIR dataset (each: %s)", src, d.Each)
		}
		if k, ok := c.hl7Paths[src]; ok {
			return k, nil
		}
		hp, err := checkHL7Path(src)
		if err != nil {
			return 0, err
		}
		ref.hl7, ref.date = &hp, hp.date
		if c.hl7Paths == nil {
			c.hl7Paths = map[string]int{}
		}
		c.hl7Paths[src] = len(c.set.paths)
	} else {
		if d.format == fmtHL7 {
			return 0, fmt.Errorf("FHIR path %q in an HL7 dataset (each: %s)", src, d.Each)
		}
		fp, err := parseFHIRPath(src, leaf)
		if err != nil {
			return 0, err
		}
		ref.fhir, ref.date = fp, fp.date
		if d.each != nil && fp.hasPrefix(d.each) {
			ref.rel = len(d.each.steps)
		}
	}
	c.set.paths = append(c.set.paths, ref)
	return len(c.set.paths) - 1, nil
}

// canonicalVersion hashes the YAML document without comments or styles.
func canonicalVersion(src []byte) string {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		sum := sha256.Sum256(src)
		return hex.EncodeToString(sum[:6])
	}
	var strip func(n *yaml.Node)
	strip = func(n *yaml.Node) {
		n.HeadComment, n.LineComment, n.FootComment = "", "", ""
		n.Style = 0
		for _, c := range n.Content {
			strip(c)
		}
	}
	strip(&doc)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		out = src
	}
	sum := sha256.Sum256(out)
	return hex.EncodeToString(sum[:6])
}

// looksFHIRPath reports whether a column source is a bare FHIR path
// (Resource.element..., with optional [n] and where(system='...')) rather
// than an expression.
func looksFHIRPath(s string) bool {
	i := strings.IndexByte(s, '.')
	if i <= 0 || !fhir.IsResourceType(s[:i]) {
		return false
	}
	for j := 0; j < len(s); j++ {
		c := s[j]
		switch {
		case strings.HasPrefix(s[j:], "where("):
			end := strings.IndexByte(s[j:], ')')
			if end < 0 {
				return false
			}
			j += end
		case isIdentByte(c) || c == '.' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return true
}

// typeFilter returns the msg.type values a predicate requires, or nil.
func typeFilter(n ast.Node) []string {
	switch x := n.(type) {
	case *ast.BinaryNode:
		switch x.Operator {
		case "&&", "and":
			if t := typeFilter(x.Left); t != nil {
				return t
			}
			return typeFilter(x.Right)
		case "==":
			if isMsgType(x.Left) {
				if s, ok := x.Right.(*ast.StringNode); ok {
					return []string{s.Value}
				}
			}
		case "in":
			if isMsgType(x.Left) {
				if a, ok := x.Right.(*ast.ArrayNode); ok {
					var out []string
					for _, e := range a.Nodes {
						s, ok := e.(*ast.StringNode)
						if !ok {
							return nil
						}
						out = append(out, s.Value)
					}
					return out
				}
			}
		}
	}
	return nil
}

// isTypeTest reports whether n is itself a msg.type test (== or in), not a
// conjunction with other conditions.
func isTypeTest(n ast.Node) bool {
	x, ok := n.(*ast.BinaryNode)
	return ok && (x.Operator == "==" || x.Operator == "in") && isMsgType(x.Left)
}

// setTypeMasks numbers the msg.type values the datasets filter on, so the
// evaluator matches a message's type once instead of once per dataset.
func (s *Set) setTypeMasks() {
	var names []string
	for _, d := range s.datasets {
		for _, t := range d.types {
			if !slices.Contains(names, t) {
				names = append(names, t)
			}
		}
	}
	if len(names) == 0 || len(names) > 64 {
		return
	}
	s.typeNames = names
	for _, d := range s.datasets {
		for _, t := range d.types {
			d.typeMask |= 1 << slices.Index(names, t)
		}
	}
}

func isMsgType(n ast.Node) bool {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return false
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	prop, ok2 := m.Property.(*ast.StringNode)
	return ok && ok2 && id.Value == "msg" && prop.Value == "type" && !m.Optional
}

// envStrings read the plain string variables of the environment, by the
// name an expression uses (columns and VM-free predicates read them).
var envStrings = map[string]func(*env) string{
	"pseudonym":            func(e *env) string { return e.Pseudonym },
	"format":               func(e *env) string { return e.Format },
	"resourceType":         func(e *env) string { return e.ResourceType },
	"msg.type":             func(e *env) string { return e.Msg.Type },
	"msg.event":            func(e *env) string { return e.Msg.Event },
	"msg.structure":        func(e *env) string { return e.Msg.Structure },
	"msg.version":          func(e *env) string { return e.Msg.Version },
	"msg.sending_app":      func(e *env) string { return e.Msg.SendingApp },
	"msg.sending_facility": func(e *env) string { return e.Msg.SendingFacility },
	"msg.age_category":     func(e *env) string { return e.Msg.AgeCategory },
	"msg.format":           func(e *env) string { return e.Msg.Format },
}

// envGetters read the plain variables a column may name directly.
var envGetters = func() map[string]func(*env) Value {
	m := map[string]func(*env) Value{"msg.over90": func(e *env) Value { return BoolValue(e.Msg.Over90) }}
	for name, get := range envStrings {
		m[name] = func(e *env) Value { return StringValue(get(e)) }
	}
	return m
}()

// nativeColumn recognizes fn(field("P")) and field("P") column expressions
// (after index patching) and returns a VM-free evaluator for them.
func nativeColumn(n ast.Node) (func(e *Evaluator, k int) Value, int) {
	idx := func(n ast.Node, name string) (int, bool) {
		call, ok := n.(*ast.CallNode)
		if !ok || len(call.Arguments) != 1 {
			return 0, false
		}
		id, ok := call.Callee.(*ast.IdentifierNode)
		if !ok || id.Value != name {
			return 0, false
		}
		in, ok := call.Arguments[0].(*ast.IntegerNode)
		return in.Value, ok
	}
	if k, ok := idx(n, "__field"); ok {
		return func(e *Evaluator, k int) Value { return StringValue(e.value(k)) }, k
	}
	if k, ok := idx(n, "__code"); ok {
		return func(e *Evaluator, k int) Value { return StringValue(e.code(k)) }, k
	}
	call, ok := n.(*ast.CallNode)
	if !ok || len(call.Arguments) != 1 {
		return nil, 0
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return nil, 0
	}
	k, ok := idx(call.Arguments[0], "__field")
	if !ok {
		return nil, 0
	}
	switch id.Value {
	case "number":
		return func(e *Evaluator, k int) Value { return Float64Value(number(e.value(k))) }, k
	case "year":
		return func(e *Evaluator, k int) Value {
			if s := e.value(k); s != "" {
				return fromInt(year(s))
			}
			return Null // an absent path is null, not year 0
		}, k
	case "zip3":
		return func(e *Evaluator, k int) Value { return StringValue(zip3(e.value(k))) }, k
	}
	return nil, 0
}
