package fhir

import "strings"

// Action tells Walk what to do after visiting an element.
type Action uint8

// Walk actions.
const (
	// Continue visits the element's children, if any.
	Continue Action = iota
	// SkipChildren does not visit the element's children.
	SkipChildren
	// Remove deletes the element from its parent (ignored for the root).
	// An array left empty by removals is deleted too. Removing an item of
	// a primitive array also removes the matching item of its "_key"
	// extension sibling array; removing an item of a "_key" array replaces
	// it with null (the primitive stays) and drops the array once all null.
	Remove
)

// Elem is the element Walk is visiting. It is reused between visits: do
// not keep it (or its Path) past the visit call, copy what you need.
type Elem struct {
	// Key is the JSON member name holding the element ("" for the root).
	Key string
	// Index is the position within a repeating element's array, or -1.
	Index int
	// Type is the element's FHIR type: a resource type, datatype
	// ("HumanName"), primitive ("date"), backbone path ("Patient.contact"),
	// "Element" for a primitive extension sibling such as _birthDate,
	// "Resource" for a resource of unknown resourceType, or "" when the
	// element is not in the type table (unknown elements are still walked).
	Type string
	// PrimitiveType is, for a primitive extension sibling (_birthDate), the
	// FHIR type of the primitive it extends ("date"); otherwise "".
	PrimitiveType string
	// Repeating reports whether the element is declared as an array.
	Repeating bool
	// ParentType is the FHIR type of the enclosing object ("" if unknown).
	ParentType string
	// Resource is the resource type the element belongs to: for a
	// contained or bundled resource it is that resource's own type.
	Resource string
	// Value is the element's JSON value, which the visitor may modify in
	// place (SetString, Delete, ...).
	Value *Value

	w *walker
}

// Path returns the element's JSON path, e.g. entry[3].resource.name[0].
// Keys that are not plain names are shown as "?". It is safe for errors
// and logs: it holds no element values.
func (e *Elem) Path() string {
	if e.w == nil {
		return ""
	}
	return renderPath(e.w.path)
}

type walker struct {
	visit func(*Elem) Action
	path  []pathSeg
	e     Elem
}

// Walk visits every element of the resource root in document order,
// parents before children, typing each from the FHIR R4 type table. It
// descends into contained resources, Bundle.entry.resource,
// Parameters.parameter.resource and any other Resource-typed element,
// using each one's own resourceType. Primitive extension siblings
// (_birthDate) are visited with Type "Element" and PrimitiveType set; null
// placeholders in their arrays are skipped. Elements missing from the
// table are visited with Type "" and so are their children.
func Walk(root *Value, visit func(e *Elem) Action) {
	WalkAs(root, "Resource", visit)
}

// WalkAs is Walk for a value of the given FHIR type, e.g. a bare
// "HumanName" or a "Resource" (whose concrete type is read from its
// resourceType).
func WalkAs(root *Value, typeName string, visit func(e *Elem) Action) {
	if root == nil {
		return
	}
	w := &walker{visit: visit, path: make([]pathSeg, 0, 16)}
	w.node(root, "", -1, Element{Type: typeName}, "", "", "")
}

// node visits v and its children and returns the visitor's action.
func (w *walker) node(v *Value, key string, idx int, el Element, prim, parentType, res string) Action {
	typ := el.Type
	if typ == "Resource" && v.kind == Object {
		if rt := v.Get("resourceType").Str(); IsResourceType(rt) {
			typ = rt
			res = rt
		}
	}
	e := &w.e
	*e = Elem{Key: key, Index: idx, Type: typ, PrimitiveType: prim, Repeating: el.Repeating,
		ParentType: parentType, Resource: res, Value: v, w: w}
	act := w.visit(e)
	if act == Remove || act == SkipChildren {
		return act
	}
	switch v.kind {
	case Object:
		w.object(v, typ, res)
	case Array: // not FHIR, but walk it untyped
		for i, item := range v.arr {
			w.path = append(w.path, pathSeg{idx: i})
			w.node(item, key, i, Element{}, "", parentType, res)
			w.path = w.path[:len(w.path)-1]
		}
	}
	return act
}

func (w *walker) object(v *Value, typ, res string) {
	ti := typeTable[typ]
	for mi := 0; mi < len(v.obj); mi++ {
		m := &v.obj[mi]
		if m.Value == nil {
			continue
		}
		key := m.Key
		var el Element
		prim := ""
		if len(key) > 1 && key[0] == '_' {
			base, ok := ti[key[1:]]
			if ok {
				prim = base.Type
			}
			el = Element{Type: "Element", Repeating: base.Repeating}
		} else {
			el = ti[key]
		}
		w.path = append(w.path, pathSeg{key: key, idx: -1})
		if m.Value.kind == Array {
			arr := m.Value
			var removed []int
			ext := strings.HasPrefix(key, "_")
			nulled := false
			for i := 0; i < len(arr.arr); i++ {
				item := arr.arr[i]
				if item.kind == Null && ext {
					continue
				}
				w.path = append(w.path, pathSeg{idx: i})
				if w.node(item, key, i, el, prim, typ, res) == Remove {
					if ext {
						// Dropping a primitive's extensions keeps the
						// primitive: null keeps the arrays aligned.
						arr.arr[i] = &Value{}
						nulled = true
					} else {
						removed = append(removed, i)
					}
				}
				w.path = w.path[:len(w.path)-1]
			}
			if len(removed) > 0 {
				origLen := len(arr.arr)
				deleteIndexes(arr, removed)
				if len(arr.arr) == 0 {
					m.Value = nil
				}
				alignPartner(v, key, origLen, removed)
			}
			if nulled && allNull(arr) {
				m.Value = nil
			}
		} else if w.node(m.Value, key, -1, el, prim, typ, res) == Remove {
			m.Value = nil
		}
		w.path = w.path[:len(w.path)-1]
	}
}

// alignPartner keeps a primitive array and its "_key" extension array
// aligned: after removing indexes from member key (of original length
// origLen), it removes the same indexes from "_key", dropping it when
// only nulls remain.
func alignPartner(obj *Value, key string, origLen int, removed []int) {
	partner := "_" + key
	for pi := range obj.obj {
		pm := &obj.obj[pi]
		if pm.Value == nil || pm.Key != partner || pm.Value.kind != Array || len(pm.Value.arr) != origLen {
			continue
		}
		deleteIndexes(pm.Value, removed)
		if allNull(pm.Value) {
			pm.Value = nil
		}
	}
}

// deleteIndexes removes the elements at the sorted indexes idx.
func deleteIndexes(arr *Value, idx []int) {
	k := 0
	arr.DeleteIf(func(i int, _ *Value) bool {
		if k < len(idx) && idx[k] == i {
			k++
			return true
		}
		return false
	})
}

func allNull(arr *Value) bool {
	for _, e := range arr.arr {
		if e.kind != Null {
			return false
		}
	}
	return true
}
