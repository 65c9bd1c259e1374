package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/safeharbor/safeharbor/fhir"
)

// fstep is one element step of a FHIR path.
type fstep struct {
	key       string
	index     int    // explicit [n] (0-based); -1 = first element
	system    string // where(system='...') filter on a repeating element
	typ       string // FHIR type of the element
	repeating bool
}

// fhirPath is a compiled FHIRPath subset: Resource.a.b[1].c.where(system='x').d
type fhirPath struct {
	src      string
	resource string
	steps    []fstep
	typ      string // FHIR type of the last element
	date     bool   // date, dateTime or instant
}

// parseFHIRPath parses and type-checks a path against the FHIR type table.
// leaf requires the path to end at a primitive element.
func parseFHIRPath(s string, leaf bool) (*fhirPath, error) {
	dot := strings.IndexByte(s, '.')
	res := s
	if dot >= 0 {
		res = s[:dot]
	}
	if !fhir.IsResourceType(res) {
		return nil, fmt.Errorf("unknown path %q: %q is not a FHIR R4 resource type", s, res)
	}
	fp := &fhirPath{src: s, resource: res, typ: res}
	rest := ""
	if dot >= 0 {
		rest = s[dot+1:]
	}
	parent := res
	for rest != "" {
		var name string
		i := 0
		for i < len(rest) && (isIdentByte(rest[i])) {
			i++
		}
		name, rest = rest[:i], rest[i:]
		if name == "" {
			return nil, fmt.Errorf("bad FHIR path %q: expected an element name", s)
		}
		if name == "where" && strings.HasPrefix(rest, "(") {
			if len(fp.steps) == 0 || !fp.steps[len(fp.steps)-1].repeating {
				return nil, fmt.Errorf("bad FHIR path %q: where() applies to a repeating element", s)
			}
			end := strings.Index(rest, ")")
			if end < 0 {
				return nil, fmt.Errorf("bad FHIR path %q: unclosed where(", s)
			}
			cond := strings.TrimSpace(rest[1:end])
			const pre = "system="
			val, ok := strings.CutPrefix(strings.ReplaceAll(cond, " ", ""), pre)
			if !ok || len(val) < 2 || val[0] != '\'' || val[len(val)-1] != '\'' {
				return nil, fmt.Errorf("bad FHIR path %q: only where(system='...') is supported", s)
			}
			if fp.steps[len(fp.steps)-1].typ != "Coding" && fp.steps[len(fp.steps)-1].typ != "Identifier" {
				return nil, fmt.Errorf("bad FHIR path %q: where(system=...) needs Coding or Identifier elements", s)
			}
			fp.steps[len(fp.steps)-1].system = val[1 : len(val)-1]
			rest = rest[end+1:]
		} else {
			el, ok := fhir.ElementType(parent, name)
			if !ok {
				hint := ""
				if _, ok := fhir.ElementType(parent, name+"Quantity"); ok {
					hint = fmt.Sprintf(" (choice elements are named by type, e.g. %sQuantity)", name)
				} else if _, ok := fhir.ElementType(parent, name+"DateTime"); ok {
					hint = fmt.Sprintf(" (choice elements are named by type, e.g. %sDateTime)", name)
				}
				return nil, fmt.Errorf("unknown path %q: %s has no element %q%s", s, parent, name, hint)
			}
			st := fstep{key: name, index: -1, typ: el.Type, repeating: el.Repeating}
			if strings.HasPrefix(rest, "[") {
				end := strings.IndexByte(rest, ']')
				n, err := strconv.Atoi(rest[1:max(end, 1)])
				if end < 0 || err != nil || n < 0 {
					return nil, fmt.Errorf("bad FHIR path %q: index must be [n] with n ≥ 0", s)
				}
				if !el.Repeating {
					return nil, fmt.Errorf("bad FHIR path %q: %s.%s does not repeat", s, parent, name)
				}
				st.index = n
				rest = rest[end+1:]
			}
			if why := fhirIdent(parent, name, el.Type); why != "" {
				return nil, fmt.Errorf("column would expose %s", strings.Replace(why, "%s", strconv.Quote(s), 1))
			}
			fp.steps = append(fp.steps, st)
			parent = el.Type
			fp.typ = el.Type
		}
		if rest == "" {
			break
		}
		if rest[0] != '.' {
			return nil, fmt.Errorf("bad FHIR path %q: expected '.' after %s", s, name)
		}
		rest = rest[1:]
		if rest == "" {
			return nil, fmt.Errorf("bad FHIR path %q: ends with '.'", s)
		}
	}
	if leaf && !fhir.IsPrimitiveType(fp.typ) {
		return nil, fmt.Errorf("FHIR path %q ends at %s, a complex type: name one of its primitive elements", s, fp.typ)
	}
	switch fp.typ {
	case "date", "dateTime", "instant":
		fp.date = true
	}
	return fp, nil
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// fhirIdent says which direct identifier element parent.key of type typ is
// ("" if none). %s in the answer stands for the path.
func fhirIdent(parent, key, typ string) string {
	switch typ {
	case "HumanName":
		return "a name: %s is a HumanName, and names are direct identifiers"
	case "ContactPoint":
		return "a phone number or e-mail: %s is a ContactPoint, and telecom values are direct identifiers"
	case "Narrative":
		return "free text: %s is narrative XHTML, which is not scrubbed field by field"
	}
	switch parent {
	case "Address":
		switch key {
		case "line", "city", "district", "text":
			return "an address: %s is Address." + key + ", a geographic unit smaller than a state (use state, postalCode (ZIP3) or country)"
		}
	case "Attachment":
		switch key {
		case "data", "url":
			return "free text: %s is Attachment." + key + ", content that is not scrubbed"
		}
	}
	return ""
}

// eval follows the path's steps from index `from` starting at v.
func (fp *fhirPath) eval(v *fhir.Value, from int) *fhir.Value {
	for i := from; i < len(fp.steps) && v != nil; i++ {
		st := &fp.steps[i]
		v = v.Get(st.key)
		if v.Kind() == fhir.Array {
			switch {
			case st.system != "":
				var hit *fhir.Value
				for _, e := range v.Elems() {
					if e.Get("system").Str() == st.system {
						hit = e
						break
					}
				}
				v = hit
			case st.index >= 0:
				v = v.Index(st.index)
			default:
				v = v.Index(0)
			}
		}
	}
	return v
}

// fhirText is the text of a primitive value ("" for absent or complex values).
func fhirText(v *fhir.Value) string {
	switch v.Kind() {
	case fhir.String:
		return v.Str()
	case fhir.Number, fhir.Bool:
		return v.Raw()
	}
	return ""
}

// hasPrefix reports whether the first steps of fp are exactly those of
// each (same keys, no index or filter on them), so fp is relative to a row
// element of each.
func (fp *fhirPath) hasPrefix(each *fhirPath) bool {
	if each == nil || fp.resource != each.resource || len(fp.steps) < len(each.steps) {
		return false
	}
	for i, st := range each.steps {
		if fp.steps[i].key != st.key || fp.steps[i].index >= 0 || fp.steps[i].system != "" {
			return false
		}
	}
	return true
}
