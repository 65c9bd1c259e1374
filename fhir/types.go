package fhir

//go:generate go run ./internal/gentypes -o types_gen.go

import "sync"

// Element describes one element of a FHIR type: the FHIR type name of its
// value ("HumanName", "date", "Resource", backbone paths such as
// "Patient.contact", ...) and whether it is a JSON array.
type Element struct {
	Type      string
	Repeating bool
}

// typeInfo is the element table of one type.
type typeInfo = map[string]Element

var (
	resourceSetOnce sync.Once
	resourceSet     map[string]struct{}
)

// ElementType returns the element with JSON name key of type parentType
// (a resource, datatype, backbone path like "Patient.contact", or
// "Element" for primitive extension siblings). A key starting with "_"
// (primitive extension) is not in the table: see Walk.
func ElementType(parentType, key string) (Element, bool) {
	e, ok := typeTable[parentType][key]
	return e, ok
}

// HasType reports whether typeName is a complex type, resource or backbone
// element that has an element table.
func HasType(typeName string) bool {
	_, ok := typeTable[typeName]
	return ok
}

// IsResourceType reports whether name is a FHIR R4 resource type, as found
// in "resourceType".
func IsResourceType(name string) bool {
	resourceSetOnce.Do(func() {
		resourceSet = make(map[string]struct{}, len(resourceTypeNames))
		for _, n := range resourceTypeNames {
			resourceSet[n] = struct{}{}
		}
	})
	_, ok := resourceSet[name]
	return ok
}

// ResourceTypes returns the names of all FHIR R4 resource types, sorted.
func ResourceTypes() []string {
	return append([]string(nil), resourceTypeNames...)
}

// IsPrimitiveType reports whether name is a FHIR primitive type name
// (string, date, dateTime, instant, uri, xhtml, ...).
func IsPrimitiveType(name string) bool {
	_, ok := primitiveTypes[name]
	return ok
}

var primitiveTypes = map[string]struct{}{
	"base64Binary": {}, "boolean": {}, "canonical": {}, "code": {}, "date": {}, "dateTime": {},
	"decimal": {}, "id": {}, "instant": {}, "integer": {}, "markdown": {}, "oid": {},
	"positiveInt": {}, "string": {}, "time": {}, "unsignedInt": {}, "uri": {}, "url": {},
	"uuid": {}, "xhtml": {},
}
