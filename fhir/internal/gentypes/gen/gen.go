// Package gen derives the FHIR R4 element type table from the Go source of
// github.com/samply/golang-fhir-models and renders it as Go source.
package gen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// ModelsImportPath is the import path of the model package the table is derived from.
const ModelsImportPath = "github.com/samply/golang-fhir-models/fhir-models/fhir"

// ModelDir returns the directory holding the model package's source, as
// resolved by the go command for the current module.
func ModelDir() (string, error) {
	p, err := build.Import(ModelsImportPath, ".", build.FindOnly)
	if err != nil {
		return "", fmt.Errorf("locate %s: %w", ModelsImportPath, err)
	}
	return p.Dir, nil
}

// Element is one element of a FHIR type: its FHIR type name and whether it repeats.
type Element struct {
	Type      string
	Repeating bool
}

// Table is the derived type table.
type Table struct {
	// Types maps a type name (resource, datatype, or backbone path such as
	// "Patient.contact") to its elements keyed by JSON name.
	Types map[string]map[string]Element
	// Resources lists the resource type names.
	Resources []string
	// Datatypes lists the complex datatype names.
	Datatypes []string
}

type field struct {
	key  string
	goty ast.Expr
}

type structInfo struct {
	name       string
	documented bool // has a "documented here .../StructureDefinition/X" comment
	fields     []field
}

// primitive FHIR type names, keyed by the capitalised suffix used in choice element names.
var primitiveSuffix = map[string]string{
	"Base64Binary": "base64Binary", "Boolean": "boolean", "Canonical": "canonical", "Code": "code",
	"Date": "date", "DateTime": "dateTime", "Decimal": "decimal", "Id": "id", "Instant": "instant",
	"Integer": "integer", "Markdown": "markdown", "Oid": "oid", "PositiveInt": "positiveInt",
	"String": "string", "Time": "time", "UnsignedInt": "unsignedInt", "Uri": "uri", "Url": "url",
	"Uuid": "uuid",
}

// load parses the model package source in dir.
func load(dir string) (map[string]*structInfo, map[string]bool, map[string]bool, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	structs := map[string]*structInfo{}
	enums := map[string]bool{}
	unmarshalers := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && strings.HasPrefix(d.Name.Name, "Unmarshal") {
					unmarshalers[strings.TrimPrefix(d.Name.Name, "Unmarshal")] = true
				}
			case *ast.GenDecl:
				if d.Tok != token.TYPE {
					continue
				}
				for _, s := range d.Specs {
					ts := s.(*ast.TypeSpec)
					switch t := ts.Type.(type) {
					case *ast.Ident:
						if t.Name == "int" {
							enums[ts.Name.Name] = true
						}
					case *ast.StructType:
						si := &structInfo{name: ts.Name.Name}
						if d.Doc != nil && strings.Contains(d.Doc.Text(), "/StructureDefinition/") {
							si.documented = true
						}
						for _, fl := range t.Fields.List {
							if fl.Tag == nil {
								continue
							}
							tag, _ := strconv.Unquote(fl.Tag.Value)
							js := reflect.StructTag(tag).Get("json")
							key, _, _ := strings.Cut(js, ",")
							if key == "" || key == "-" {
								continue
							}
							si.fields = append(si.fields, field{key: key, goty: fl.Type})
						}
						structs[si.name] = si
					}
				}
			}
		}
	}
	return structs, enums, unmarshalers, nil
}

