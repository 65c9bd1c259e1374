package rules

// Expression compilation: expr-lang programs of rules and columns are parsed,
// patched (field paths, date references, type tests) and type-checked here.

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"go.yaml.in/yaml/v3"
)

type exprKind uint8

const (
	kindBool exprKind = iota
	kindString
	kindInt
	kindFloat
	kindTime
)

var timeType = reflect.TypeOf(time.Time{})

// exprPos maps a rune offset inside a scalar's text to a file position.
func (c *compiler) exprPos(s rawScalar, off int) Pos {
	text := []rune(s.text)
	if off > len(text) {
		off = len(text)
	}
	line, col := 0, 0
	for _, r := range text[:off] {
		if r == '\n' {
			line++
			col = 0
		} else {
			col++
		}
	}
	if s.node != nil && (s.node.Style == yaml.LiteralStyle || s.node.Style == yaml.FoldedStyle) {
		// block scalar: find the text line in the source to learn its indentation
		l := s.pos.Line + line
		lines := strings.Split(s.text, "\n")
		own := len(lines[line]) - len(strings.TrimLeft(lines[line], " "))
		indent := 0
		if l-1 < len(c.lines) && l >= 1 {
			src := c.lines[l-1]
			indent = len(src) - len(strings.TrimLeft(src, " ")) - own
		}
		return Pos{l, indent + col + 1}
	}
	if line > 0 {
		return Pos{s.pos.Line + line, col + 1}
	}
	return Pos{s.pos.Line, s.pos.Col + col}
}

// expr compiles an expression in dataset context d. output says the value
// is written to a column (so full dates must go through year()).
func (c *compiler) expr(s rawScalar, d *dataset, want exprKind, output bool, refs *[]int) *vm.Program {
	if !s.exists {
		return nil
	}
	p := &patcher{c: c, d: d, inYear: map[int]bool{}}
	opts := []expr.Option{expr.Env(env{}), expr.Patch(p), expr.MaxNodes(2000), expr.DisableBuiltin("now")}
	if want == kindBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(s.text, opts...)
	if len(p.errs) > 0 {
		for _, e := range p.errs {
			c.errs = append(c.errs, &Error{File: c.file, Pos: c.exprPos(s, e.off), Msg: e.msg})
		}
		return nil
	}
	if err != nil {
		var fe *file.Error
		off := 0
		msg := err.Error()
		if errors.As(err, &fe) {
			off, msg = fe.From, fe.Message
		}
		c.errs = append(c.errs, &Error{File: c.file, Pos: c.exprPos(s, off), Msg: msg})
		return nil
	}
	if output {
		for _, k := range p.dates {
			if !p.inYear[k.idx] {
				ref := c.set.paths[k.idx]
				src := ""
				if ref.hl7 != nil {
					src = ref.hl7.src
				} else {
					src = ref.fhir.src
				}
				c.errs = append(c.errs, &Error{File: c.file, Pos: c.exprPos(s, k.off),
					Msg: fmt.Sprintf("column would expose a full date: %s is a date/time element; wrap it in year(...)", src)})
			}
		}
	}
	t := prog.Node().Type()
	if want != kindBool && t != nil && t.Kind() != reflect.Interface {
		ok := false
		switch want {
		case kindString:
			ok = t.Kind() == reflect.String
		case kindInt:
			ok = t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64 || t.Kind() == reflect.Float64
		case kindFloat:
			ok = t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64 || t.Kind() == reflect.Float64
		case kindTime:
			ok = t == timeType
		}
		if !ok {
			c.errs = append(c.errs, &Error{File: c.file, Pos: s.pos,
				Msg: fmt.Sprintf("type error: expression returns %s, column wants %s", exprTypeName(t), [...]string{"bool", "string", "int64", "float64", "timestamp"}[want])})
			return nil
		}
	}
	if refs != nil {
		*refs = p.refs
	}
	return prog
}

func exprTypeName(t reflect.Type) string {
	switch {
	case t == timeType:
		return "timestamp"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "int"
	case t.Kind() == reflect.Float64:
		return "float64"
	case t.Kind() == reflect.Bool:
		return "bool"
	}
	return t.String()
}

type patchErr struct {
	off int
	msg string
}

type dateRef struct{ idx, off int }

// patcher vets field(), fhir(), code(), any_code(), has() and lookup()
// calls and compiles them to indexed calls.
type patcher struct {
	c      *compiler
	d      *dataset
	errs   []patchErr
	refs   []int
	dates  []dateRef
	inYear map[int]bool
}

func (p *patcher) errorf(n ast.Node, format string, args ...any) {
	p.errs = append(p.errs, patchErr{off: n.Location().From, msg: fmt.Sprintf(format, args...)})
}

func (p *patcher) literal(call *ast.CallNode, i int, what string) (string, bool) {
	if i >= len(call.Arguments) {
		p.errorf(call, "%s needs %d arguments", what, i+1)
		return "", false
	}
	s, ok := call.Arguments[i].(*ast.StringNode)
	if !ok {
		p.errorf(call.Arguments[i], "%s: argument %d must be a string literal (paths are checked when the rules compile)", what, i+1)
		return "", false
	}
	return s.Value, true
}

