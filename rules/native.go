package rules

import (
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// predicate is a compiled when, where or drop expression. fn, when set, is
// an equivalent of the program that runs without the VM: the common shapes
// (msg.type == "ORU", msg.type in [...], any_code(...), has(...), field
// comparisons, and/or/not of those) need no interpreter.
type predicate struct {
	*vm.Program
	fn func(e *Evaluator) bool
}

// newPredicate wraps a compiled boolean program (nil stays nil).
func newPredicate(p *vm.Program) *predicate {
	if p == nil {
		return nil
	}
	return &predicate{Program: p, fn: nativePred(p.Node())}
}

// nativePred returns a VM-free evaluator of a boolean expression tree, or
// nil when the tree has a shape it does not know.
func nativePred(n ast.Node) func(e *Evaluator) bool {
	switch x := n.(type) {
	case *ast.BoolNode:
		v := x.Value
		return func(*Evaluator) bool { return v }
	case *ast.UnaryNode:
		if x.Operator == "!" || x.Operator == "not" {
			if f := nativePred(x.Node); f != nil {
				return func(e *Evaluator) bool { return !f(e) }
			}
		}
	case *ast.CallNode:
		if k, ok := indexArg(x, "__any_code"); ok {
			return func(e *Evaluator) bool { return e.anyCode(k) }
		}
		if k, ok := indexArg(x, "__has"); ok {
			return func(e *Evaluator) bool { return e.value(k) != "" }
		}
	case *ast.BinaryNode:
		switch x.Operator {
		case "&&", "and", "||", "or":
			l, r := nativePred(x.Left), nativePred(x.Right)
			if l == nil || r == nil {
				return nil
			}
			if x.Operator == "&&" || x.Operator == "and" {
				return func(e *Evaluator) bool { return l(e) && r(e) }
			}
			return func(e *Evaluator) bool { return l(e) || r(e) }
		case "==", "!=":
			l, r := nativeStr(x.Left), nativeStr(x.Right)
			if l == nil || r == nil {
				return nil
			}
			if x.Operator == "==" {
				return func(e *Evaluator) bool { return l(e) == r(e) }
			}
			return func(e *Evaluator) bool { return l(e) != r(e) }
		case "in", "not in":
			l := nativeStr(x.Left)
			set, ok := stringSet(x.Right)
			if l == nil || !ok {
				return nil
			}
			neg := x.Operator == "not in"
			return func(e *Evaluator) bool {
				s := l(e)
				for _, v := range set {
					if v == s {
						return !neg
					}
				}
				return neg
			}
		}
	}
	return nil
}

// nativeStr returns a VM-free evaluator of a string-valued tree (a
// literal, a message attribute or a path read), or nil.
func nativeStr(n ast.Node) func(e *Evaluator) string {
	switch x := n.(type) {
	case *ast.StringNode:
		v := x.Value
		return func(*Evaluator) string { return v }
	case *ast.IdentifierNode:
		if get, ok := envStrings[x.Value]; ok {
			return func(e *Evaluator) string { return get(&e.env) }
		}
	case *ast.MemberNode:
		id, ok := x.Node.(*ast.IdentifierNode)
		prop, ok2 := x.Property.(*ast.StringNode)
		if !ok || !ok2 || id.Value != "msg" || x.Optional {
			return nil
		}
		if get, ok := envStrings["msg."+prop.Value]; ok {
			return func(e *Evaluator) string { return get(&e.env) }
		}
	case *ast.CallNode:
		if k, ok := indexArg(x, "__field"); ok {
			return func(e *Evaluator) string { return e.value(k) }
		}
		if k, ok := indexArg(x, "__code"); ok {
			return func(e *Evaluator) string { return e.code(k) }
		}
	}
	return nil
}

// indexArg matches name(k) with an integer literal k (the compiled form of
// field(), has(), code() and any_code() calls).
func indexArg(call *ast.CallNode, name string) (int, bool) {
	if len(call.Arguments) != 1 {
		return 0, false
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || id.Value != name {
		return 0, false
	}
	in, ok := call.Arguments[0].(*ast.IntegerNode)
	if !ok {
		return 0, false
	}
	return in.Value, true
}

// stringSet returns the strings of a literal list (as written, or as the
// optimizer's constant set).
func stringSet(n ast.Node) ([]string, bool) {
	switch x := n.(type) {
	case *ast.ArrayNode:
		out := make([]string, 0, len(x.Nodes))
		for _, el := range x.Nodes {
			s, ok := el.(*ast.StringNode)
			if !ok {
				return nil, false
			}
			out = append(out, s.Value)
		}
		return out, true
	case *ast.ConstantNode:
		m, ok := x.Value.(map[string]struct{})
		if !ok {
			return nil, false
		}
		out := make([]string, 0, len(m))
		for s := range m {
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}