// Build derives the table from the model package source in dir.
func Build(dir string) (*Table, error) {
	structs, enums, unmarshalers, err := load(dir)
	if err != nil {
		return nil, err
	}
	t := &Table{Types: map[string]map[string]Element{}}
	resources := map[string]bool{}
	datatypes := map[string]bool{}
	for name, si := range structs {
		if !si.documented {
			continue
		}
		if unmarshalers[name] && name != "Resource" && name != "DomainResource" {
			resources[name] = true
		} else {
			datatypes[name] = true
		}
	}
	for n := range resources {
		t.Resources = append(t.Resources, n)
	}
	for n := range datatypes {
		if n == "Resource" || n == "DomainResource" { // abstract bases, not datatypes
			continue
		}
		t.Datatypes = append(t.Datatypes, n)
	}
	sort.Strings(t.Resources)
	sort.Strings(t.Datatypes)

	// Name backbone structs by their shortest path from a resource or datatype (BFS).
	fhirName := map[string]string{}
	var queue []string
	for _, n := range append(append([]string{"Resource", "DomainResource"}, t.Resources...), t.Datatypes...) {
		fhirName[n] = n
		queue = append(queue, n)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		si := structs[n]
		for _, f := range si.fields {
			gn, _ := goTypeName(f.goty)
			if s, ok := structs[gn]; ok && !s.documented {
				if _, seen := fhirName[gn]; !seen {
					fhirName[gn] = fhirName[n] + "." + f.key
					queue = append(queue, gn)
				}
			}
		}
	}
	for goName, fn := range fhirName {
		si := structs[goName]
		elems := map[string]Element{}
		choice := choiceKeys(si, structs)
		for _, f := range si.fields {
			gn, rep := goTypeName(f.goty)
			var ty string
			switch {
			case choice[f.key] != "":
				ty = choice[f.key]
			case gn == "json.RawMessage":
				ty = "Resource"
			case gn == "bool":
				ty = "boolean"
			case gn == "json.Number":
				ty = "decimal"
			case gn == "int":
				ty = primitiveOverride(fn, f.key, "integer")
			case enums[gn]:
				ty = "code"
			case gn == "string":
				ty = primitiveOverride(fn, f.key, "string")
			default:
				n, ok := fhirName[gn]
				if !ok {
					return nil, fmt.Errorf("%s.%s: unknown Go type %s", fn, f.key, gn)
				}
				ty = n
			}
			elems[f.key] = Element{Type: ty, Repeating: rep}
		}
		if goName == "Resource" || goName == "DomainResource" {
			elems["resourceType"] = Element{Type: "code"}
		}
		if goName == "DomainResource" {
			elems["contained"] = Element{Type: "Resource", Repeating: true}
		}
		if resources[goName] {
			elems["resourceType"] = Element{Type: "code"}
			if _, ok := elems["text"]; ok { // DomainResource: the models omit contained
				elems["contained"] = Element{Type: "Resource", Repeating: true}
			}
			if goName != "Bundle" && goName != "Parameters" && goName != "Binary" {
				elems["id"] = Element{Type: "id"}
			} else if _, ok := elems["id"]; ok {
				elems["id"] = Element{Type: "id"}
			}
		}
		t.Types[fn] = elems
	}
	// Element: the shape of primitive extension siblings such as _birthDate.
	t.Types["Element"] = map[string]Element{
		"id":        {Type: "string"},
		"extension": {Type: "Extension", Repeating: true},
	}
	return t, nil
}

// choiceKeys finds choice elements (value[x] rendered as valueQuantity,
// valueString, ...): keys sharing a prefix with at least one sibling where
// the suffix names a FHIR type.
func choiceKeys(si *structInfo, structs map[string]*structInfo) map[string]string {
	type cand struct{ key, prefix, ty string }
	var cands []cand
	for _, f := range si.fields {
		for i := 1; i < len(f.key); i++ {
			c := f.key[i]
			if c < 'A' || c > 'Z' {
				continue
			}
			suf := f.key[i:]
			gn, _ := goTypeName(f.goty)
			ty := primitiveSuffix[suf]
			if ty != "" {
				// A primitive suffix needs a primitive Go type: reasonCode
				// (CodeableConcept) is not a choice of reason[x].
				if _, isStruct := structs[gn]; isStruct || gn == "json.RawMessage" {
					ty = ""
				}
			} else if s, ok := structs[suf]; ok && s.documented && gn == suf {
				ty = suf
			}
			if ty != "" {
				cands = append(cands, cand{f.key, f.key[:i], ty})
				break
			}
		}
	}
	count := map[string]int{}
	for _, c := range cands {
		count[c.prefix]++
	}
	out := map[string]string{}
	for _, c := range cands {
		if count[c.prefix] >= 2 {
			out[c.key] = c.ty
		}
	}
	return out
}

func goTypeName(e ast.Expr) (name string, repeating bool) {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.ArrayType:
			repeating = true
			e = t.Elt
		case *ast.Ident:
			return t.Name, repeating
		case *ast.SelectorExpr:
			return t.X.(*ast.Ident).Name + "." + t.Sel.Name, repeating
		default:
			return fmt.Sprintf("%T", e), repeating
		}
	}
}

// Render writes the table as gofmt'ed Go source for package fhir.
func Render(t *Table) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by fhir/internal/gentypes from " + ModelsImportPath + " v0.3.2; DO NOT EDIT.\n\n")
	b.WriteString("package fhir\n\n")
	b.WriteString("// resourceTypeNames lists every FHIR R4 resource type.\nvar resourceTypeNames = []string{\n")
	for _, n := range t.Resources {
		fmt.Fprintf(&b, "%q,\n", n)
	}
	b.WriteString("}\n\n")
	b.WriteString("// datatypeNames lists every FHIR R4 complex datatype.\nvar datatypeNames = []string{\n")
	for _, n := range t.Datatypes {
		fmt.Fprintf(&b, "%q,\n", n)
	}
	b.WriteString("}\n\n")
	b.WriteString("// typeTable maps a type name (resource, datatype or backbone path) to its elements.\nvar typeTable = map[string]map[string]Element{\n")
	names := make([]string, 0, len(t.Types))
	for n := range t.Types {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "%q: {\n", n)
		el := t.Types[n]
		keys := make([]string, 0, len(el))
		for k := range el {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e := el[k]
			if e.Repeating {
				fmt.Fprintf(&b, "%q: {%q, true},\n", k, e.Type)
			} else {
				fmt.Fprintf(&b, "%q: {%q, false},\n", k, e.Type)
			}
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

// Generate builds and renders the table from the model source found by ModelDir.
func Generate() ([]byte, error) {
	dir, err := ModelDir()
	if err != nil {
		return nil, err
	}
	t, err := Build(dir)
	if err != nil {
		return nil, err
	}
	return Render(t)
}
