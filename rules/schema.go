package rules

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// SchemaVersion is the only rules file version this package reads.
const SchemaVersion = 1

// ColType is the type of a dataset column. The values and names match
// sinks/dataset.ColType one to one (the pipeline maps them); rules does not
// import the sinks.
type ColType uint8

// The column types. A row holds string, int64, float64, bool or time.Time
// values (nil for an absent value).
const (
	String    ColType = iota + 1 // UTF-8 text (Go string)
	Int64                        // signed 64-bit integer (Go int64)
	Float64                      // double (Go float64)
	Bool                         // boolean (Go bool)
	Timestamp                    // UTC instant (Go time.Time)
)

var colTypeNames = [...]string{String: "string", Int64: "int64", Float64: "float64", Bool: "bool", Timestamp: "timestamp"}

// String returns the type's name as written in rules files.
func (t ColType) String() string {
	if t >= String && t <= Timestamp {
		return colTypeNames[t]
	}
	return "ColType(" + strconv.Itoa(int(t)) + ")"
}

func parseColType(s string) (ColType, bool) {
	for t := String; t <= Timestamp; t++ {
		if colTypeNames[t] == s {
			return t, true
		}
	}
	return 0, false
}

// Pos is a position in a rules file (1-based line and column).
type Pos struct {
	Line, Col int
}

