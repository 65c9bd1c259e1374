package fhir

// ResourceType returns the "resourceType" of a resource object, or "".
func ResourceType(res *Value) string {
	return res.Get("resourceType").Str()
}

// BundleEntries calls fn for each entry of a Bundle that has a resource,
// with the entry index, its fullUrl ("" if absent) and the resource, until
// fn returns false. It does nothing if bundle is not a Bundle.
func BundleEntries(bundle *Value, fn func(index int, fullURL string, resource *Value) bool) {
	if ResourceType(bundle) != "Bundle" {
		return
	}
	entries := bundle.Get("entry")
	for i := 0; i < entries.Len(); i++ {
		e := entries.Index(i)
		r := e.Get("resource")
		if r.Kind() != Object {
			continue
		}
		if !fn(i, e.Get("fullUrl").Str(), r) {
			return
		}
	}
}

// Contained calls fn for each contained resource of res until fn returns
// false.
func Contained(res *Value, fn func(index int, resource *Value) bool) {
	c := res.Get("contained")
	for i := 0; i < c.Len(); i++ {
		if r := c.Index(i); r.Kind() == Object && !fn(i, r) {
			return
		}
	}
}