// indexCall turns call into name(k) in place: fresh nodes typed
// explicitly, so the compiler emits a typed, reflection-free call.
func indexCall(call *ast.CallNode, name string, k int) {
	id := &ast.IdentifierNode{Value: name}
	id.SetLocation(call.Callee.Location())
	id.SetType(indexFuncTypes[name])
	arg := &ast.IntegerNode{Value: k}
	arg.SetLocation(call.Location())
	arg.SetType(reflect.TypeOf(0))
	call.Callee = id
	call.Arguments = []ast.Node{arg}
}

var indexFuncTypes = map[string]reflect.Type{
	"__field":    reflect.TypeOf(func(int) string { return "" }),
	"__code":     reflect.TypeOf(func(int) string { return "" }),
	"__has":      reflect.TypeOf(func(int) bool { return false }),
	"__any_code": reflect.TypeOf(func(int) bool { return false }),
}

// Visit implements ast.Visitor (post-order: arguments are patched first).
func (p *patcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if strings.HasPrefix(n.Value, "__") {
			p.errorf(n, "%s is reserved", n.Value)
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return
		}
		switch id.Value {
		case "field", "fhir", "has":
			if len(n.Arguments) != 1 {
				p.errorf(n, "%s() takes one path", id.Value)
				return
			}
			src, ok := p.literal(n, 0, id.Value+"()")
			if !ok {
				return
			}
			if id.Value == "field" && !isHL7Path(src) {
				p.errorf(n.Arguments[0], "field(%q): not an HL7 path (SEG-n[.c[.s]]); use fhir() for FHIR paths", src)
				return
			}
			if id.Value == "fhir" && isHL7Path(src) {
				p.errorf(n.Arguments[0], "fhir(%q): an HL7 path; use field()", src)
				return
			}
			k, err := p.c.path(src, p.d, true)
			if err != nil {
				p.errorf(n.Arguments[0], "%v", err)
				return
			}
			p.refs = append(p.refs, k)
			if id.Value == "has" {
				indexCall(n, "__has", k)
				return
			}
			if p.c.set.paths[k].date {
				p.dates = append(p.dates, dateRef{k, n.Arguments[0].Location().From})
			}
			indexCall(n, "__field", k)
		case "year":
			if len(n.Arguments) == 1 {
				p.markYear(n.Arguments[0])
			}
		case "code", "any_code":
			src, ok := p.literal(n, 0, id.Value+"()")
			if !ok {
				return
			}
			sys, ok := p.literal(n, 1, id.Value+"()")
			if !ok {
				return
			}
			k, err := p.c.path(src, p.d, false)
			if err != nil {
				p.errorf(n.Arguments[0], "%v", err)
				return
			}
			ref := p.c.set.paths[k]
			if ref.hl7 != nil && (ref.hl7.p.Comp != 0 || ref.hl7.p.Rep != 0) {
				p.errorf(n.Arguments[0], "%s(%q): name a coded field (CE/CWE) such as DG1-3, without component", id.Value, src)
				return
			}
			if ref.fhir != nil && ref.fhir.typ != "CodeableConcept" && ref.fhir.typ != "Coding" {
				p.errorf(n.Arguments[0], "%s(%q): the path must end at a CodeableConcept or Coding, not %s", id.Value, src, ref.fhir.typ)
				return
			}
			m := codeMatch{path: k, system: canonSystem(sys)}
			if id.Value == "any_code" {
				if len(n.Arguments) != 3 {
					p.errorf(n, "any_code(path, system, [prefixes...]) takes three arguments")
					return
				}
				arr, ok := n.Arguments[2].(*ast.ArrayNode)
				if !ok {
					p.errorf(n.Arguments[2], "any_code(): the code prefixes must be a list of string literals")
					return
				}
				for _, e := range arr.Nodes {
					s, ok := e.(*ast.StringNode)
					if !ok || s.Value == "" {
						p.errorf(e, "any_code(): each code prefix must be a non-empty string literal")
						return
					}
					m.prefixes = append(m.prefixes, s.Value)
				}
				if len(m.prefixes) == 0 {
					p.errorf(n.Arguments[2], "any_code(): empty prefix list")
					return
				}
			} else if len(n.Arguments) != 2 {
				p.errorf(n, "code(path, system) takes two arguments")
				return
			}
			p.c.set.codes = append(p.c.set.codes, m)
			p.refs = append(p.refs, k)
			if id.Value == "code" {
				indexCall(n, "__code", len(p.c.set.codes)-1)
			} else {
				indexCall(n, "__any_code", len(p.c.set.codes)-1)
			}
		case "lookup":
			t, ok := p.literal(n, 0, "lookup()")
			if !ok {
				return
			}
			if _, ok := p.c.set.tables[t]; !ok {
				p.errorf(n.Arguments[0], "lookup(): no table %q in tables:", t)
			}
		}
	}
}

// markYear records the paths whose value year() reduces: a field() or
// fhir() argument, directly or through coalesce().
func (p *patcher) markYear(n ast.Node) {
	call, ok := n.(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	switch id.Value {
	case "__field":
		if in, ok := call.Arguments[0].(*ast.IntegerNode); ok {
			p.inYear[in.Value] = true
		}
	case "coalesce":
		for _, a := range call.Arguments {
			p.markYear(a)
		}
	}
}