// Error is a rules file error at a position. Its text is
// "file:line:col: message"; it never holds message (PHI) content, only
// rules file content.
type Error struct {
	File string
	Pos
	Msg string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ErrorList is every error found in a rules file, in file order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// raw* mirror the file with positions, before compilation.
type rawFile struct {
	version  int
	tables   []rawTable
	datasets []rawDataset
	drops    []rawDrop
	phiStore string
}

type rawTable struct {
	name    string
	pos     Pos
	entries map[string]string
}

type rawScalar struct {
	text   string
	pos    Pos // position of the first character of the text
	node   *yaml.Node
	exists bool
}

type rawDataset struct {
	name, when, each, where rawScalar
	description             string
	columns                 []rawColumn
	pos                     Pos
}

type rawColumn struct {
	name, typ, from rawScalar
	pos             Pos
}

type rawDrop struct {
	name, when rawScalar
	pos        Pos
}

// decoder walks the YAML node tree strictly, collecting positioned errors.
type decoder struct {
	file string
	errs ErrorList
}

func (d *decoder) errorf(p Pos, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func pos(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// mapping iterates over a mapping's keys in order, rejecting unknown and
// duplicate keys. fn gets the key and value nodes.
func (d *decoder) mapping(n *yaml.Node, what string, known []string, fn func(key string, k, v *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		d.errorf(pos(n), "%s must be a mapping, not %s", what, kindName(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(pos(k), "%s: keys must be plain names", what)
			continue
		}
		ok := false
		for _, kk := range known {
			if kk == k.Value {
				ok = true
				break
			}
		}
		if !ok {
			d.errorf(pos(k), "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		if seen[k.Value] {
			d.errorf(pos(k), "%s: duplicate key %q", what, k.Value)
			continue
		}
		seen[k.Value] = true
		fn(k.Value, k, v)
	}
	return true
}

// scalar reads a string scalar; pos points at the first character of its
// text (after a quote).
func (d *decoder) scalar(v *yaml.Node, what string) rawScalar {
	if v.Kind == yaml.AliasNode {
		d.errorf(pos(v), "%s: aliases are not allowed", what)
		return rawScalar{}
	}
	if v.Kind != yaml.ScalarNode {
		d.errorf(pos(v), "%s must be a string, not %s", what, kindName(v))
		return rawScalar{}
	}
	if v.Tag == "!!null" && v.Value == "" || v.Value == "~" && v.Style == 0 {
		d.errorf(pos(v), "%s must not be empty", what)
		return rawScalar{}
	}
	p := pos(v)
	switch v.Style {
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		p.Col++
	case yaml.LiteralStyle, yaml.FoldedStyle:
		p.Line++
		p.Col = 0 // set from indentation by exprPos
	}
	return rawScalar{text: v.Value, pos: p, node: v, exists: true}
}

func parseFile(src []byte, file string) (*rawFile, ErrorList) {
	d := &decoder{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		d.errs = append(d.errs, yamlError(file, err))
		return nil, d.errs
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.errorf(Pos{1, 1}, "empty rules file (want version: %d and datasets)", SchemaVersion)
		return nil, d.errs
	}
	root := doc.Content[0]
	rf := &rawFile{phiStore: "original"}
	var versionSeen bool
	d.mapping(root, "rules file", []string{"version", "tables", "datasets", "drop", "phi"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			versionSeen = true
			n, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil {
				d.errorf(pos(v), "version must be an integer")
				return
			}
			if n != SchemaVersion {
				d.errorf(pos(v), "unsupported rules version %d (this build reads version %d)", n, SchemaVersion)
				return
			}
			rf.version = n
		case "tables":
			if v.Kind != yaml.MappingNode {
				d.errorf(pos(v), "tables must be a mapping, not %s", kindName(v))
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				tk, tv := v.Content[i], v.Content[i+1]
				t := rawTable{name: tk.Value, pos: pos(tk), entries: map[string]string{}}
				if tv.Kind != yaml.MappingNode {
					d.errorf(pos(tv), "table %q must map codes to labels", tk.Value)
					continue
				}
				for j := 0; j+1 < len(tv.Content); j += 2 {
					ck, cv := tv.Content[j], tv.Content[j+1]
					if ck.Kind != yaml.ScalarNode || cv.Kind != yaml.ScalarNode {
						d.errorf(pos(ck), "table %q: entries must be code: label", tk.Value)
						continue
					}
					if _, dup := t.entries[ck.Value]; dup {
						d.errorf(pos(ck), "table %q: duplicate code %q", tk.Value, ck.Value)
					}
					t.entries[ck.Value] = cv.Value
				}
				rf.tables = append(rf.tables, t)
			}
		case "datasets":
			if v.Kind != yaml.SequenceNode {
				d.errorf(pos(v), "datasets must be a list, not %s", kindName(v))
				return
			}
			for _, dn := range v.Content {
				rf.datasets = append(rf.datasets, d.dataset(dn))
			}
		case "drop":
			if v.Kind != yaml.SequenceNode {
				d.errorf(pos(v), "drop must be a list, not %s", kindName(v))
				return
			}
			for _, dn := range v.Content {
				r := rawDrop{pos: pos(dn)}
				d.mapping(dn, "drop rule", []string{"name", "when"}, func(key string, _, v *yaml.Node) {
					switch key {
					case "name":
						r.name = d.scalar(v, "drop rule name")
					case "when":
						r.when = d.scalar(v, "drop rule when")
					}
				})
				if dn.Kind == yaml.MappingNode {
					if !r.name.exists {
						d.errorf(r.pos, "drop rule needs a name")
					}
					if !r.when.exists {
						d.errorf(r.pos, "drop rule needs a when predicate")
					}
				}
				rf.drops = append(rf.drops, r)
			}
		case "phi":
			d.mapping(v, "phi", []string{"store"}, func(_ string, _, v *yaml.Node) {
				s := d.scalar(v, "phi store")
				switch s.text {
				case "original", "none":
					rf.phiStore = s.text
				case "":
				default:
					d.errorf(s.pos, "phi store must be original or none, not %q", s.text)
				}
			})
		}
	})
	if root.Kind == yaml.MappingNode {
		if !versionSeen {
			d.errorf(pos(root), "missing version (want version: %d)", SchemaVersion)
		}
		if len(rf.datasets) == 0 && len(d.errs) == 0 {
			d.errorf(pos(root), "no datasets")
		}
	}
	return rf, d.errs
}

func (d *decoder) dataset(n *yaml.Node) rawDataset {
	ds := rawDataset{pos: pos(n)}
	d.mapping(n, "dataset", []string{"name", "description", "when", "each", "where", "columns"}, func(key string, _, v *yaml.Node) {
		switch key {
		case "name":
			ds.name = d.scalar(v, "dataset name")
		case "description":
			ds.description = d.scalar(v, "dataset description").text
		case "when":
			ds.when = d.scalar(v, "dataset when")
		case "each":
			ds.each = d.scalar(v, "dataset each")
		case "where":
			ds.where = d.scalar(v, "dataset where")
		case "columns":
			if v.Kind != yaml.SequenceNode {
				d.errorf(pos(v), "columns must be a list, not %s", kindName(v))
				return
			}
			for _, cn := range v.Content {
				c := rawColumn{pos: pos(cn)}
				d.mapping(cn, "column", []string{"name", "type", "from"}, func(key string, _, v *yaml.Node) {
					switch key {
					case "name":
						c.name = d.scalar(v, "column name")
					case "type":
						c.typ = d.scalar(v, "column type")
					case "from":
						c.from = d.scalar(v, "column from")
					}
				})
				if cn.Kind == yaml.MappingNode {
					for _, m := range []struct {
						s    rawScalar
						what string
					}{{c.name, "name"}, {c.typ, "type"}, {c.from, "from"}} {
						if !m.s.exists {
							d.errorf(c.pos, "column needs a %s", m.what)
						}
					}
				}
				ds.columns = append(ds.columns, c)
			}
		}
	})
	if n.Kind == yaml.MappingNode {
		if !ds.name.exists {
			d.errorf(ds.pos, "dataset needs a name")
		}
		if len(ds.columns) == 0 {
			d.errorf(ds.pos, "dataset needs columns")
		}
	}
	return ds
}

// yamlError turns a yaml error ("yaml: line 3: ...") into a positioned Error.
func yamlError(file string, err error) *Error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 1
	if strings.HasPrefix(msg, "line ") {
		rest := msg[5:]
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line = n
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	} else if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	return &Error{File: file, Pos: Pos{line, 1}, Msg: "invalid YAML: " + msg}
}
